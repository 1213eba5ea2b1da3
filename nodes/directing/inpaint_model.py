"""In-painting with a diffusers pipeline on a crop around the mask.

The crop (the mask's bounding box plus `context` pixels) is scaled so its longer side is the
model's resolution, rounded to the VAE's multiple of 8, repainted, and scaled back. The caller
composites the result through the feathered mask, so resampling never reaches untouched pixels.
"""
from __future__ import annotations

import numpy as np

from reelgraph.nodes.diffusion.loading import load_pipeline
from reelgraph.nodes.diffusion.sampling import accepted_arguments, call_pipeline, run_view, seeded_generators, step_progress
from reelgraph.nodes.directing.generation import conditioning, model_params


def mask_box(mask: np.ndarray, context: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the mask's support grown by `context`, inside the picture."""
    rows, columns = np.nonzero(mask > 0)
    height, width = mask.shape
    return (max(0, int(columns.min()) - context), max(0, int(rows.min()) - context),
            min(width, int(columns.max()) + 1 + context), min(height, int(rows.max()) + 1 + context))


def model_size(width: int, height: int, resolution: int) -> tuple[int, int]:
    scale = resolution / max(width, height)
    return max(8, round(width * scale / 8) * 8), max(8, round(height * scale / 8) * 8)


def inpaint_with_model(ctx, params, original: np.ndarray, mask: np.ndarray, embeddings) -> np.ndarray:
    """The picture with the crop around the mask repainted by the model (not yet composited)."""
    from PIL import Image

    left, top, right, bottom = mask_box(mask, params.context)
    crop = Image.fromarray(original[top:bottom, left:right])
    size = model_size(crop.width, crop.height, params.resolution)
    # The model repaints the whole support of the feathered mask; the feather blends it back.
    hole = Image.fromarray(((mask[top:bottom, left:right] > 0) * 255).astype(np.uint8))
    resident = load_pipeline(ctx, model_params(params), "text_to_image", offload=params.cpu_offload)
    with run_view(resident, params.scheduler, "inpainting") as pipeline:
        guidance = {} if params.guidance is None else {"guidance_scale": params.guidance}
        result = call_pipeline(pipeline, {
            **conditioning(pipeline, params, embeddings, accepted_arguments(pipeline)), **guidance,
            "image": crop.resize(size, Image.Resampling.LANCZOS),
            "mask_image": hole.resize(size, Image.Resampling.NEAREST),
            "width": size[0], "height": size[1], "strength": params.strength,
            "num_inference_steps": params.steps,
            "generator": seeded_generators(pipeline._execution_device, params.seed, 1),
            "callback_on_step_end": step_progress(ctx, max(1, int(params.steps * params.strength)), "in-painting"),
        })
    painted = result.images[0].convert("RGB").resize(crop.size, Image.Resampling.LANCZOS)
    edited = original.copy()
    edited[top:bottom, left:right] = np.asarray(painted)
    return edited
