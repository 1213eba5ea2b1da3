"""frames.refine: temporal refinement of a frame sequence (deflicker, stabilize, diffusion)."""
from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from reelgraph.nodes.api import Node, Resources
from reelgraph.nodes.diffusion.loading import model_identity
from reelgraph.nodes.directing.generation import GenerationParams, check_steps, model_params
from reelgraph.nodes.directing.masks import FEATHER_DESCRIPTION, composite, resolve_mask
from reelgraph.nodes.directing.shapes import MaskShape
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import Frames


class FramesRefine(Node):
    """Clean up a frame sequence over time. deflicker: flow-aligned temporal filtering of low-
    frequency luminance and colour, occlusion-aware, detail untouched. stabilize: smooth the camera
    path estimated from global motion, hiding borders by a zoom or filling them. diffusion: repaint
    every frame with an image-to-image model at a low strength, each frame's noise warped from the
    previous one along the optical flow so the same content gets the same noise. An optional mask
    (deflicker, diffusion) limits the change to a region. Frames stream through."""

    type = "frames.refine"
    title = "Refine frames"
    category = "directing"
    inputs = {
        "frames": Input(PortKind.FRAMES, "The sequence to refine"),
        "mask": Input(PortKind.IMAGE, "Where to refine, white = refine (deflicker, diffusion)", optional=True),
        "embeddings": Input(PortKind.EMBEDDING, "diffusion: prompt embeddings from text.encode", optional=True),
    }
    outputs = {"frames": Output(PortKind.FRAMES, "The refined sequence")}
    resources = Resources(gpus=1, cpus=1)

    class Params(GenerationParams):
        mode: Literal["deflicker", "stabilize", "diffusion"] = Field("deflicker", description="What to refine")
        window: float = Field(15.0, ge=2, le=240, description="deflicker: frames whose colours are averaged "
                                                             "(longer: steadier, slower to follow real changes)")
        radius: float = Field(32.0, ge=4, le=1024, description="deflicker: size in pixels of the smallest "
                              "brightness or colour change corrected (finer detail is never touched)")
        smoothing: float = Field(1.0, ge=0, le=60, description="stabilize: seconds over which the camera "
                                 "path is smoothed (longer: steadier)")
        border: Literal["crop", "reflect", "replicate", "black"] = Field(
            "crop", description="stabilize: crop zooms in (up to max_zoom) until no border shows; the others "
                                "fill the border")
        max_zoom: float = Field(1.15, ge=1, le=2, description="stabilize, crop: the largest zoom allowed; "
                                                              "borders past it are reflected")
        strength: float = Field(0.35, gt=0, le=1, description="diffusion: how much of each frame is repainted")
        noise: Literal["warped", "independent"] = Field(
            "warped", description="diffusion: warped carries each frame's noise along the optical flow; "
                                  "independent draws new noise per frame (for comparison)")
        resolution: int = Field(512, ge=64, le=2048, multiple_of=8, description="diffusion: frames larger than "
                                "this on their longer side are repainted at this size and scaled back")
        shapes: list[MaskShape] = Field([], max_length=1000, description="Where to refine, when no mask is "
                                        "connected; empty: everywhere")
        feather: float = Field(8.0, ge=0, le=1000, description=FEATHER_DESCRIPTION)

    @classmethod
    def resources_for(cls, params) -> Resources:
        return cls.resources if params.mode == "diffusion" else Resources(cpus=1)

    @classmethod
    def model_ids(cls, params) -> list[str]:
        return [model_identity(model_params(params))] if params.mode == "diffusion" and params.model else []

    def run(self, ctx, params, *, frames: Frames, mask=None, embeddings=None):
        width, height = frames.width, frames.height
        mask = resolve_mask(mask, params.shapes, params.feather, width, height, required=False)
        if mask is not None and params.mode == "stabilize":
            raise NodeError("stabilize moves whole frames and takes no mask", param="shapes",
                            hint="remove the mask, or stabilize first and refine a region afterwards")
        if embeddings is not None and params.mode != "diffusion":
            raise NodeError(f"embeddings are used by mode diffusion only, not {params.mode}", port="embeddings",
                            hint="disconnect the embeddings, or set mode: diffusion")
        source = {"deflicker": self._deflicker, "stabilize": self._stabilize,
                  "diffusion": self._diffusion}[params.mode](ctx, params, frames, embeddings)
        if mask is not None:
            refined = source

            def source():
                for original, changed in zip(frames, refined()):
                    yield composite(original, changed, mask)
        return {"frames": Frames(fps=frames.fps, width=width, height=height, source=source, count=frames.count)}

    def _deflicker(self, ctx, params, frames, embeddings):
        from reelgraph.nodes.directing.deflicker import deflicker

        def source():
            for index, frame in enumerate(deflicker(frames, frames.width, frames.height, params.window,
                                                    params.radius)):
                ctx.progress(index + 1, frames.count, "deflickering")
                yield frame
        return source

    def _stabilize(self, ctx, params, frames, embeddings):
        from reelgraph.nodes.directing.stabilize import apply_corrections, camera_path, smooth_path, zoom_to_hide_borders

        path = camera_path(frames, frames.width, frames.height,
                           on_frame=lambda index: ctx.progress(index + 1, frames.count, "measuring camera shake"))
        deltas = smooth_path(path, params.smoothing * frames.fps) - path
        zoom = 1.0
        if params.border == "crop":
            zoom = zoom_to_hide_borders(deltas, frames.width, frames.height, params.max_zoom)
        ctx.log.info("stabilize: largest correction %.1f px, zoom %.3f", np.abs(deltas[:, :2]).max(), zoom)
        border = "reflect" if params.border == "crop" else params.border

        def source():
            for index, frame in enumerate(apply_corrections(frames, deltas, frames.width, frames.height, zoom,
                                                            border)):
                ctx.progress(index + 1, frames.count, "stabilizing")
                yield frame
        return source

    def _diffusion(self, ctx, params, frames, embeddings):
        from reelgraph.nodes.diffusion.loading import load_pipeline
        from reelgraph.nodes.diffusion.prompts import embedding_arguments, encode_prompt
        from reelgraph.nodes.diffusion.sampling import out_of_memory_as_node_error, run_view
        from reelgraph.nodes.directing.refine_diffusion import check_model, refine_frames

        check_steps(params)
        resident = load_pipeline(ctx, model_params(params), "text_to_image", offload=params.cpu_offload)
        check_model(resident, params.model)
        if embeddings is not None and (params.prompt or params.negative_prompt):
            raise NodeError("both embeddings and a prompt are given", param="prompt",
                            hint="leave prompt and negative_prompt empty when embeddings are connected")

        def source():
            with run_view(resident, params.scheduler, "image_to_image") as pipeline, out_of_memory_as_node_error():
                if embeddings is not None:
                    conditioning = embedding_arguments(pipeline, embeddings, {"prompt_embeds", "negative_prompt_embeds"})
                else:
                    conditioning = encode_prompt(pipeline, params.prompt, params.negative_prompt)
                yield from refine_frames(ctx, pipeline, params, frames, frames.width, frames.height, conditioning,
                                         frames.count)
        return source


