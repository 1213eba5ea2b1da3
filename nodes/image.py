"""Still images: load from files, resize."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams, file_param
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind


class ImageLoad(Node):
    """Load one or more image files (PNG, JPEG, WebP...) from the workspace, as RGB."""

    type = "image.load"
    title = "Load images"
    category = "image"
    outputs = {
        "images": Output(PortKind.IMAGES, "Every image, in the order given"),
        "image": Output(PortKind.IMAGE, "The first image"),
    }

    class Params(NodeParams):
        paths: list[str] = file_param(description="Image files, relative to the graph document", min_length=1)

    def run(self, ctx, params):
        from PIL import Image, UnidentifiedImageError

        images = []
        for index, path in enumerate(params.paths):
            real = ctx.resolve_path(path, param=f"paths[{index}]")
            try:
                with Image.open(real) as image:
                    images.append(image.convert("RGB"))
            except FileNotFoundError:
                raise NodeError(f"no image file at '{path}'", param=f"paths[{index}]",
                                hint="check the path; it is relative to the graph document") from None
            except UnidentifiedImageError:
                raise NodeError(f"'{path}' is not an image Pillow can read", param=f"paths[{index}]",
                                hint="use PNG, JPEG or WebP") from None
        return {"images": images, "image": images[0]}


class ImageResize(Node):
    """Resize an image with Lanczos resampling, stretching, letterboxing or cropping to fit."""

    type = "image.resize"
    title = "Resize image"
    category = "image"
    inputs = {"image": Input(PortKind.IMAGE, "The image to resize")}
    outputs = {"image": Output(PortKind.IMAGE, "The resized image")}

    class Params(NodeParams):
        width: int = Field(512, ge=1, le=8192, description="Output width in pixels")
        height: int = Field(512, ge=1, le=8192, description="Output height in pixels")
        fit: Literal["stretch", "contain", "cover"] = Field(
            "cover", description="stretch: ignore the aspect ratio; contain: letterbox; cover: crop")

    def run(self, ctx, params, *, image):
        from PIL import Image, ImageOps

        size = (params.width, params.height)
        if params.fit == "stretch":
            resized = image.resize(size, Image.Resampling.LANCZOS)
        elif params.fit == "contain":
            resized = ImageOps.pad(image, size, Image.Resampling.LANCZOS)
        else:
            resized = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
        return {"image": resized}


NODE_TYPES = [ImageLoad, ImageResize]
