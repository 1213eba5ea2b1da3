"""image.grid: a contact sheet of gathered images, each labelled (its seed and prompt, or any text)."""
from __future__ import annotations

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.fonts import FontChooser
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.review.contact_sheet import SheetStyle, draw_sheet
from reelgraph.nodes.review.labels import sheet_labels


def parse_color(text: str) -> tuple[int, int, int]:
    from PIL import ImageColor

    try:
        return ImageColor.getrgb(text)[:3]
    except ValueError:
        raise NodeError(f"'{text}' is not a color", param="background",
                        hint="write a CSS color: '#202020', 'white', 'rgb(32, 32, 32)'") from None


class ImageGrid(Node):
    """Lay gathered images out as a contact sheet, each with a label under it: the seed and prompt
    of keyframe.generate's `generation` record gathered beside the images, or your own text. For
    reviewing a seed sweep at a glance: `images: kf[seed=*].image`, `labels: kf[seed=*].generation`."""

    type = "image.grid"
    version = 1
    title = "Contact sheet"
    category = "review"
    inputs = {
        "images": Input(PortKind.IMAGE, "The images, in order (gather them: kf[seed=*].image)", gather=True),
        "labels": Input(PortKind.JSON, "One label per image: a generation record (its seed and prompt are "
                                       "shown) or any text (gather them: kf[seed=*].generation)",
                        gather=True, optional=True),
    }
    outputs = {
        "image": Output(PortKind.IMAGE, "The contact sheet"),
        "cells": Output(PortKind.JSON, "Where each image and its label went: x, y, width, image_height, "
                                       "label_y, label_height and the label text, in image order"),
    }

    class Params(NodeParams):
        labels: list[str] = Field([], max_length=10_000, description="One label per image, written before "
                                  "what the gathered labels say; empty: the gathered labels alone")
        columns: int = Field(4, ge=1, le=100, description="Images per row")
        spacing: int = Field(8, ge=0, le=1000, description="Pixels between the images and around the sheet")
        background: str = Field("#202020", max_length=64, description="Sheet color (CSS: '#202020', 'white')")
        label_size: int = Field(16, ge=6, le=200, description="Label font size in pixels")
        label_lines: int = Field(3, ge=1, le=20, description="Lines a label may wrap to before it is cut "
                                                             "with an ellipsis")
        cell_width: int = Field(0, ge=0, le=8192, description="Width each image is scaled to fit; 0: the "
                                "widest image's width, images unscaled")

    def run(self, ctx, params, *, images, labels=None):
        if not images:
            raise NodeError("there are no images to lay out", port="images",
                            hint="gather the images of a fan-out: kf[seed=*].image")
        texts = sheet_labels(len(images), labels, params.labels)
        fonts = FontChooser(bold=False)
        for text in texts:
            fonts.check_covers(text, port="labels")
        style = SheetStyle(columns=params.columns, spacing=params.spacing, background=parse_color(params.background),
                           label_size=params.label_size, label_lines=params.label_lines,
                           cell_width=params.cell_width)
        sheet, cells = draw_sheet(list(images), texts, style, fonts)
        return {"image": sheet, "cells": [cell.as_json() for cell in cells]}
