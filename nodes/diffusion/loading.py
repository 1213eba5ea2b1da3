"""Loading diffusers pipelines through the process's model cache.

A model is named by a hub id (`stabilityai/sd-turbo`) or by a diffusers folder relative to the graph
document (`models/tiny-sd`). It loads once per process and stays resident in `ctx.models`, keyed by
everything that changes the loaded weights: role, location, revision, device, dtype, offloading.

Two roles share one model's text encoders: `text.encode` needs only the tokenizers and text
encoders, so it loads those alone ("text_encoders"), or borrows them from the full pipeline when
that is already resident; a full pipeline loaded later takes the resident text encoders instead of
loading them a second time.

Image-to-image and in-painting are not loading roles: they are views of the resident text-to-image
pipeline (sampling.run_view's `task`, diffusers' from_pipe over the same modules), so keyframes,
image-to-image, in-painting and refinement with one model hold one copy of its weights.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from reelgraph.nodes.api import NodeParams
from reelgraph.nodes.errors import NodeError

Role = Literal["text_to_image", "image_to_video", "text_encoders"]

# Hub ids: "name" or "owner/name" with letters, digits, '-', '_' and '.'.
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
TEXT_COMPONENT_PREFIXES = ("text_encoder", "tokenizer")


class ModelParams(NodeParams):
    """The params naming a diffusers model; every diffusion node's params start with these."""

    model: str = Field(min_length=1, description="A diffusers model: a hub id (stabilityai/sd-turbo) or "
                                                 "a model folder relative to the graph document")
    revision: str | None = Field(None, description="Hub branch, tag or commit (default: main); "
                                                   "ignored for local folders")
    precision: Literal["auto", "fp16", "bf16", "fp32"] = Field(
        "auto", description="Weights' dtype on a GPU; auto: bf16 where the GPU supports it, else fp16. "
                            "Always fp32 on CPU")


def model_identity(params: ModelParams) -> str:
    """The model's identity for lineage: hub id@revision, or the path as written."""
    return f"{params.model}@{params.revision}" if params.revision else params.model


@dataclass(frozen=True)
class ModelSource:
    location: str        # hub id, or the resolved local folder
    revision: str | None
    local: bool


@dataclass(frozen=True)
class ModelKey:
    role: Role
    location: str
    revision: str | None
    device: str
    dtype: str
    offload: bool = False


def resolve_source(ctx, params: ModelParams) -> ModelSource:
    """A local folder when the workspace has one by that name (or the name is plainly a path),
    else a hub id. Local paths go through the workspace jail."""
    name = params.model
    plainly_a_path = name.startswith((".", "/", "~")) or "\\" in name or not HUB_ID.match(name)
    folder = ctx.resolve_path(os.path.expanduser(name), param="model")
    if folder.exists() or plainly_a_path:
        if not folder.is_dir():
            raise NodeError(f"no model folder at '{name}'", param="model", code="model_not_found",
                            hint="build or download the model there (tiny test models: "
                                 "python examples/build_tiny_models.py), or give a hub id such as "
                                 "stabilityai/sd-turbo")
        if not (folder / "model_index.json").is_file():
            raise NodeError(f"'{name}' is not a diffusers model folder: it has no model_index.json",
                            param="model", code="model_not_found",
                            hint="point model at the folder that holds model_index.json")
        return ModelSource(str(folder), None, local=True)
    return ModelSource(name, params.revision, local=False)


def execution_device(ctx) -> str:
    """The context's device, or the CPU when it names CUDA on a machine without it."""
    import torch

    if ctx.device.startswith("cuda") and not torch.cuda.is_available():
        ctx.log.warning("device %s asked for but CUDA is not available: running on the CPU", ctx.device)
        return "cpu"
    return ctx.device


def weights_dtype(device: str, precision: str):
    import torch

    if not device.startswith("cuda") or precision == "fp32":
        return torch.float32  # half precision on a CPU is slow where it works at all
    if precision == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return {"fp16": torch.float16, "bf16": torch.bfloat16}[precision]


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def load_failure(params: ModelParams, source: ModelSource, error: BaseException) -> NodeError:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if source.local:
        hint = "check that the folder holds a complete diffusers model (model_index.json and every component)"
    elif hub_offline():
        hint = (f"there is no folder '{params.model}' next to the graph document, and as a hub id it is not in "
                f"the local Hugging Face cache while HF_HUB_OFFLINE is set: download it once where the hub is "
                f"reachable (huggingface-cli download {params.model}), or build/copy the model folder there")
    else:
        hint = (f"there is no folder '{params.model}' next to the graph document; as a hub id, check its "
                f"spelling and revision, the network, and HF_TOKEN for gated models")
    if isinstance(error, ImportError):
        hint = f"install the missing package into the environment ({reason})"
    return NodeError(f"cannot load model '{params.model}': {reason}", param="model", hint=hint,
                     code="model_load_failed")


