"""The scheduler allow-list: short names people write in graphs, mapped to diffusers classes.

A scheduler is rebuilt from the model's own scheduler config for every run, so a run's choice
never leaks into the resident pipeline or into another run using the same model.
"""
from __future__ import annotations

from typing import Literal, get_args

from reelgraph.nodes.errors import NodeError

SchedulerName = Literal["default", "euler", "euler_a", "heun", "ddim", "pndm", "lms", "unipc", "dpm++",
                        "dpm++_karras", "lcm"]

# name -> (diffusers class, config overrides). "default" keeps the model's own scheduler.
SCHEDULERS: dict[str, tuple[str, dict]] = {
    "euler": ("EulerDiscreteScheduler", {}),
    "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}),
    "ddim": ("DDIMScheduler", {}),
    "pndm": ("PNDMScheduler", {}),
    "lms": ("LMSDiscreteScheduler", {}),
    "unipc": ("UniPCMultistepScheduler", {}),
    "dpm++": ("DPMSolverMultistepScheduler", {}),
    "dpm++_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "lcm": ("LCMScheduler", {}),
}
assert set(SCHEDULERS) | {"default"} == set(get_args(SchedulerName))


def fresh_scheduler(pipeline, name: str = "default"):
    """A new scheduler instance for one run, configured from the model's own scheduler."""
    import diffusers

    model_scheduler = pipeline.scheduler
    if name == "default":
        return type(model_scheduler).from_config(model_scheduler.config)
    class_name, overrides = SCHEDULERS[name]
    compatible = {cls.__name__ for cls in getattr(model_scheduler, "compatibles", [])}
    compatible.add(type(model_scheduler).__name__)
    if class_name not in compatible:
        usable = sorted(short for short, (cls, _) in SCHEDULERS.items() if cls in compatible)
        raise NodeError(f"scheduler '{name}' ({class_name}) does not work with this model's "
                        f"{type(model_scheduler).__name__}", param="scheduler",
                        hint=f"use default or one of: {', '.join(usable) or 'none of the allow-list'}")
    return getattr(diffusers, class_name).from_config(model_scheduler.config, **overrides)
