"""frames.upscale: make every frame bigger, with Lanczos resampling or a learned upscaler."""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from reelgraph.nodes.api import Node, NodeParams, Resources, file_param
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.upscale.learned import cached_upscaler, region_upscaler
from reelgraph.nodes.upscale.tiling import upscale_tiled
from reelgraph.nodes.values import Frames

if TYPE_CHECKING:  # annotations only; numpy is imported where a node runs, not when it is listed
    import numpy as np


MAX_SIDE = 16384  # pixels per side of an output frame: 16K, 768 MiB per RGB frame


def output_size(width: int, height: int, params, native_scale: float) -> tuple[int, int]:
    """The output size asked for: width/height, else scale, else the method's own factor."""
    if params.width and params.height:
        size = params.width, params.height
    elif params.width:
        size = params.width, max(1, round(height * params.width / width))
    elif params.height:
        size = max(1, round(width * params.height / height)), params.height
    else:
        factor = params.scale or native_scale
        size = max(1, round(width * factor)), max(1, round(height * factor))
    if max(size) > MAX_SIDE:  # a scale or one side with the aspect ratio can reach past the limit
        raise NodeError(f"the output would be {size[0]}x{size[1]} pixels, more than {MAX_SIDE} per side",
                        param="scale" if params.scale or not (params.width or params.height) else "width",
                        hint="ask for a smaller scale or size", code="invalid_param")
    return size


def lanczos_resize(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    if (frame.shape[1], frame.shape[0]) == size:
        return frame
    return cv2.resize(frame, size, interpolation=cv2.INTER_LANCZOS4)


class FramesUpscale(Node):
    """Upscale every frame: Lanczos resampling, or a learned upscaler (ESRGAN, Real-ESRGAN...)
    run in overlapping tiles so any frame size fits in memory. Frames stream through one by one."""

    type = "frames.upscale"
    version = 1
    title = "Upscale frames"
    category = "upscale"
    inputs = {"frames": Input(PortKind.FRAMES, "The frames to upscale")}
    outputs = {"frames": Output(PortKind.FRAMES, "The upscaled frames, at the same fps")}

    class Params(NodeParams):
        method: Literal["lanczos", "model"] = Field("lanczos", description="lanczos: resampling (fast, "
                                                    "soft); model: a learned upscaler from `weights`")
        scale: float | None = Field(None, gt=0, le=16, description="Size factor; default: 2 for lanczos, "
                                                                   "the model's own factor for model")
        width: int | None = Field(None, ge=1, le=MAX_SIDE, description="Output width; alone, the height "
                                                                       "follows the aspect ratio")
        height: int | None = Field(None, ge=1, le=MAX_SIDE, description="Output height; alone, the width "
                                                                        "follows the aspect ratio")
        weights: str | None = file_param(None, description="Upscaler weights for method=model: "
                                         ".safetensors, or .pth holding only tensors")
        tile: int = Field(256, ge=0, le=4096, description="Tile size in input pixels for method=model; "
                                                          "0 runs whole frames (more memory)")
        overlap: int = Field(16, ge=0, le=256, description="Context pixels around each tile, hiding seams")

        @model_validator(mode="after")
        def _coherent(self):
            if self.method == "model" and not self.weights:
                raise ValueError("method 'model' needs a weights file")
            if self.scale is not None and (self.width or self.height):
                raise ValueError("give either scale or width/height, not both")
            return self

    @classmethod
    def model_ids(cls, params) -> list[str]:
        return [params.weights] if params.method == "model" and params.weights else []

    @classmethod
    def resources_for(cls, params) -> Resources:
        return Resources(gpus=1, cpus=1) if params.method == "model" else cls.resources

    def run(self, ctx, params, *, frames: Frames):
        if params.method == "model":
            weights = ctx.resolve_path(params.weights, param="weights")
            model = cached_upscaler(ctx, weights, param="weights")
            size = output_size(frames.width, frames.height, params, native_scale=model.scale)
            upscale_region = region_upscaler(model)

            def upscale(frame: np.ndarray) -> np.ndarray:
                upscaled = upscale_tiled(frame, upscale_region, model.scale, tile=params.tile,
                                         overlap=params.overlap)
                return lanczos_resize(upscaled, size)  # to a size other than the model's own
        else:
            size = output_size(frames.width, frames.height, params, native_scale=2.0)

            def upscale(frame: np.ndarray) -> np.ndarray:
                return lanczos_resize(frame, size)

        def upscaled_frames():
            for index, frame in enumerate(frames):
                yield upscale(frame)
                ctx.progress(index + 1, frames.count, "upscaling")

        return {"frames": Frames(fps=frames.fps, width=size[0], height=size[1], source=upscaled_frames,
                                 count=frames.count)}
