"""Masks as values: drawn from shapes (mask.draw) or read from a picture (mask.from_image).

A mask travels on an image port as a greyscale picture, white = selected, grey = partly selected
(a feathered edge). Nodes that accept a mask take it on a `mask` input or as `shapes` params, and
read it with `resolve_mask`, which checks its size against the picture it applies to.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams, file_param
from reelgraph.nodes.directing.shapes import MaskShape, feather_mask, shapes_mask
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind

FEATHER_DESCRIPTION = ("Width in pixels of the soft edge, centred on the shapes' outline; pixels farther "
                       "than half of it outside every shape are left exactly as they were")


def mask_to_image(mask: np.ndarray):
    """A float 0..1 mask as a greyscale picture (white = selected)."""
    from PIL import Image

    return Image.fromarray(np.round(np.clip(mask, 0, 1) * 255).astype(np.uint8), mode="L")


def grey_levels(image) -> np.ndarray:
    """Luminance as float32 0..1; 16-bit pictures scaled down by hand (Pillow's convert clips them)."""
    if image.mode in ("I;16", "I;16B", "I"):
        return np.clip(np.asarray(image).astype(np.float32) / 65535.0, 0, 1)
    return np.asarray(image.convert("L")).astype(np.float32) / 255.0


def image_to_mask(image) -> np.ndarray:
    """A mask picture as float32 0..1: its alpha channel when it has one and is not opaque,
    else its grey levels."""
    if image.mode in ("RGBA", "LA", "PA"):
        alpha = np.asarray(image.getchannel("A"))
        if alpha.min() < 255:
            return alpha.astype(np.float32) / 255.0
    return grey_levels(image)


def resolve_mask(mask_image, shapes: list, feather: float, width: int, height: int, *,
                 required: bool = True) -> np.ndarray | None:
    """The mask a node applies to a width x height picture: the `mask` input, or the `shapes`
    param, feathered. None when neither is given and the mask is optional."""
    if mask_image is not None and shapes:
        raise NodeError("both a mask input and mask shapes are given", param="shapes",
                        hint="connect the mask input or list shapes, not both")
    if mask_image is not None:
        if (mask_image.width, mask_image.height) != (width, height):
            raise NodeError(f"the mask is {mask_image.width}x{mask_image.height} but the picture is "
                            f"{width}x{height}", port="mask",
                            hint=f"draw the mask at {width}x{height} (mask.draw width/height), or resize it "
                                 "with image.resize, fit: stretch")
        mask = image_to_mask(mask_image)
        return feather_mask(mask >= 0.5, feather) if feather > 0 else mask
    if shapes:
        return shapes_mask(shapes, width, height, feather)
    if required:
        raise NodeError("there is no mask: no mask input and no shapes", param="shapes",
                        hint="list shapes (rectangle, ellipse, polygon), or connect mask.draw's mask")
    return None


def composite(original: np.ndarray, edited: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """original where the mask is 0 (byte for byte), edited where it is 1, blended in between."""
    alpha = mask[..., None]
    blended = original.astype(np.float32) * (1.0 - alpha) + edited.astype(np.float32) * alpha
    out = np.clip(np.round(blended), 0, 255).astype(np.uint8)
    untouched = mask <= 0
    out[untouched] = original[untouched]
    return out


class MaskDraw(Node):
    """Draw a mask from shapes: rectangles, ellipses and polygons in pixels or fractions of the
    frame, later shapes added or subtracted, with a feathered edge. White = selected."""

    type = "mask.draw"
    title = "Draw mask"
    category = "mask"
    inputs = {"image": Input(PortKind.IMAGE, "A picture whose size the mask takes (instead of width/height)",
                             optional=True)}
    outputs = {"mask": Output(PortKind.IMAGE, "Greyscale mask, white = selected")}

    class Params(NodeParams):
        shapes: list[MaskShape] = Field(min_length=1, max_length=1000, description="Shapes, drawn in order")
        width: int | None = Field(None, ge=1, le=8192, description="Mask width; the image input's when empty")
        height: int | None = Field(None, ge=1, le=8192, description="Mask height; the image input's when empty")
        feather: float = Field(0.0, ge=0, le=1000, description=FEATHER_DESCRIPTION)
        invert: bool = Field(False, description="Select everything but the shapes")

    def run(self, ctx, params, *, image=None):
        width = params.width or (image.width if image is not None else None)
        height = params.height or (image.height if image is not None else None)
        if width is None or height is None:
            raise NodeError("the mask has no size", param="width",
                            hint="set width and height, or connect the picture the mask is for")
        mask = shapes_mask(params.shapes, width, height, params.feather)
        return {"mask": mask_to_image(1.0 - mask if params.invert else mask)}


class MaskFromImage(Node):
    """Read a mask from a picture file or input: its alpha channel, or its grey levels, optionally
    thresholded, inverted and feathered. White = selected."""

    type = "mask.from_image"
    title = "Mask from image"
    category = "mask"
    inputs = {"image": Input(PortKind.IMAGE, "The picture to read (instead of the path param)", optional=True)}
    outputs = {"mask": Output(PortKind.IMAGE, "Greyscale mask, white = selected")}

    class Params(NodeParams):
        path: str | None = file_param(None, description="Picture file, relative to the graph document "
                                                        "(when no image is connected)")
        channel: Literal["auto", "alpha", "luminance"] = Field(
            "auto", description="auto: the alpha channel when the picture has a transparent one, else luminance")
        threshold: float | None = Field(None, ge=0, le=1, description="Select values at or above this "
                                        "(0..1) fully and drop the rest; empty: keep grey levels as they are")
        invert: bool = Field(False, description="Select what the picture leaves out")
        feather: float = Field(0.0, ge=0, le=1000, description=FEATHER_DESCRIPTION + " (thresholded masks)")

    def run(self, ctx, params, *, image=None):
        image = image if image is not None else self._open(ctx, params)
        if params.channel == "alpha":
            if "A" not in image.getbands():
                raise NodeError(f"the picture ({image.mode}) has no alpha channel", param="channel",
                                hint="use channel: luminance, or save the mask as a PNG with transparency")
            values = np.asarray(image.getchannel("A")).astype(np.float32) / 255.0
        elif params.channel == "luminance":
            values = grey_levels(image)
        else:
            values = image_to_mask(image)
        if params.invert:
            values = 1.0 - values
        if params.threshold is not None:
            values = feather_mask(values >= params.threshold, params.feather)
        elif params.feather > 0:
            raise NodeError("feather needs a threshold", param="feather",
                            hint="set threshold (0.5 for black-and-white masks), or leave feather at 0")
        return {"mask": mask_to_image(values)}

    def _open(self, ctx, params):
        from PIL import Image, UnidentifiedImageError

        if not params.path:
            raise NodeError("no picture to read", param="path", hint="set path, or connect an image")
        try:
            with Image.open(ctx.resolve_path(params.path, param="path")) as image:
                image.load()
                return image
        except FileNotFoundError:
            raise NodeError(f"no picture file at '{params.path}'", param="path",
                            hint="check the path; it is relative to the graph document") from None
        except UnidentifiedImageError:
            raise NodeError(f"'{params.path}' is not a picture Pillow can read", param="path",
                            hint="use PNG (with transparency for alpha masks) or JPEG") from None
