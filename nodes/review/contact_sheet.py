"""Laying out and drawing a contact sheet: images in a grid, each with its label underneath.

Every cell has the same size (the largest image, or `cell_width` wide with the images scaled to
fit), so a sheet of a seed sweep lines its branches up like a photographer's proof sheet. Labels
are shaped with the caption machinery (nodes/l10n: a font per script, raqm shaping), wrapped to
the cell's width and cut with an ellipsis after `label_lines` lines; each label is drawn into its
own strip, so a long word is clipped at its cell instead of running into the next one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.fonts import FontChooser
from reelgraph.nodes.l10n.text_layout import LineLayout, layout_line, wrap_to_width

ELLIPSIS = "…"
MAX_SHEET_PIXELS = 120_000_000  # a 4-column sheet of 4K frames is 80 MP; more is a mistake


@dataclass(frozen=True)
class SheetStyle:
    columns: int
    spacing: int
    background: tuple[int, int, int]
    label_size: int
    label_lines: int
    cell_width: int   # 0: the widest image's width

    @property
    def text_color(self) -> tuple[int, int, int]:
        red, green, blue = self.background
        light = 0.2126 * red + 0.7152 * green + 0.0722 * blue > 128
        return (20, 20, 20) if light else (240, 240, 240)

    @property
    def label_padding(self) -> int:
        return max(2, self.label_size // 3)


@dataclass(frozen=True)
class Cell:
    index: int
    x: int            # the cell's top-left corner on the sheet
    y: int
    width: int
    image_height: int
    label_height: int
    label: str

    def as_json(self) -> dict:
        return {"index": self.index, "x": self.x, "y": self.y, "width": self.width,
                "image_height": self.image_height, "label_y": self.y + self.image_height,
                "label_height": self.label_height, "label": self.label}


def cell_size(sizes: list[tuple[int, int]], cell_width: int) -> tuple[int, int]:
    if not cell_width:
        return max(w for w, _ in sizes), max(h for _, h in sizes)
    return cell_width, max(math.ceil(h * cell_width / w) for w, h in sizes)


def _fit_line(text: str, width: float, measure) -> str:
    while text and measure(text + ELLIPSIS) > width:
        text = text[:-1].rstrip()
    return text + ELLIPSIS


def label_lines(text: str, style: SheetStyle, width: int, fonts: FontChooser) -> list[LineLayout]:
    """The shaped lines of one label, wrapped to `width` and cut after style.label_lines lines."""
    def measure(line: str) -> float:
        return layout_line(line, size=style.label_size, fonts=fonts).width

    room = width - 2 * style.label_padding
    lines = wrap_to_width(text, room, measure)
    if len(lines) > style.label_lines:
        lines = lines[:style.label_lines]
        lines[-1] = _fit_line(lines[-1], room, measure)
    return [layout_line(line, size=style.label_size, fonts=fonts) for line in lines]


@dataclass(frozen=True)
class LabelMetrics:
    ascent: int
    descent: int
    lines: int

    @property
    def line_height(self) -> int:
        return round((self.ascent + self.descent) * 1.1)

    def strip_height(self, padding: int) -> int:
        if not self.lines:
            return 0
        return self.line_height * (self.lines - 1) + self.ascent + self.descent + 2 * padding


def draw_label(lines: list[LineLayout], width: int, metrics: LabelMetrics, style: SheetStyle):
    """One label strip: its lines centred (which reads the same in both directions)."""
    from PIL import Image, ImageDraw

    strip = Image.new("RGB", (width, metrics.strip_height(style.label_padding)), style.background)
    draw = ImageDraw.Draw(strip)
    for number, line in enumerate(lines):
        baseline = style.label_padding + metrics.ascent + number * metrics.line_height
        line.draw(draw, max(0.0, (width - line.width) / 2), baseline, fill=style.text_color)
    return strip


def draw_sheet(images: list, labels: list[str], style: SheetStyle, fonts: FontChooser):
    """The sheet image and its cells (where each image and label went)."""
    from PIL import Image, ImageOps

    width, height = cell_size([image.size for image in images], style.cell_width)
    shaped = [label_lines(text, style, width, fonts) for text in labels]
    every_line = [line for lines in shaped for line in lines]
    metrics = LabelMetrics(max((line.ascent for line in every_line), default=0),
                           max((line.descent for line in every_line), default=0),
                           max(len(lines) for lines in shaped))
    label_height = metrics.strip_height(style.label_padding)
    columns = min(style.columns, len(images))
    rows = math.ceil(len(images) / columns)
    sheet_width = columns * width + (columns + 1) * style.spacing
    sheet_height = rows * (height + label_height) + (rows + 1) * style.spacing
    if sheet_width * sheet_height > MAX_SHEET_PIXELS:
        raise NodeError(f"the sheet would be {sheet_width}x{sheet_height} pixels", param="cell_width",
                        hint="set cell_width to draw the images smaller (e.g. 256)")
    sheet = Image.new("RGB", (sheet_width, sheet_height), style.background)
    cells = []
    for index, (image, text, lines) in enumerate(zip(images, labels, shaped, strict=True)):
        x = style.spacing + (index % columns) * (width + style.spacing)
        y = style.spacing + (index // columns) * (height + label_height + style.spacing)
        picture = image.convert("RGB")
        if picture.size != (width, height) and style.cell_width:
            picture = ImageOps.contain(picture, (width, height))
        sheet.paste(picture, (x + (width - picture.width) // 2, y + (height - picture.height) // 2))
        if label_height:
            sheet.paste(draw_label(lines, width, metrics, style), (x, y + height))
        cells.append(Cell(index, x, y, width, height, label_height, text))
    return sheet, cells
