"""text.encode: prompt embeddings from a diffusion model's own text encoders."""
from __future__ import annotations

from pydantic import Field

from reelgraph.nodes.api import Node, Resources
from reelgraph.nodes.diffusion.loading import ModelParams, load_text_encoders, model_identity
from reelgraph.nodes.diffusion.prompts import encode_prompt
from reelgraph.nodes.diffusion.sampling import exclusive_use
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind


class TextEncode(Node):
    """Encode a prompt and a negative prompt with the tokenizers and text encoders of a diffusion
    model (CLIP; CLIP + T5 for SD3), without loading its denoiser or VAE. Feed the embeddings to
    keyframe.generate with the same model: several keyframes of one prompt encode it once."""

    type = "text.encode"
    version = 1
    title = "Encode prompt"
    category = "diffusion"
    inputs = {"prompt": Input(PortKind.TEXT, "Prompt from upstream (a template, a translation); "
                                             "replaces the prompt param", optional=True)}
    outputs = {"embeddings": Output(PortKind.EMBEDDING, "prompt_embeds and negative_prompt_embeds, plus "
                                                        "pooled_* for SDXL and SD3 models")}
    resources = Resources(gpus=1, cpus=1)  # runs on the CPU when there is no CUDA

    class Params(ModelParams):
        prompt: str = Field("", max_length=10_000, description="What to draw")
        negative_prompt: str = Field("", max_length=10_000, description="What to keep out of the picture")

    @classmethod
    def model_ids(cls, params) -> list[str]:
        return [model_identity(params)]

    def run(self, ctx, params, *, prompt=None):
        prompt = prompt or params.prompt
        if not prompt.strip():
            raise NodeError("there is no prompt to encode", param="prompt",
                            hint="set prompt, or connect a text to the prompt input")
        pipeline = load_text_encoders(ctx, params)
        with exclusive_use(pipeline):
            return {"embeddings": encode_prompt(pipeline, prompt, params.negative_prompt)}
