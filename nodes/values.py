"""The Python values that travel on ports whose kind is not a plain builtin type.

Frame sequences are re-iterable and lazy: a node reading `frames` pulls chunks from the artifact
store as it iterates, and a node producing frames returns a generator factory, so no node needs a
whole video in memory.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: validating a graph never imports numpy
    import numpy as np


@dataclass
class Frames:
    """A sequence of RGB frames (H x W x 3, uint8) at `fps` frames per second.

    `source` is called once per iteration, so the sequence can be read several times without
    being held in memory. `count` may be None when a producer does not know it in advance.
    """

    fps: float
    width: int
    height: int
    source: Callable[[], Iterable[np.ndarray]]
    count: int | None = None

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.source())

    @property
    def duration(self) -> float | None:
        return None if self.count is None else self.count / self.fps

    @classmethod
    def from_arrays(cls, frames: list[np.ndarray], fps: float) -> Frames:
        if not frames:
            raise ValueError("a frame sequence needs at least one frame")
        height, width = frames[0].shape[:2]
        return cls(fps=fps, width=width, height=height, source=lambda: frames, count=len(frames))

    def chunks(self, size: int) -> Iterator[list[np.ndarray]]:
        chunk: list[np.ndarray] = []
        for frame in self:
            chunk.append(frame)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


@dataclass
class MediaFile:
    """A file-backed value (audio, video). `meta` is recorded on the artifact (duration, codec...)."""

    path: Path
    mime: str
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str


@dataclass
class Subtitles:
    cues: list[Cue]
    language: str = "und"  # BCP 47 or ISO 639 code of the cues' language

    def to_json(self) -> dict:
        return {"language": self.language,
                "cues": [{"start": c.start, "end": c.end, "text": c.text} for c in self.cues]}

    @classmethod
    def from_json(cls, data: dict) -> Subtitles:
        return cls(cues=[Cue(**c) for c in data["cues"]], language=data.get("language", "und"))
