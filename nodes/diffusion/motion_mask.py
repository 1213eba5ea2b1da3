"""A motion mask for image-to-video models: animate inside the mask, hold the picture outside.

At every denoising step the latents outside the mask are replaced by the still picture's latents
noised to that step's level (x0 + sigma * a fixed noise), so the model keeps the unmasked part
where it is while it denoises the masked part in context; the last step's sigma is 0, so outside
the mask the clip ends on the picture's own latents. The decoded frames are then composited with
the picture through the mask, so outside it the pixels are the picture's, byte for byte.
Works with Euler-family schedulers that expose `sigmas` and `step_index` (SVD's).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reelgraph.nodes.errors import NodeError


def latent_mask(mask: np.ndarray, width: int, height: int):
    """The mask averaged onto the latent grid, as a (1, 1, 1, h, w) tensor."""
    import cv2
    import torch

    return torch.from_numpy(cv2.resize(mask, (width, height), interpolation=cv2.INTER_AREA))[None, None, None]


def hold_outside(pipeline, picture, mask: np.ndarray, width: int, height: int, seed: int,
                 then: Callable) -> Callable:
    """A callback_on_step_end that holds the latents outside `mask` to the picture's, then calls `then`."""
    import torch

    scheduler = pipeline.scheduler
    if not hasattr(scheduler, "sigmas"):
        raise NodeError(f"a motion mask needs a sigma-based scheduler; {type(scheduler).__name__} has none",
                        port="mask", hint="use an SVD model with its Euler scheduler, or disconnect the mask")
    device, dtype = pipeline._execution_device, pipeline.vae.dtype
    with torch.inference_mode():
        pixels = pipeline.video_processor.preprocess(picture, height=height, width=width).to(device, dtype)
        still = pipeline.vae.encode(pixels).latent_dist.mode() * pipeline.vae.config.scaling_factor
    state: dict = {}

    def on_step_end(pipe, step: int, timestep, callback_kwargs: dict) -> dict:
        latents = callback_kwargs["latents"]
        if "noise" not in state:
            generator = torch.Generator("cpu").manual_seed(seed + 1)
            state["noise"] = torch.randn(latents.shape, generator=generator).to(latents.device, latents.dtype)
            state["mask"] = latent_mask(mask, latents.shape[-1], latents.shape[-2]).to(latents.device, latents.dtype)
            state["still"] = still.to(latents.dtype)[:, None]  # (1, 1, C, h, w): the same for every frame
        index = min(pipe.scheduler.step_index, len(pipe.scheduler.sigmas) - 1)
        sigma = pipe.scheduler.sigmas[index].to(latents.device, latents.dtype)
        held = state["still"] + sigma * state["noise"]
        callback_kwargs["latents"] = state["mask"] * latents + (1 - state["mask"]) * held
        return then(pipe, step, timestep, callback_kwargs)

    return on_step_end
