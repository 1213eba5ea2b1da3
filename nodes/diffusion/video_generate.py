"""video.generate: animate a picture into a short clip with an image-to-video diffusion model."""
from __future__ import annotations

import numpy as np
from pydantic import Field

from reelgraph.nodes.api import Node, Resources
from reelgraph.nodes.diffusion.loading import ModelParams, load_pipeline, model_identity
from reelgraph.nodes.diffusion.sampling import accepted_arguments, call_pipeline, run_view, seeded_generators, step_progress
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import Frames


def multiple_of_8(pixels: int) -> int:
    return max(64, pixels - pixels % 8)


class VideoGenerate(Node):
    """Animate a picture (a keyframe) into a short clip with Stable Video Diffusion, or another
    diffusers image-to-video pipeline whose call takes an image and a frame count. The picture is
    the clip's first frame; the model stays loaded between runs."""

    type = "video.generate"
    version = 1
    title = "Generate video from an image"
    category = "diffusion"
    inputs = {"image": Input(PortKind.IMAGE, "The picture to animate"),
              "mask": Input(PortKind.IMAGE, "Motion mask, white = animate (mask.draw): outside it the picture "
                                            "holds still, byte for byte", optional=True)}
    outputs = {"frames": Output(PortKind.FRAMES, "The generated clip, at fps")}
    resources = Resources(gpus=1, cpus=1)  # runs on the CPU when there is no CUDA (slowly)

    class Params(ModelParams):
        frames: int = Field(14, ge=2, le=128, description="Frames to generate (SVD: 14, SVD-XT: 25)")
        fps: int = Field(7, ge=1, le=60, description="Frame rate of the clip; SVD is also conditioned on it")
        steps: int = Field(25, ge=1, le=200, description="Denoising steps")
        width: int | None = Field(None, ge=64, le=2048, multiple_of=8,
                                  description="Frame width; empty: the picture's, rounded down to a multiple of 8")
        height: int | None = Field(None, ge=64, le=2048, multiple_of=8,
                                   description="Frame height; empty: the picture's, rounded down to a multiple of 8")
        seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the noise")
        motion: int = Field(127, ge=1, le=255, description="SVD motion bucket: higher moves more")
        noise_aug_strength: float = Field(0.02, ge=0, le=1, description="Noise added to the picture: higher "
                                          "strays further from it and moves more")
        decode_chunk_size: int = Field(8, ge=1, le=128, description="Frames decoded at once: fewer use less memory")
        cpu_offload: bool = Field(False, description="On a GPU, keep each submodel on the CPU until it runs: "
                                                     "less GPU memory, slower. Ignored on the CPU")

    @classmethod
    def model_ids(cls, params) -> list[str]:
        return [model_identity(params)]

    def run(self, ctx, params, *, image, mask=None):
        picture = image.convert("RGB")
        resident = load_pipeline(ctx, params, "image_to_video", offload=params.cpu_offload)
        if not {"image", "num_frames"} <= accepted_arguments(resident):
            raise NodeError(f"'{params.model}' is a {type(resident).__name__}, not an image-to-video model",
                            param="model", hint="use an image-to-video model such as "
                                                "stabilityai/stable-video-diffusion-img2vid-xt")
        width = params.width or multiple_of_8(picture.width)
        height = params.height or multiple_of_8(picture.height)
        progress = step_progress(ctx, params.steps, "denoising")
        held = None
        if mask is not None:
            from PIL import Image

            from reelgraph.nodes.directing.masks import composite, resolve_mask

            picture = picture.resize((width, height), Image.Resampling.LANCZOS)
            held = resolve_mask(mask, [], 0, width, height)
            still = np.asarray(picture)
        with run_view(resident) as pipeline:
            if held is not None:
                from reelgraph.nodes.diffusion.motion_mask import hold_outside

                progress = hold_outside(pipeline, picture, held, width, height, params.seed, then=progress)
            result = call_pipeline(pipeline, {
                "image": picture, "num_frames": params.frames, "num_inference_steps": params.steps,
                "width": width, "height": height, "fps": params.fps, "motion_bucket_id": params.motion,
                "noise_aug_strength": params.noise_aug_strength, "decode_chunk_size": params.decode_chunk_size,
                "generator": seeded_generators(pipeline._execution_device, params.seed, 1)[0],
                "output_type": "np", "callback_on_step_end": progress,
            })
        clip = result.frames[0]  # (frames, height, width, 3) floats in [0, 1]

        def frames():
            # Convert one frame at a time: the float clip is already in memory, a uint8 copy need not be.
            for frame in clip:
                frame = (frame.clip(0, 1) * 255).round().astype("uint8")
                yield frame if held is None else composite(still, frame, held)

        return {"frames": Frames(fps=params.fps, width=clip.shape[2], height=clip.shape[1],
                                 source=frames, count=clip.shape[0])}
