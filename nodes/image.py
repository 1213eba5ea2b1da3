"""Still images: load from files, resize."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams, file_param
from reelgraph.nodes.image_files import ImageFile, read_rgb_images
from reelgraph.nodes.ports import Input, Output, PortKind


class ImageLoad(Node):
    """Load one or more image files (PNG, JPEG, WebP, TIFF...) from the workspace as 8-bit RGB:
    16-bit and float samples scaled, transparency flattened onto a background, EXIF rotation
    applied; a file past the pixel caps (REELGRAPH_MAX_IMAGE_PIXELS, REELGRAPH_MAX_NODE_PIXELS)
    is refused before it is decoded."""

    type = "image.load"
    version = 2  # 16-bit, float, transparent and EXIF-rotated files load differently from v1
    title = "Load images"
    category = "image"
    outputs = {
        "images": Output(PortKind.IMAGES, "Every image, in the order given"),
        "image": Output(PortKind.IMAGE, "The first image"),
    }

    class Params(NodeParams):
        paths: list[str] = file_param(description="Image files, relative to the graph document", min_length=1)
        background: str = Field("#ffffff", pattern=r"^#[0-9a-fA-F]{6}$",
                                description="Colour shown where an image is transparent (#rrggbb)")

    def run(self, ctx, params):
        files = [ImageFile(ctx.resolve_path(path, param=f"paths[{index}]"), path, f"paths[{index}]")
                 for index, path in enumerate(params.paths)]
        background = tuple(int(params.background[i:i + 2], 16) for i in (1, 3, 5))
        images = read_rgb_images(files, background)
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
