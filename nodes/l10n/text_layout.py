"""Laying out one line of caption text: font runs, bidirectional order, shaping by raqm.

A line is cut into runs that share a font (see fonts.py). Each run is shaped by Pillow's raqm
layout (libraqm: HarfBuzz + FriBidi), which joins Arabic letters, places Devanagari vowel signs
and orders the run right to left when asked. Across runs, this module does the part of the
Unicode bidi algorithm captions need: strong right-to-left runs get odd levels, left-to-right
runs inside them even ones, neutral runs (spaces, full stops in a fallback font) take the level
of their surroundings, and runs are reordered by level (rule L2 of UAX #9).

Without raqm, Pillow's basic layout draws Arabic as unjoined letters in the wrong order, silently;
`require_raqm` refuses to go on instead.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.fonts import FontChooser

RTL_CLASSES = frozenset({"R", "AL"})


def require_raqm() -> None:
    from PIL import features

    if not features.check("raqm"):
        raise NodeError("Pillow cannot shape complex scripts here: its raqm layout is missing",
                        code="missing_raqm",
                        hint="apt-get install libraqm0 libfribidi0 libharfbuzz0b, then check "
                             "python -c \"from PIL import features; print(features.check('raqm'))\"")


@cache
def load_font(path: Path, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.RAQM)


@dataclass
class TextRun:
    text: str
    font_path: Path
    strong: str | None = None   # "rtl", "ltr", "mixed", or None for neutral text
    level: int = 0

    @property
    def direction(self) -> str:
        return "rtl" if self.level % 2 else "ltr"


def _strong_direction(text: str) -> str | None:
    classes = {unicodedata.bidirectional(char) for char in text}
    rtl, ltr = bool(classes & RTL_CLASSES), "L" in classes
    return "mixed" if rtl and ltr else "rtl" if rtl else "ltr" if ltr else None


def paragraph_is_rtl(text: str) -> bool:
    """UAX #9 rule P2: the first strong character decides."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in RTL_CLASSES:
            return True
        if kind == "L":
            return False
    return False


def font_runs(text: str, fonts: FontChooser) -> list[TextRun]:
    runs: list[TextRun] = []
    for char in text:
        current = runs[-1].font_path if runs else None
        path = fonts.font_for(char, current) or current or fonts.candidates(None)[0]
        if runs and path == current:
            runs[-1].text += char
        else:
            runs.append(TextRun(char, path))
    for run in runs:
        run.strong = _strong_direction(run.text)
    return runs


def resolve_levels(runs: list[TextRun], rtl: bool) -> None:
    base = 1 if rtl else 0
    for index, run in enumerate(runs):
        if run.strong == "rtl":
            run.level = 1
        elif run.strong == "ltr":
            run.level = 2 if rtl else 0
        elif run.strong == "mixed":
            run.level = base  # raqm reorders inside the run around this base direction
        else:
            before = next((r.strong for r in reversed(runs[:index]) if r.strong), None)
            after = next((r.strong for r in runs[index + 1:] if r.strong), None)
            if before == after == "ltr":
                run.level = 2 if rtl else 0
            elif before == after == "rtl":
                run.level = 1
            else:
                run.level = base


def visual_order(runs: list[TextRun]) -> list[TextRun]:
    """UAX #9 rule L2 at run granularity: from the highest level down to 1, reverse every
    maximal sequence of runs at that level or above."""
    ordered = list(runs)
    for level in range(max((r.level for r in runs), default=0), 0, -1):
        index = 0
        while index < len(ordered):
            if ordered[index].level >= level:
                end = index
                while end < len(ordered) and ordered[end].level >= level:
                    end += 1
                ordered[index:end] = reversed(ordered[index:end])
                index = end
            else:
                index += 1
    return ordered


@dataclass
class LineLayout:
    """A shaped line: runs in visual (left-to-right drawing) order with their x offsets."""

    runs: list[TextRun]
    offsets: list[float]
    width: float
    ascent: int
    descent: int
    size: int
    language: str

    def draw(self, draw, x: float, baseline: float, *, fill, stroke_width: int = 0, stroke_fill=None) -> None:
        for run, offset in zip(self.runs, self.offsets, strict=True):
            draw.text((x + offset, baseline), run.text, font=load_font(run.font_path, self.size), anchor="ls",
                      direction=run.direction, language=self.language or None, fill=fill,
                      stroke_width=stroke_width, stroke_fill=stroke_fill)


def layout_line(text: str, *, size: int, fonts: FontChooser, language: str = "",
                rtl: bool | None = None) -> LineLayout:
    """Shape one line. `rtl` is the paragraph direction (None: from its first strong character)."""
    runs = font_runs(text, fonts)
    resolve_levels(runs, paragraph_is_rtl(text) if rtl is None else rtl)
    ordered = visual_order(runs)
    offsets, cursor, ascent, descent = [], 0.0, 0, 0
    for run in ordered:
        font = load_font(run.font_path, size)
        offsets.append(cursor)
        cursor += font.getlength(run.text, direction=run.direction, language=language or None)
        run_ascent, run_descent = font.getmetrics()
        ascent, descent = max(ascent, run_ascent), max(descent, run_descent)
    return LineLayout(ordered, offsets, cursor, ascent, descent, size, language)


def wrap_to_width(text: str, max_width: float, measure) -> list[str]:
    """Greedy word wrap of every paragraph by measured width (`measure(line) -> pixels`)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if current and measure(candidate) > max_width:
                lines.append(current)
                current = word
            else:
                current = candidate
        if current:
            lines.append(current)
    return lines
