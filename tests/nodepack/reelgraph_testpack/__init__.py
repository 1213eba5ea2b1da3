"""A tiny third-party node pack, installed for the tests through the `reelgraph.nodes` entry point.

Its nodes exercise what built-ins should not do on purpose: fail, flake, be random.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

from pydantic import Field

from reelgraph.nodes import Input, Node, NodeError, NodeParams, Output, PortKind, Resources


class Fail(Node):
    """Always fails with a NodeError."""

    type = "testpack.fail"
    inputs = {"value": Input(PortKind.JSON, optional=True)}
    outputs = {"value": Output(PortKind.JSON)}

    class Params(NodeParams):
        message: str = Field("this node always fails", description="The error message")

    def run(self, ctx, params, *, value=None):
        raise NodeError(params.message, param="message", hint="remove this node")


class FailOnce(Node):
    """Raises an unexpected exception until a marker file exists, then succeeds: a flaky world."""

    type = "testpack.fail_once"
    retries = 0
    inputs = {"value": Input(PortKind.JSON, optional=True)}
    outputs = {"value": Output(PortKind.JSON)}

    class Params(NodeParams):
        marker: str = Field(description="A file that, once present, lets the node succeed")

    def run(self, ctx, params, *, value=None):
        marker = Path(params.marker)
        if not marker.exists():
            marker.write_text("failed once")
            raise RuntimeError("transient failure")
        return {"value": value or "recovered"}


class Retried(FailOnce):
    type = "testpack.retried"
    retries = 2


class RandomValue(Node):
    """A non-deterministic node: it must never come from the cache."""

    type = "testpack.random"
    deterministic = False
    outputs = {"value": Output(PortKind.JSON)}

    def run(self, ctx, params):
        return {"value": random.random()}


class CountCalls(Node):
    """Appends a line to a file each time it executes, so tests count real executions."""

    type = "testpack.count"
    inputs = {"value": Input(PortKind.JSON, optional=True)}
    outputs = {"value": Output(PortKind.JSON)}

    class Params(NodeParams):
        log: str = Field(description="File to append to")
        label: str = ""
        seconds: float = Field(0, description="Sleep this long first: a window for races")
        pid_file: str = Field("", description="Write the executing process id here first")
        release_file: str = Field("", description="Then block until this file exists: a test decides "
                                                  "when the node finishes, not the clock")

    def run(self, ctx, params, *, value=None):
        import time

        if params.pid_file:
            Path(params.pid_file).write_text(str(os.getpid()))
        if params.release_file:
            deadline = time.monotonic() + 600  # a test that never releases fails, it does not hang CI
            while not Path(params.release_file).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{params.release_file} never appeared")
                time.sleep(0.02)
        time.sleep(params.seconds)
        with open(params.log, "a") as handle:
            handle.write(f"{ctx.node_id} {os.getpid()}\n")
        return {"value": value if value is not None else params.label}


class WaitForFile(Node):
    """Writes its pid to `started`, then reports progress until `release` exists: a node tests stop
    mid-run (cancel, signals) without racing the clock."""

    type = "testpack.wait_for_file"
    inputs = {"value": Input(PortKind.JSON, optional=True)}
    outputs = {"value": Output(PortKind.JSON)}

    class Params(NodeParams):
        started: str = Field(description="Written (with the process id) when the node starts")
        release: str = Field(description="The node finishes once this file exists")
        label: str = ""
        report_progress: bool = Field(True, description="False: never call ctx.progress (cannot be asked to stop)")

    def run(self, ctx, params, *, value=None):
        import time

        Path(params.started).write_text(str(os.getpid()))
        while True:
            if params.report_progress:
                ctx.progress(0, None, f"waiting for {params.release}")
            if Path(params.release).exists():
                break
            time.sleep(0.02)
        return {"value": params.label}


class Gate(Node):
    """Writes `started`, then waits until `release` exists: holds a run open at a known point so a
    test can act while it runs (a file barrier, not a sleep)."""

    type = "testpack.gate"
    inputs = {"frames": Input(PortKind.FRAMES, optional=True)}
    outputs = {"value": Output(PortKind.JSON)}

    class Params(NodeParams):
        started: str = Field(description="Written when the node starts")
        release: str = Field(description="The node returns once this file exists")
        timeout: float = Field(120, description="Fail after this many seconds without a release")

    def run(self, ctx, params, *, frames=None):
        import time

        Path(params.started).write_text(ctx.run_id)
        deadline = time.monotonic() + params.timeout
        while not Path(params.release).exists():
            if time.monotonic() > deadline:
                raise NodeError(f"{params.release} never appeared", param="release")
            time.sleep(0.01)
        return {"value": sum(1 for _ in frames) if frames is not None else 0}


NODE_TYPES = [Fail, FailOnce, Retried, RandomValue, CountCalls, WaitForFile, Gate]


class ModelUser(Node):
    """Needs a GPU and a model: loads it through the process model cache, like a diffusion node."""

    type = "testpack.model_user"
    resources = Resources(gpus=1, cpus=0)
    outputs = {"value": Output(PortKind.JSON)}

    class Params(NodeParams):
        model: str = Field(description="A safetensors file standing in for a model's weights")
        index: int = 0

    @classmethod
    def model_ids(cls, params):
        return [params.model]

    def run(self, ctx, params):
        from safetensors.numpy import load_file

        weights = ctx.models.get(("testpack", params.model), lambda: load_file(params.model))
        return {"value": float(weights["w"].sum()) + params.index}


NODE_TYPES.append(ModelUser)


class Needs(Node):
    """Declares the resources its params ask for: a stand-in for a model sized for several GPUs."""

    type = "testpack.needs"
    outputs = {"value": Output(PortKind.JSON)}

    class Params(NodeParams):
        gpus: float = Field(0, ge=0)
        cpus: float = Field(1, ge=0)

    @classmethod
    def resources_for(cls, params):
        return Resources(gpus=params.gpus, cpus=params.cpus)

    def run(self, ctx, params):
        return {"value": params.gpus}


NODE_TYPES.append(Needs)
