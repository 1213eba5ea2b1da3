"""keyframe.generate: text to image with a diffusion model."""
from __future__ import annotations

from pydantic import Field

from reelgraph.nodes.api import Node, Resources
from reelgraph.nodes.diffusion.loading import ModelParams, load_pipeline, model_identity
from reelgraph.nodes.diffusion.prompts import embedding_arguments
from reelgraph.nodes.diffusion.sampling import accepted_arguments, call_pipeline, run_view, seeded_generators, step_progress
from reelgraph.nodes.diffusion.schedulers import SchedulerName
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind


class KeyframeGenerate(Node):
    """Draw keyframes from a prompt, or from text.encode's embeddings, with a diffusers text-to-image
    model (Stable Diffusion 1.x/2.x, SDXL, SD3, their turbo variants...). Image i is drawn with seed
    + i, so any one of them can be drawn again alone. The model stays loaded between runs."""

    type = "keyframe.generate"
    version = 2   # 2: `generation` records the prompt
    title = "Generate keyframes"
    category = "diffusion"
    inputs = {"embeddings": Input(PortKind.EMBEDDING, "Prompt embeddings from text.encode with the same "
                                                      "model, instead of the prompt param", optional=True),
              "init_image": Input(PortKind.IMAGE, "A picture to start from (the last frame of the previous "
                                                  "shot, frames.last): image-to-image at `strength`", optional=True)}
    outputs = {
        "images": Output(PortKind.IMAGES, "Every image, in seed order"),
        "image": Output(PortKind.IMAGE, "The first image"),
        "generation": Output(PortKind.JSON, "How they were made: model, scheduler, steps, guidance, size, "
                                            "each image's seed and the prompt (when given as text)"),
    }
    resources = Resources(gpus=1, cpus=1)  # runs on the CPU when there is no CUDA

    class Params(ModelParams):
        prompt: str = Field("", max_length=10_000, description="What to draw; leave empty when embeddings "
                                                               "are connected")
        negative_prompt: str = Field("", max_length=10_000, description="What to keep out of the picture")
        steps: int = Field(25, ge=1, le=200, description="Denoising steps (turbo models: 1 to 4)")
        guidance: float | None = Field(None, ge=0, le=50, description="Classifier-free guidance scale; empty: "
                                       "the model's default (7.5 for SD, 5 for SDXL); 0 for turbo models")
        width: int = Field(512, ge=64, le=2048, multiple_of=8, description="Image width in pixels")
        height: int = Field(512, ge=64, le=2048, multiple_of=8, description="Image height in pixels")
        seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the first image; image i uses seed + i")
        count: int = Field(1, ge=1, le=16, description="How many images to draw")
        scheduler: SchedulerName = Field("default", description="Sampler; default: the model's own")
        cpu_offload: bool = Field(False, description="On a GPU, keep each submodel on the CPU until it runs: "
                                                     "less GPU memory, slower. Ignored on the CPU")
        strength: float = Field(0.6, gt=0, le=1, description="With an init image: how far to move away from it "
                                "(0: keep it, 1: ignore it); steps x strength denoising steps run")

    @classmethod
    def model_ids(cls, params) -> list[str]:
        return [model_identity(params)]

    def run(self, ctx, params, *, embeddings=None, init_image=None):
        if embeddings is not None and (params.prompt or params.negative_prompt):
            raise NodeError("both embeddings and a prompt are given", param="prompt",
                            hint="leave prompt and negative_prompt empty when embeddings are connected")
        if embeddings is None and not params.prompt.strip():
            raise NodeError("there is nothing to draw: no prompt and no embeddings", param="prompt",
                            hint="set prompt, or connect text.encode's embeddings")

        if init_image is not None and int(params.steps * params.strength) < 1:
            raise NodeError(f"{params.steps} steps at strength {params.strength:g} leave no denoising step",
                            param="strength", hint="raise strength or steps so that steps x strength >= 1")
        resident = load_pipeline(ctx, params, "text_to_image", offload=params.cpu_offload)
        task = None if init_image is None else "image_to_image"
        with run_view(resident, params.scheduler, task) as pipeline:
            start = {} if init_image is None else {
                "image": init_image.convert("RGB").resize((params.width, params.height)), "strength": params.strength}
            if embeddings is not None:
                conditioning = embedding_arguments(pipeline, embeddings, accepted_arguments(pipeline))
            else:
                conditioning = {"prompt": params.prompt, "negative_prompt": params.negative_prompt or None}
            guidance = {} if params.guidance is None else {"guidance_scale": params.guidance}
            result = call_pipeline(pipeline, {
                **conditioning, **guidance, **start,
                "num_inference_steps": params.steps, "width": params.width, "height": params.height,
                "num_images_per_prompt": params.count,
                "generator": seeded_generators(pipeline._execution_device, params.seed, params.count),
                "callback_on_step_end": step_progress(ctx, params.steps, "denoising"),
            })
        images = [image.convert("RGB") for image in result.images]
        generation = {
            "model": model_identity(params), "pipeline": type(pipeline).__name__,
            "scheduler": type(pipeline.scheduler).__name__, "steps": params.steps,
            "guidance": pipeline.guidance_scale if hasattr(pipeline, "guidance_scale") else params.guidance,
            "width": params.width, "height": params.height,
            "seeds": [params.seed + index for index in range(params.count)],
        }
        if params.prompt:
            generation["prompt"] = params.prompt   # image.grid labels a seed sweep with it
        if init_image is not None:
            generation["strength"] = params.strength
        return {"images": images, "image": images[0], "generation": generation}

