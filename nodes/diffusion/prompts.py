"""Prompt embeddings: encoding them with a pipeline's own text encoders, and handing them back.

The embedding dict uses the names diffusers pipelines take as call arguments, so keyframe.generate
passes it on unchanged: prompt_embeds and negative_prompt_embeds, plus the pooled variants for
models with a projecting text encoder (SDXL, SD3).
"""
from __future__ import annotations

import inspect
from typing import Any

from reelgraph.nodes.errors import NodeError

EMBEDDING_NAMES = ("prompt_embeds", "negative_prompt_embeds", "pooled_prompt_embeds",
                   "negative_pooled_prompt_embeds")

# What encode_prompt returns, by how many values it returns (diffusers' own order).
ENCODE_PROMPT_RESULTS = {
    2: EMBEDDING_NAMES[:2],  # SD 1.x/2.x
    4: EMBEDDING_NAMES,      # SDXL, SD3 (CLIP + T5)
}


def call_parameters(function) -> set[str]:
    return set(inspect.signature(function).parameters)


def encode_prompt(pipeline, prompt: str, negative_prompt: str) -> dict[str, Any]:
    """Embeddings of the prompt and the negative prompt, on the CPU in float32 (lossless from
    fp16/bf16, and readable by the same model on any device)."""
    import torch

    encode = getattr(pipeline, "encode_prompt", None)
    accepted = call_parameters(encode) if encode is not None else set()
    if "do_classifier_free_guidance" not in accepted:
        raise NodeError(f"text.encode does not know how {type(pipeline).__name__} encodes prompts",
                        param="model", hint="give keyframe.generate the prompt itself instead")
    arguments = {"prompt": prompt, "negative_prompt": negative_prompt or None, "num_images_per_prompt": 1,
                 "do_classifier_free_guidance": True, "device": pipeline._execution_device}
    # Secondary prompts (prompt_2 for SDXL's second encoder, prompt_3 for SD3's T5) repeat the first.
    for name in accepted:
        if name.startswith(("prompt_", "negative_prompt_")) and name[-1].isdigit():
            arguments[name] = None
    with torch.inference_mode():
        result = encode(**{name: value for name, value in arguments.items() if name in accepted})
    names = ENCODE_PROMPT_RESULTS.get(len(result))
    if names is None:
        raise NodeError(f"text.encode does not know the embeddings {type(pipeline).__name__} makes",
                        param="model", hint="give keyframe.generate the prompt itself instead")
    return {name: tensor.detach().to("cpu", torch.float32).contiguous()
            for name, tensor in zip(names, result) if tensor is not None}


def conditioning_width(pipeline) -> int | None:
    """The embedding width the denoiser attends to, when its config says."""
    for component in ("unet", "transformer"):
        config = getattr(getattr(pipeline, component, None), "config", None)
        for field in ("cross_attention_dim", "joint_attention_dim"):
            width = getattr(config, field, None) if config is not None else None
            if isinstance(width, int):
                return width
    return None


def embedding_arguments(pipeline, embeddings: dict[str, Any], accepted: set[str]) -> dict[str, Any]:
    """Call arguments from an embedding dict, checked against what this pipeline takes, on its
    device and dtype."""
    unknown = sorted(set(embeddings) - set(EMBEDDING_NAMES))
    if unknown or "prompt_embeds" not in embeddings:
        raise NodeError(f"the embeddings hold {sorted(embeddings)}, not prompt embeddings", port="embeddings",
                        hint="connect the embeddings output of text.encode")
    model_name = type(pipeline).__name__
    not_taken = sorted(name for name in embeddings if name not in accepted)
    if not_taken:
        raise NodeError(f"{model_name} takes no {not_taken[0]}: these embeddings come from another kind of model",
                        port="embeddings", hint="encode the prompt with the same model as keyframe.generate")
    if "pooled_prompt_embeds" in accepted and "pooled_prompt_embeds" not in embeddings:
        raise NodeError(f"{model_name} needs pooled embeddings, which these lack", port="embeddings",
                        hint="encode the prompt with the same model as keyframe.generate")
    width, expected = embeddings["prompt_embeds"].shape[-1], conditioning_width(pipeline)
    if expected is not None and width != expected:
        raise NodeError(f"the embeddings are {width} wide but this model attends to {expected}-wide ones",
                        port="embeddings", hint="encode the prompt with the same model as keyframe.generate")
    device, dtype = pipeline._execution_device, pipeline.dtype
    return {name: tensor.to(device, dtype) for name, tensor in embeddings.items()}
