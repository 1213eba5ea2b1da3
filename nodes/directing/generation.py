"""What the directing nodes share when a diffusion model repaints pixels: the params naming the
model and the sampling (an optional model: these nodes also work without one), the conditioning
from a prompt or text.encode's embeddings, and the check that steps x strength leaves a step.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from reelgraph.nodes.api import NodeParams
from reelgraph.nodes.diffusion.loading import ModelParams
from reelgraph.nodes.diffusion.schedulers import SchedulerName
from reelgraph.nodes.errors import NodeError


class GenerationParams(NodeParams):
    model: str | None = Field(None, description="A diffusers model: a hub id (runwayml/stable-diffusion-"
                                                "inpainting, stabilityai/sd-turbo...) or a model folder relative "
                                                "to the graph document")
    revision: str | None = Field(None, description="Hub branch, tag or commit; ignored for local folders")
    precision: Literal["auto", "fp16", "bf16", "fp32"] = Field(
        "auto", description="Weights' dtype on a GPU (auto: bf16 where supported, else fp16); fp32 on CPU")
    prompt: str = Field("", max_length=10_000, description="What to paint; leave empty when embeddings "
                                                           "are connected")
    negative_prompt: str = Field("", max_length=10_000, description="What to keep out of the picture")
    strength: float = Field(1.0, gt=0, le=1, description="How much to repaint: 1 ignores the old pixels "
                                                         "under the mask, 0.3 keeps their layout")
    steps: int = Field(25, ge=1, le=200, description="Denoising steps at strength 1 (fewer run at lower "
                                                     "strength: steps x strength)")
    guidance: float | None = Field(None, ge=0, le=50, description="Classifier-free guidance scale; empty: "
                                                                  "the model's default")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the noise")
    scheduler: SchedulerName = Field("default", description="Sampler; default: the model's own")
    cpu_offload: bool = Field(False, description="On a GPU, keep submodels on the CPU until they run")


def model_params(params: GenerationParams) -> ModelParams:
    if not params.model:
        raise NodeError("no model is given", param="model",
                        hint="set model to a diffusers model (hub id or folder), or use a method that needs none")
    return ModelParams(model=params.model, revision=params.revision, precision=params.precision)


def check_steps(params: GenerationParams) -> None:
    if int(params.steps * params.strength) < 1:
        raise NodeError(f"{params.steps} steps at strength {params.strength:g} leave no denoising step",
                        param="strength", hint="raise steps or strength so that steps x strength >= 1")


def conditioning(pipeline, params: GenerationParams, embeddings: dict | None, accepted: set[str]) -> dict[str, Any]:
    """Prompt arguments for a pipeline call, from the prompt params or from embeddings."""
    from reelgraph.nodes.diffusion.prompts import embedding_arguments

    if embeddings is not None and (params.prompt or params.negative_prompt):
        raise NodeError("both embeddings and a prompt are given", param="prompt",
                        hint="leave prompt and negative_prompt empty when embeddings are connected")
    if embeddings is not None:
        return embedding_arguments(pipeline, embeddings, accepted)
    return {"prompt": params.prompt, "negative_prompt": params.negative_prompt or None}