def read_model_index(params: ModelParams, source: ModelSource) -> dict[str, Any]:
    """The model's model_index.json: which pipeline class, which components."""
    if source.local:
        try:
            with open(os.path.join(source.location, "model_index.json"), encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError) as error:  # unreadable, or not JSON (a damaged download)
            raise load_failure(params, source, error) from error
    from diffusers import DiffusionPipeline

    try:
        return dict(DiffusionPipeline.load_config(source.location, revision=source.revision))
    except (OSError, ValueError) as error:
        raise load_failure(params, source, error) from error


def heavy_components(model_index: dict[str, Any]) -> list[str]:
    """Components a text encoder does not need: the denoiser, the VAE, image encoders..."""
    return [name for name, spec in model_index.items()
            if not name.startswith("_") and isinstance(spec, list) and spec and spec[0] is not None
            and name != "scheduler" and not name.startswith(TEXT_COMPONENT_PREFIXES)]


def text_components(pipeline) -> dict[str, Any]:
    return {name: component for name, component in pipeline.components.items()
            if name.startswith(TEXT_COMPONENT_PREFIXES) and component is not None}


def model_key(ctx, params: ModelParams, role: Role, offload: bool = False) -> tuple[ModelKey, ModelSource]:
    source = resolve_source(ctx, params)
    device = execution_device(ctx)
    dtype = str(weights_dtype(device, params.precision)).removeprefix("torch.")
    # Offloading moves submodels between the CPU and a GPU: meaningless without one.
    key = ModelKey(role, source.location, source.revision, device, dtype, offload and device.startswith("cuda"))
    return key, source


def load_pipeline(ctx, params: ModelParams, role: Role, *, offload: bool = False):
    """The resident pipeline for this model and role, loading it on first use."""
    key, source = model_key(ctx, params, role, offload)
    shared: dict[str, Any] = {}
    if role != "text_encoders" and not key.offload:
        encoders_key = ModelKey("text_encoders", key.location, key.revision, key.device, key.dtype)
        if encoders_key in ctx.models:  # (were it evicted meanwhile, get() would just reload it)
            encoders = ctx.models.get(encoders_key, lambda: _load(ctx, params, source, encoders_key, {}))
            shared = text_components(encoders)
    return ctx.models.get(key, lambda: _load(ctx, params, source, key, shared))


def load_text_encoders(ctx, params: ModelParams):
    """A pipeline whose tokenizers and text encoders are loaded: the full text-to-image pipeline
    when it is resident already, else one holding the text components alone."""
    key, _ = model_key(ctx, params, "text_to_image")
    if key in ctx.models:
        return load_pipeline(ctx, params, "text_to_image")
    return load_pipeline(ctx, params, "text_encoders")


def quiet_loading_bars() -> None:
    """Turn off diffusers' and transformers' tqdm bars for loading weights: under reelgraph the
    engines show progress, and the bars would scribble over it. Hub download bars stay on."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()


def _load(ctx, params: ModelParams, source: ModelSource, key: ModelKey, shared: dict[str, Any]):
    import torch
    from diffusers import AutoPipelineForText2Image, DiffusionPipeline

    quiet_loading_bars()
    model_index = read_model_index(params, source)
    components = dict(shared)
    if key.role == "text_encoders":
        components.update({name: None for name in heavy_components(model_index)})
    # The auto pipeline maps a model's family to its text-to-image class: an SD in-painting folder
    # loads as StableDiffusionPipeline too, and in-paints through a view of it.
    loader = AutoPipelineForText2Image if key.role == "text_to_image" else DiffusionPipeline
    ctx.log.info("loading %s (%s) on %s as %s", params.model, key.role, key.device, key.dtype)
    try:
        pipeline = loader.from_pretrained(source.location, revision=source.revision,
                                          dtype=getattr(torch, key.dtype), **components)
    except (OSError, ValueError, ImportError) as error:
        raise load_failure(params, source, error) from error
    pipeline.set_progress_bar_config(disable=True)  # nodes report progress through ctx.progress
    keep_folder_settings(pipeline, model_index)
    try:
        if key.offload:
            pipeline.enable_model_cpu_offload(device=key.device)
        else:
            pipeline.to(key.device)
    except torch.OutOfMemoryError as error:
        raise NodeError(f"model '{params.model}' does not fit in {key.device}'s memory", param="model",
                        code="out_of_memory",
                        hint="set cpu_offload: true, pick a smaller model, or free the GPU") from error
    return pipeline


def keep_folder_settings(pipeline, model_index: dict[str, Any]) -> None:
    """Keep the folder's pipeline settings that the loaded class does not take (an SDXL refiner's
    requires_aesthetics_score, loaded as text-to-image) as private config entries `_name`: from_pipe
    passes those on to a derived pipeline that takes them, so an image-to-image or in-painting view
    is configured as the folder says, as if it had been loaded as that class."""
    settings = {f"_{name}": value for name, value in model_index.items()
                if not name.startswith("_") and not isinstance(value, list | tuple) and name not in pipeline.config}
    if settings:
        pipeline.register_to_config(**settings)
