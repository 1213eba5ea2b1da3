"""Utility nodes: constants and no-ops, for graph plumbing, tests and benchmarks."""
from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams, Resources
from reelgraph.nodes.ports import Input, Output, PortKind


class JsonValue(Node):
    """A constant JSON value."""

    type = "util.value"
    title = "Value"
    category = "util"
    cheap = True
    outputs = {"value": Output(PortKind.JSON)}

    class Params(NodeParams):
        value: Any = Field(None, description="Any JSON value")

    def run(self, ctx, params):
        return {"value": params.value}


class NoOp(Node):
    """Pass a JSON value through unchanged (or emit the label when nothing is connected)."""

    type = "util.noop"
    title = "No-op"
    category = "util"
    cheap = True
    inputs = {"value": Input(PortKind.JSON, optional=True)}
    outputs = {"value": Output(PortKind.JSON)}

    class Params(NodeParams):
        label: str = Field("", description="A free label; changing it changes the cache key")

    def run(self, ctx, params, *, value=None):
        return {"value": params.label if value is None else value}


class Sleep(Node):
    """Wait a known time, then pass the value on: a stand-in for work of known duration."""

    type = "util.sleep"
    title = "Sleep"
    category = "util"
    inputs = {"value": Input(PortKind.JSON, optional=True),
              "after": Input(PortKind.JSON, "Another upstream to wait for; its value is ignored", optional=True)}
    outputs = {"value": Output(PortKind.JSON)}

    class Params(NodeParams):
        seconds: float = Field(0.1, ge=0, le=3600, description="How long to sleep")
        label: str = Field("", description="A free label")

    def run(self, ctx, params, *, value=None, after=None):
        steps = max(1, int(params.seconds / 0.05))
        for step in range(steps):
            time.sleep(params.seconds / steps)
            ctx.progress(step + 1, steps)
        return {"value": value if value is not None else params.label}


class GpuSleep(Sleep):
    """Sleep while holding one GPU: scheduling tests and benchmarks use it as GPU work."""

    type = "util.gpu_sleep"
    title = "GPU sleep"
    resources = Resources(gpus=1, cpus=0)


class Collect(Node):
    """Gather a JSON value from every branch of a matrix fan-out into one list, in the matrix's
    order: `values: shot[seed=*].value`."""

    type = "util.collect"
    title = "Collect"
    category = "util"
    cheap = True
    inputs = {"values": Input(PortKind.JSON, "Every branch's value: reference it as node[var=*].port", gather=True)}
    outputs = {"value": Output(PortKind.JSON, "The values, in the order of the matrix's values")}

    class Params(NodeParams):
        label: str = Field("", description="A free label; changing it changes the cache key")

    def run(self, ctx, params, *, values):
        return {"value": list(values)}


NODE_TYPES = [JsonValue, NoOp, Sleep, GpuSleep, Collect]
