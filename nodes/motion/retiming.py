"""Retiming: which input frames, and which time between them, each output frame shows.

Output frame j shows the moment j / output_fps, that is input position s = j * input_fps /
output_fps: between input frames floor(s) and floor(s) + 1, at t = s - floor(s). The duration is
kept (n input frames last n / input_fps seconds, so there are round(n * output_fps / input_fps)
output frames): past the last input frame there is nothing to interpolate towards, and the last
frame is held, which keeps picture and sound in sync.

Positions use exact fractions, so a factor of 3 gives t = 1/3 and 2/3 exactly and never drifts
over a long sequence.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from typing import Protocol

import numpy as np


class InBetween(Protocol):
    def at(self, t: float) -> np.ndarray: ...


def exact_rate(fps: float) -> Fraction:
    """A frame rate as a fraction (23.976... becomes 24000/1001)."""
    return Fraction(fps).limit_denominator(100_000)


def output_count(input_count: int, step: Fraction) -> int:
    """Frames in the retimed sequence; `step` is input frames advanced per output frame."""
    return max(1, int(Fraction(input_count) / step + Fraction(1, 2)))


def retimed(frames: Iterable[np.ndarray], step: Fraction, pair: Callable[[np.ndarray, np.ndarray], InBetween],
            input_count: int | None = None,
            on_pair_done: Callable[[int], None] | None = None) -> Iterator[np.ndarray]:
    """The output frames, holding only the two current neighbours (and their flows) in memory.

    `pair(a, b)` prepares in-betweens of two neighbours; it is called only for pairs that have
    an output frame strictly between them.
    """
    total = None if input_count is None else output_count(input_count, step)
    index = 0  # next output frame
    previous: np.ndarray | None = None
    position = -1  # input index of `previous`
    for frame in frames:
        if previous is not None:
            prepared: InBetween | None = None
            while (total is None or index < total) and index * step < position + 1:
                t = index * step - position
                if t == 0:
                    yield previous
                else:
                    if prepared is None:
                        prepared = pair(previous, frame)
                    yield prepared.at(float(t))
                index += 1
            if on_pair_done is not None:
                on_pair_done(position + 1)
        previous, position = frame, position + 1
    if previous is None:
        return
    total = output_count(position + 1, step) if total is None else total
    while index < total:  # at and past the last input frame: hold it
        yield previous
        index += 1
