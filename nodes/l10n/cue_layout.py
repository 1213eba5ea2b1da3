"""Cutting spoken lines into subtitle cues that people can read.

A spoken line becomes one or more cues: split at sentence ends, then wrapped to `max_line_chars`
per line and `max_lines` per cue (two-line cues are balanced, the way subtitlers break them). A
line's speech time is shared among its cues in proportion to their length. Then each cue is held
long enough to read at `max_chars_per_second` (and at least `min_seconds`), borrowing the silence
before the next cue but never overlapping it; cues that still read too fast are reported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from reelgraph.nodes.values import Cue

# Sentence ends in Latin, Arabic (؟ ۔), Devanagari (। ॥) and CJK punctuation.
_SENTENCE_END = re.compile(r"(?<=[.!?;؟۔।॥。！？])\s+")


@dataclass(frozen=True)
class CueLimits:
    max_line_chars: int = 42
    max_lines: int = 2
    max_chars_per_second: float = 17.0
    min_seconds: float = 0.8


def wrap_words(text: str, max_line_chars: int) -> list[str]:
    """Greedy word wrap; a word longer than a line is cut, since nothing else can fit it."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > max_line_chars:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:max_line_chars])
            word = word[max_line_chars:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= max_line_chars:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _balanced_two_lines(words: list[str], max_line_chars: int) -> list[str]:
    """The split of a two-line cue whose longer line is shortest (a pyramid, not a long top line)."""
    best: list[str] | None = None
    for cut in range(1, len(words)):
        top, bottom = " ".join(words[:cut]), " ".join(words[cut:])
        if len(top) <= max_line_chars and len(bottom) <= max_line_chars:
            if best is None or max(len(top), len(bottom)) < max(map(len, best)):
                best = [top, bottom]
    return best or wrap_words(" ".join(words), max_line_chars)


def cue_texts(text: str, limits: CueLimits) -> list[str]:
    """The texts of the cues for one spoken line, lines joined with newlines."""
    texts = []
    for sentence in _SENTENCE_END.split(text.strip()):
        lines = wrap_words(sentence, limits.max_line_chars)
        for first in range(0, len(lines), limits.max_lines):
            page = lines[first:first + limits.max_lines]
            if len(page) == 2:
                page = _balanced_two_lines(" ".join(page).split(), limits.max_line_chars)
            texts.append("\n".join(page))
    return [t for t in texts if t]


def _reading_chars(text: str) -> int:
    return len(text.replace("\n", ""))


def cues_for_line(text: str, start: float, end: float, limits: CueLimits) -> list[Cue]:
    texts = cue_texts(text, limits)
    total = sum(_reading_chars(t) for t in texts) or 1
    cues, cursor = [], start
    for index, piece in enumerate(texts):
        piece_end = end if index == len(texts) - 1 else cursor + (end - start) * _reading_chars(piece) / total
        cues.append(Cue(round(cursor, 3), round(piece_end, 3), piece))
        cursor = piece_end
    return cues


def hold_for_reading(cues: list[Cue], limits: CueLimits, *,
                     end_of_media: float | None = None) -> tuple[list[Cue], list[Cue]]:
    """Cues lengthened to be readable, and those still faster than max_chars_per_second."""
    held, too_fast = [], []
    for index, cue in enumerate(cues):
        needed = max(_reading_chars(cue.text) / limits.max_chars_per_second, limits.min_seconds)
        limit = cues[index + 1].start if index + 1 < len(cues) else end_of_media
        end = max(cue.end, cue.start + needed)
        if limit is not None:
            end = min(end, max(limit, cue.end))
        cue = Cue(cue.start, round(end, 3), cue.text)
        held.append(cue)
        if _reading_chars(cue.text) / max(cue.end - cue.start, 1e-6) > limits.max_chars_per_second + 1e-6:
            too_fast.append(cue)
    return held, too_fast
