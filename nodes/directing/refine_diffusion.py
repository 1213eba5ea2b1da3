"""Video-to-video refinement with a diffusers image-to-image model, one frame at a time, with the
noise of each frame warped from the previous frame's noise along the optical flow.

Why warp the noise: image-to-image repaints what the noise suggests, so independent noise per
frame repaints the same surface differently in every frame (boiling). Carrying the noise along
with the content gives the same content the same noise. The warp is variance-preserving: the
previous noise is resampled bilinearly at the latent grid, which mixes neighbours and lowers the
variance to sum(w²), and fresh noise with the missing variance is added, so every latent pixel is
still exactly standard normal. Where the forward-backward check finds a pixel was not visible in
the previous frame, its noise is all fresh.

The denoising loop is written out (encode, add noise at the strength's timestep, denoise with
classifier-free guidance, decode) because diffusers' img2img pipelines draw their own noise; it
follows StableDiffusionImg2ImgPipeline and serves SD 1.x/2.x-family models.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import cv2
import numpy as np

from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.motion.optical_flow import FlowEstimator, occlusion, pixel_grid

SIZE_MULTIPLE = 8  # frames go to the model at a multiple of the SD VAE's downsampling


def warp_noise(previous: np.ndarray, to_previous: np.ndarray, hidden: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """C x h x w standard normal noise: `previous` carried along the flow (latent-grid pixels, from
    each pixel to where it was in the previous frame), topped up with fresh noise."""
    channels, height, width = previous.shape
    position = pixel_grid(height, width) + to_previous
    x0, y0 = np.floor(position[..., 0]), np.floor(position[..., 1])
    fx, fy = position[..., 0] - x0, position[..., 1] - y0
    warped = np.zeros_like(previous)
    energy = np.zeros((height, width), np.float32)
    for dx, dy, weight in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xs, ys = (x0 + dx).astype(int), (y0 + dy).astype(int)
        inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
        weight = np.where(inside, weight, 0.0).astype(np.float32) * (1.0 - hidden)
        warped += weight * previous[:, np.clip(ys, 0, height - 1), np.clip(xs, 0, width - 1)]
        energy += weight ** 2
    fresh = rng.standard_normal(previous.shape).astype(np.float32)
    return warped + np.sqrt(np.clip(1.0 - energy, 0.0, 1.0)) * fresh


class NoiseSource:
    """The noise for each frame in turn: warped from the previous frame's, or independent."""

    def __init__(self, shape: tuple[int, int, int], factor: int, seed: int, warped: bool) -> None:
        self.shape, self.factor, self.warped = shape, factor, warped
        self.rng = np.random.default_rng(seed)
        self.estimator = FlowEstimator("dis", "medium", scale=1.0)
        self.previous_noise: np.ndarray | None = None
        self.previous_grey: np.ndarray | None = None

    def next(self, frame: np.ndarray) -> np.ndarray:
        channels, height, width = self.shape
        grey = cv2.cvtColor(cv2.resize(frame, (width * self.factor, height * self.factor),
                                       interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
        if not self.warped or self.previous_noise is None:
            noise = self.rng.standard_normal(self.shape).astype(np.float32)
        else:
            to_previous = self._latent_flow(grey, self.previous_grey)
            from_previous = self._latent_flow(self.previous_grey, grey)
            hidden = occlusion(to_previous, from_previous, pixel_grid(height, width))
            noise = warp_noise(self.previous_noise, to_previous, hidden, self.rng)
        self.previous_noise, self.previous_grey = noise, grey
        return noise

    def _latent_flow(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        flow = self.estimator.flow(a, b)
        height, width = self.shape[1:]
        small = cv2.resize(flow, (width, height), interpolation=cv2.INTER_AREA)
        return small / self.factor


def check_model(pipeline, model: str) -> None:
    unet = getattr(pipeline, "unet", None)
    if unet is None or getattr(unet.config, "addition_embed_type", None) is not None or not hasattr(pipeline, "vae"):
        raise NodeError(f"frames.refine's diffusion mode runs SD 1.x/2.x-family image-to-image models; "
                        f"'{model}' loads as {type(pipeline).__name__}", param="model",
                        hint="use an SD 1.x/2.x model (stabilityai/sd-turbo, runwayml/stable-diffusion-v1-5...)")
    if unet.config.in_channels != pipeline.vae.config.latent_channels:
        raise NodeError(f"'{model}' is an in-painting model (its UNet takes {unet.config.in_channels} channels)",
                        param="model", hint="refine with the text-to-image variant of the model; in-painting "
                                            "models repaint through image.inpaint")


def model_frame_size(width: int, height: int, resolution: int) -> tuple[int, int]:
    scale = min(1.0, resolution / max(width, height))
    step = SIZE_MULTIPLE
    return max(step, round(width * scale / step) * step), max(step, round(height * scale / step) * step)


def diffuse(pipeline, frame: np.ndarray, noise: np.ndarray, embeds, negative, strength: float, steps: int,
            guidance: float) -> np.ndarray:
    """One frame repainted at `strength` from the given initial noise (uint8 at the model's size)."""
    import torch

    device, dtype = pipeline._execution_device, pipeline.unet.dtype
    scheduler = pipeline.scheduler
    scheduler.set_timesteps(steps, device=device)
    start = steps - min(int(steps * strength), steps)
    timesteps = scheduler.timesteps[start * scheduler.order:]
    with torch.inference_mode():
        pixels = torch.from_numpy(frame.copy()).permute(2, 0, 1)[None].to(device, dtype) / 127.5 - 1.0
        scaling = pipeline.vae.config.scaling_factor
        latents = pipeline.vae.encode(pixels).latent_dist.mode() * scaling
        latents = scheduler.add_noise(latents, torch.from_numpy(noise)[None].to(device, dtype), timesteps[:1])
        guided = guidance > 1.0
        condition = torch.cat([negative, embeds]) if guided else embeds
        for timestep in timesteps:
            model_input = scheduler.scale_model_input(torch.cat([latents] * 2) if guided else latents, timestep)
            predicted = pipeline.unet(model_input, timestep, encoder_hidden_states=condition).sample
            if guided:
                unconditional, conditional = predicted.chunk(2)
                predicted = unconditional + guidance * (conditional - unconditional)
            latents = scheduler.step(predicted, timestep, latents).prev_sample
        image = pipeline.vae.decode(latents / scaling).sample
    return ((image[0].float().clamp(-1, 1) + 1.0) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()


def refine_frames(ctx, pipeline, params, frames: Iterable[np.ndarray], width: int, height: int,
                  embeddings: dict, count: int | None) -> Iterator[np.ndarray]:
    """The frames repainted one by one (the caller holds the pipeline for the whole sequence)."""
    size = model_frame_size(width, height, params.resolution)
    channels, factor = pipeline.unet.config.in_channels, pipeline.vae_scale_factor
    noise = NoiseSource((channels, size[1] // factor, size[0] // factor), factor, params.seed,
                        warped=params.noise == "warped")
    device, dtype = pipeline._execution_device, pipeline.unet.dtype
    embeds = embeddings["prompt_embeds"].to(device, dtype)
    negative = embeddings.get("negative_prompt_embeds")
    negative = torch_zeros_like(embeds) if negative is None else negative.to(device, dtype)
    guidance = 7.5 if params.guidance is None else params.guidance
    for index, frame in enumerate(frames):
        small = frame if (width, height) == size else cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        painted = diffuse(pipeline, np.ascontiguousarray(small), noise.next(small), embeds, negative,
                          params.strength, params.steps, guidance)
        if (width, height) != size:
            painted = cv2.resize(painted, (width, height), interpolation=cv2.INTER_CUBIC)
        ctx.progress(index + 1, count, "refining frames by diffusion")
        yield painted


def torch_zeros_like(tensor):
    import torch

    return torch.zeros_like(tensor)
