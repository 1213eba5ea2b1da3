"""Where each shot sits in an assembled sequence, and the frames of the sequence, streamed.

Shots are laid end to end. Between two shots a transition of `frames` frames:
- cut: nothing (0 frames);
- crossfade: the last `frames` frames of the earlier shot are blended with the first `frames` of
  the next, so the shots overlap and the sequence is `frames` shorter;
- dip (to black): the earlier shot's last frames fade out to one black frame and the next shot's
  first frames fade in from black; no overlap, the sequence keeps its length.

Memory: a shot streams through a window of at most the transition's length (the frames that the
next transition blends or fades), so a 10-minute sequence never sits in memory whatever its length.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # numpy is imported where frames are made, so listing node types stays fast
    import numpy as np

CUT, CROSSFADE, DIP = "cut", "crossfade", "dip"


@dataclass(frozen=True)
class Transition:
    kind: str      # cut, crossfade, dip
    frames: int    # length in frames (0 for a cut)

    @property
    def overlap(self) -> int:
        """Frames by which the two shots overlap in the sequence."""
        return self.frames if self.kind == CROSSFADE else 0

    @property
    def tail(self) -> int:
        """Frames at the end of the earlier shot that the transition changes."""
        return 0 if self.kind == CUT else self.frames if self.kind == CROSSFADE else (self.frames + 1) // 2

    @property
    def head(self) -> int:
        """Frames at the start of the later shot that the transition changes."""
        return 0 if self.kind == CUT else self.frames if self.kind == CROSSFADE else self.frames // 2


def shot_starts(lengths: Sequence[int], transitions: Sequence[Transition]) -> list[int]:
    """The first output frame of each shot (a crossfade starts the next shot inside the earlier one)."""
    starts, cursor = [], 0
    for index, length in enumerate(lengths):
        starts.append(cursor)
        overlap = transitions[index].overlap if index < len(transitions) else 0
        cursor += length - overlap
    return starts


def sequence_length(lengths: Sequence[int], transitions: Sequence[Transition]) -> int:
    return sum(lengths) - sum(t.overlap for t in transitions)


def check_fits(lengths: Sequence[int], transitions: Sequence[Transition]) -> int | None:
    """The index of the first shot too short for the transitions at its two ends, or None."""
    for index, length in enumerate(lengths):
        before = transitions[index - 1].head if index > 0 else 0
        after = transitions[index].tail if index < len(transitions) else 0
        if length < max(before + after, 1):
            return index
    return None


def _fade(frame: np.ndarray, gain: float) -> np.ndarray:
    import numpy as np

    return np.clip(frame.astype(np.float32) * gain + 0.5, 0, 255).astype(np.uint8)


def _blend(earlier: np.ndarray, later: np.ndarray, weight: float) -> np.ndarray:
    import numpy as np

    mixed = earlier.astype(np.float32) * (1.0 - weight) + later.astype(np.float32) * weight
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


def _with_tail(frames: Iterable[np.ndarray], tail: int) -> Iterator[tuple[np.ndarray, bool]]:
    """Each frame with whether it is one of the last `tail` frames, holding back only `tail` frames."""
    window: deque[np.ndarray] = deque()
    for frame in frames:
        window.append(frame)
        if len(window) > tail:
            yield window.popleft(), False
    for frame in window:
        yield frame, True


def assemble_frames(shots: Sequence[Callable[[], Iterable[np.ndarray]]], transitions: Sequence[Transition]
                    ) -> Iterator[np.ndarray]:
    """The sequence's frames, in order: every shot's frames with the transitions applied."""
    carried: list[np.ndarray] = []     # the earlier shot's tail frames a crossfade blends
    for index, shot in enumerate(shots):
        before = transitions[index - 1] if index > 0 else Transition(CUT, 0)
        after = transitions[index] if index < len(transitions) else Transition(CUT, 0)
        head_seen, tail_seen = 0, 0
        tail_frames: list[np.ndarray] = []
        for frame, in_tail in _with_tail(shot(), after.tail):
            if head_seen < before.head:
                if before.kind == CROSSFADE:
                    frame = _blend(carried[head_seen], frame, (head_seen + 1) / (before.frames + 1))
                else:  # dip: fade in from black
                    frame = _fade(frame, (head_seen + 1) / (before.head + 1))
                head_seen += 1
            if in_tail:
                if after.kind == CROSSFADE:
                    tail_frames.append(frame)   # emitted blended with the next shot's head
                    continue
                tail_seen += 1                  # dip: fade out to black
                frame = _fade(frame, 1.0 - tail_seen / after.tail)   # the last one is black
            yield frame
        carried = tail_frames
