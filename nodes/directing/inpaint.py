"""image.inpaint: repaint the masked region of a picture, keep every other pixel exactly.

Two methods. `fill` continues the surrounding pixels into the hole with OpenCV (Telea's fast
marching, or Navier-Stokes): no model, instant, good for small defects and for uncovered
background. `model` repaints with a diffusers in-painting pipeline (SD or SDXL in-painting, or any
SD-family model through AutoPipelineForInpainting) on a crop around the mask scaled to the
model's resolution, so a small region of a large picture costs a small generation.

Either way the result is composited back through the feathered mask: where the mask is 0 the
output is the input, byte for byte (the VAE round trip never touches those pixels).
"""
from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from reelgraph.nodes.api import Resources
from reelgraph.nodes.api import Node
from reelgraph.nodes.diffusion.loading import model_identity
from reelgraph.nodes.directing.generation import GenerationParams, check_steps, model_params
from reelgraph.nodes.directing.masks import FEATHER_DESCRIPTION, composite, resolve_mask
from reelgraph.nodes.directing.shapes import MaskShape
from reelgraph.nodes.ports import Input, Output, PortKind

FillAlgorithm = Literal["telea", "navier-stokes"]


def fill_hole(image: np.ndarray, hole: np.ndarray, algorithm: FillAlgorithm = "telea", radius: int = 5) -> np.ndarray:
    """`image` with the pixels where `hole` is true continued from their surroundings (OpenCV)."""
    import cv2

    flags = cv2.INPAINT_TELEA if algorithm == "telea" else cv2.INPAINT_NS
    return cv2.inpaint(np.ascontiguousarray(image), hole.astype(np.uint8), radius, flags)


class ImageInpaint(Node):
    """Repaint the masked part of a picture and keep the rest exactly: with a diffusion in-painting
    model (prompt or embeddings, strength, steps, guidance, seed) or with `fill` (OpenCV Telea or
    Navier-Stokes, no model). Pixels outside the feathered mask are the input's, byte for byte."""

    type = "image.inpaint"
    title = "In-paint"
    category = "directing"
    inputs = {
        "image": Input(PortKind.IMAGE, "The picture to repaint"),
        "mask": Input(PortKind.IMAGE, "What to repaint, white = repaint (mask.draw, mask.from_image); "
                                      "instead of the shapes param", optional=True),
        "embeddings": Input(PortKind.EMBEDDING, "Prompt embeddings from text.encode with the same model",
                            optional=True),
    }
    outputs = {"image": Output(PortKind.IMAGE, "The repainted picture")}
    resources = Resources(gpus=1, cpus=1)

    class Params(GenerationParams):
        method: Literal["model", "fill"] = Field("fill", description="model: a diffusion in-painting model; "
                                                 "fill: continue the surroundings (OpenCV), no model")
        shapes: list[MaskShape] = Field([], max_length=1000, description="What to repaint, when no mask is "
                                        "connected: rectangles, ellipses, polygons")
        feather: float = Field(8.0, ge=0, le=1000, description=FEATHER_DESCRIPTION)
        fill_algorithm: FillAlgorithm = Field("telea", description="fill: Telea's fast marching or Navier-Stokes")
        fill_radius: int = Field(5, ge=1, le=100, description="fill: neighbourhood radius in pixels")
        resolution: int = Field(512, ge=64, le=2048, multiple_of=8, description="model: the crop around the "
                                "mask is scaled so its longer side is this (the model's native size)")
        context: int = Field(32, ge=0, le=2048, description="model: pixels of surroundings around the mask "
                                                            "that the model sees")

    @classmethod
    def resources_for(cls, params) -> Resources:
        return cls.resources if params.method == "model" else Resources(cpus=1)

    @classmethod
    def model_ids(cls, params) -> list[str]:
        return [model_identity(model_params(params))] if params.method == "model" and params.model else []

    def run(self, ctx, params, *, image, mask=None, embeddings=None):
        image = image.convert("RGB")
        original = np.asarray(image)
        mask = resolve_mask(mask, params.shapes, params.feather, image.width, image.height)
        if not (mask > 0).any():
            ctx.progress(1, 1, "empty mask: nothing to repaint")
            return {"image": image}
        if params.method == "fill":
            ctx.progress(0, 1, "filling")
            edited = fill_hole(original, mask > 0, params.fill_algorithm, params.fill_radius)
        else:
            from reelgraph.nodes.directing.inpaint_model import inpaint_with_model

            check_steps(params)
            edited = inpaint_with_model(ctx, params, original, mask, embeddings)
        ctx.progress(1, 1, "compositing")
        from PIL import Image

        return {"image": Image.fromarray(composite(original, edited, mask))}
