"""Drawing a caption block (shaped lines on a translucent box) and blending it into frames.

A caption's pixels are rendered once, as a small RGBA patch with its place in the frame, and
blended into every frame it covers: frames stream past, the patch stays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reelgraph.nodes.l10n.fonts import FontChooser
from reelgraph.nodes.l10n.locales import is_right_to_left
from reelgraph.nodes.l10n.text_layout import layout_line, wrap_to_width


@dataclass(frozen=True)
class CaptionStyle:
    font_size: int
    position: str = "bottom"           # bottom | top | center
    margin: int = 8                     # pixels from the frame's edge
    color: tuple[int, int, int] = (255, 255, 255)
    box_opacity: float = 0.55           # 0: no box behind the text
    line_spacing: float = 1.15
    max_width_fraction: float = 0.9     # lines wrap beyond this share of the frame width


@dataclass
class CaptionPatch:
    rgba: np.ndarray   # h x w x 4 uint8
    x: int
    y: int


def render_caption(text: str, frame_width: int, frame_height: int, style: CaptionStyle, *,
                   language: str, fonts: FontChooser) -> CaptionPatch | None:
    from PIL import Image, ImageDraw

    rtl = is_right_to_left(language) if language else None

    def layout(line: str):
        return layout_line(line, size=style.font_size, fonts=fonts, language=language, rtl=rtl)

    max_width = frame_width * style.max_width_fraction
    lines = [layout(line) for line in wrap_to_width(text, max_width, lambda line: layout(line).width)]
    if not lines:
        return None
    ascent = max(line.ascent for line in lines)
    descent = max(line.descent for line in lines)
    line_height = int(round((ascent + descent) * style.line_spacing))
    padding = max(2, style.font_size // 4)
    width = int(min(frame_width, max(line.width for line in lines) + 2 * padding))
    height = int(min(frame_height, line_height * (len(lines) - 1) + ascent + descent + 2 * padding))
    patch = Image.new("RGBA", (width, height), (0, 0, 0, int(round(255 * style.box_opacity))))
    draw = ImageDraw.Draw(patch)
    stroke = 0 if style.box_opacity >= 0.3 else max(1, style.font_size // 16)  # an outline when no box
    for index, line in enumerate(lines):
        x = (width - line.width) / 2  # centred, which reads the same in both directions
        line.draw(draw, x, padding + ascent + index * line_height, fill=(*style.color, 255),
                  stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    x = (frame_width - width) // 2
    if style.position == "top":
        y = style.margin
    elif style.position == "center":
        y = (frame_height - height) // 2
    else:
        y = frame_height - height - style.margin
    return CaptionPatch(np.asarray(patch), x, max(0, y))


def blend(frame: np.ndarray, patch: CaptionPatch) -> np.ndarray:
    """A copy of `frame` with the patch alpha-blended in (frames from the store are read-only)."""
    out = frame.copy()
    h = min(patch.rgba.shape[0], out.shape[0] - patch.y)
    w = min(patch.rgba.shape[1], out.shape[1] - patch.x)
    region = out[patch.y:patch.y + h, patch.x:patch.x + w].astype(np.float32)
    rgba = patch.rgba[:h, :w].astype(np.float32)
    alpha = rgba[..., 3:4] / 255.0
    mixed = rgba[..., :3] * alpha + region * (1 - alpha)
    out[patch.y:patch.y + h, patch.x:patch.x + w] = np.round(mixed).astype(np.uint8)
    return out
