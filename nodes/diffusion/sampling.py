"""Running a resident pipeline for one node execution: exclusive use, a private view of it,
seeded generators, per-step progress, and out-of-memory errors a person can act on.

Exclusive use: a diffusers pipeline is not thread-safe (it keeps per-call state such as the guidance
scale, and with CPU offloading its hooks move the shared submodels between devices), so one lock per
resident pipeline lets one run use it at a time. Runs on other models or other GPUs (another cache
key, another pipeline) go on in parallel. A thread holds at most one of these locks and takes the
registry's lock only briefly, never while waiting for a pipeline, so they cannot deadlock.

Private view: each run calls a shallow copy with its own scheduler, so a run's scheduler choice
never changes the resident pipeline; the copy shares the weights (no memory). A run that needs
another task of the same model (image-to-image, in-painting) gets the view as that task's pipeline
class, built by diffusers' from_pipe around the same modules: still no load and no copy, and held
under the resident pipeline's lock like any other run on those modules.
"""
from __future__ import annotations

import copy
import inspect
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from reelgraph.nodes.diffusion.schedulers import fresh_scheduler
from reelgraph.nodes.errors import NodeError

Task = Literal["image_to_image", "inpainting"]
# diffusers' auto pipelines map a model family to the class for each task (StableDiffusionPipeline
# -> StableDiffusionImg2ImgPipeline, StableDiffusionInpaintPipeline).
TASK_PIPELINES = {"image_to_image": ("AutoPipelineForImage2Image", "image-to-image"),
                  "inpainting": ("AutoPipelineForInpainting", "in-painting")}

_pipeline_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_pipeline_locks_guard = threading.Lock()


@contextmanager
def exclusive_use(pipeline) -> Iterator[None]:
    with _pipeline_locks_guard:
        lock = _pipeline_locks.setdefault(pipeline, threading.Lock())
    with lock:
        yield


@contextmanager
def run_view(pipeline, scheduler_name: str = "default", task: Task | None = None) -> Iterator[Any]:
    """The resident pipeline, held for this run, as a copy using a fresh scheduler; with a task, as
    that task's pipeline over the same modules."""
    scheduler = fresh_scheduler(pipeline, scheduler_name)
    with exclusive_use(pipeline):
        view = copy.copy(pipeline)
        view.scheduler = scheduler  # through the pipeline's __setattr__: updates the copy's config only
        yield view if task is None else task_view(view, task)


def task_view(pipeline, task: Task):
    """`pipeline`'s modules as the pipeline class for `task` (from_pipe: nothing loaded or copied)."""
    import diffusers

    auto_pipeline, label = TASK_PIPELINES[task]
    try:
        derived = getattr(diffusers, auto_pipeline).from_pipe(pipeline)
    except ValueError as error:  # a family diffusers has no pipeline of this task for
        raise NodeError(f"diffusers has no {label} pipeline for this model ({type(pipeline).__name__})",
                        param="model", hint="pick a model of a family that has one (Stable Diffusion 1.x/2.x, "
                                            "SDXL, SD3, Flux...)") from error
    derived.set_progress_bar_config(disable=True)  # progress goes through ctx.progress
    return derived


def accepted_arguments(pipeline) -> set[str]:
    return set(inspect.signature(pipeline.__call__).parameters)


def call_pipeline(pipeline, arguments: dict[str, Any]):
    """Call with the arguments this pipeline takes (families differ: SVD has motion_bucket_id...)."""
    accepted = accepted_arguments(pipeline)
    with out_of_memory_as_node_error():
        return pipeline(**{name: value for name, value in arguments.items() if name in accepted})


def seeded_generators(device: str, seed: int, count: int) -> list:
    """One generator per image, seeded seed + index, so image i can be re-made alone."""
    import torch

    return [torch.Generator(device).manual_seed(seed + index) for index in range(count)]


def step_progress(ctx, steps: int, message: str) -> Callable:
    """A callback_on_step_end that reports each finished denoising step."""

    def on_step_end(pipeline, step: int, timestep, callback_kwargs: dict) -> dict:
        # Second-order schedulers (heun) take more model steps than asked: the pipeline knows.
        total = getattr(pipeline, "num_timesteps", None) or steps
        ctx.progress(step + 1, total, message)
        return callback_kwargs

    return on_step_end


@contextmanager
def out_of_memory_as_node_error():
    import torch

    try:
        yield
    except torch.OutOfMemoryError as error:
        raise NodeError("the GPU ran out of memory", code="out_of_memory",
                        hint="lower width/height/count (or frames), set cpu_offload: true, or free the GPU") from error
