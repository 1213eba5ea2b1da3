"""The one run loop every engine shares (Dagster's StepDelegatingExecutor is the model).

    drive(runtime, run_id, engine, RunContext(run_id, on_event=sink, stop=cancel_event))

The loop owns the run's DagState and records everything through `session`: the run's start, the
nodes skipped below a failure, nodes whose worker was lost, nodes abandoned after a stop, and the
final status. An engine only launches nodes and reports them back (`NodeLauncher`): `submit` one
ready node, or a chain of cheap nodes that starts with one (flows/fusion.py), as one task (or
decline it for now: no free GPU, CPUs busy), `wait` for completions, `cancel` (ask
running nodes to stop) and `abandon` (stop waiting for them); `open` and `close` bracket a run
with the engine's own bootstrap (threads, a Ray GPU pool, a Prefect flow's task runner).

Stopping: when `run.stop` is set the loop dispatches nothing more and calls `engine.cancel()`;
running nodes see the same flag at their next progress call and come back `cancelled`. Nodes still
running after STOP_GRACE_SECONDS are abandoned: put back to pending with their leases freed. The
run then ends `stopped_as` (cancelled for a cancel, interrupted for a signal) unless every node
had already finished.

Only the calling thread runs this loop and touches the DagState; engines report completions to it
and never call back into it, so the state needs no lock.
"""
from __future__ import annotations

import gc
import os
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from reelgraph.flows import session
from reelgraph.flows.events import EventSink, RunContext, ignore_events
from reelgraph.flows.fusion import Task, cheap_nodes, line_task, pack
from reelgraph.flows.runner import NodeOutcome
from reelgraph.flows.runtime import Runtime
from reelgraph.flows.scheduling import DagState
from reelgraph.storage import repository as repo
from reelgraph.storage.records import CANCELLED, NodeRunInfo

STOP_GRACE_SECONDS = float(os.environ.get("REELGRAPH_STOP_GRACE_SECONDS", "5"))
WAIT_SECONDS = 0.25  # longest a wait blocks before the loop looks at the stop flag again


class EngineUnavailable(Exception):
    """The engine cannot run this run at all (its cluster cannot start workers): the run fails
    with this message instead of a traceback."""


@dataclass(frozen=True)
class Completion:
    """A node an engine is done with: its outcome, or why none came back (`lost`, with the error
    code recorded: `worker_lost`, or `unplaceable` when the engine cannot place the node)."""
    node_id: str
    outcome: NodeOutcome | None = None
    lost: str | None = None
    code: str = "worker_lost"


class NodeLauncher(Protocol):
    """What an engine supplies to the driver loop."""

    def open(self, run: RunContext, state: DagState) -> None:
        """Prepare for a run (start workers, pools); `state` tells what it will need."""

    task_slots: int
    """How many tasks the engine runs at once (set by `open`): packs of cheap lines leave it busy."""

    def submit(self, chain: list[NodeRunInfo]) -> bool:
        """Launch a ready node, or lines of cheap nodes (flows/fusion.py), as one task
        (flows/chains.run_chain runs either); False when it cannot start now (the loop offers it
        again later). Completions come back per node; a node never reported (lost with its worker,
        or placed nowhere) must come back as a Completion with `lost` set."""

    def wait(self, timeout: float) -> list[Completion]:
        """Nodes finished since the last call; waits up to `timeout` seconds for the first."""

    def cancel(self) -> None:
        """The run was asked to stop: ask running nodes to stop (run.stop is already set)."""

    def abandon(self) -> None:
        """Stop waiting for the nodes still running (terminate them where the backend can)."""

    def close(self) -> None:
        """Release what `open` took."""


def drive(runtime: Runtime, run_id: str, engine: NodeLauncher, run: RunContext, *,
          stopped_as: str = CANCELLED, external_id: str | None = None) -> str:
    """Run every node of a created run that is not done yet; returns the run's final status."""
    session.start(runtime, run_id, external_id=external_id)
    state = DagState(repo.list_node_runs(runtime.db, run_id))
    fusible = cheap_nodes(runtime, (state.node_runs[n] for n in state.waiting))
    lines: dict[str, Task] = {}  # ready nodes' lines, by first node
    running: set[str] = set()
    stop_deadline: float | None = None
    try:
        engine.open(run, state)
    except EngineUnavailable as error:
        return session.fail_run(runtime, run_id, str(error))
    _freeze_long_lived_objects()
    try:
        while True:
            if run.stopping:
                if stop_deadline is None:
                    stop_deadline = time.monotonic() + STOP_GRACE_SECONDS
                    engine.cancel()
                if not running:
                    break
                if time.monotonic() >= stop_deadline:
                    engine.abandon()
                    session.abandon(runtime, run, sorted(running))
                    break
            else:
                declined_cpus = float("inf")  # CPU-only work the engine has no room for in this pass
                ready = state.ready()
                for node_id in ready:
                    if node_id not in lines:  # a ready node's line holds until it starts
                        lines[node_id] = line_task(state, node_id, fusible)
                for task in pack([lines[node_id] for node_id in ready], engine.task_slots):
                    if not task.gpus and task.cpus >= declined_cpus:
                        continue  # engines decline CPU work by its size: as big as a declined one, declined too
                    if engine.submit(task.nodes):
                        for member in task.nodes:
                            lines.pop(member.node_id, None)
                            state.started(member.node_id)
                            running.add(member.node_id)
                    elif not task.gpus:
                        declined_cpus = min(declined_cpus, task.cpus)
                if not running:  # nothing left, or nothing that can ever start
                    break
            for completion in engine.wait(WAIT_SECONDS):
                if completion.node_id not in running:
                    continue  # later in a chain that failed: skipped already
                running.discard(completion.node_id)
                outcome = completion.outcome
                status = outcome.status if outcome else session.node_lost(runtime, run, completion.node_id,
                                                                           completion.lost or "no outcome",
                                                                           code=completion.code)
                skipped = state.finished(completion.node_id, status)
                running.difference_update(skipped)
                session.skip_downstream(runtime, run, skipped, completion.node_id)
    finally:
        engine.close()
    return session.finish(runtime, run_id, stopped_as=stopped_as if run.stopping else None)


_frozen = False


def _freeze_long_lived_objects() -> None:
    """Once per process, after an engine's bootstrap imported what it needs: every object alive now
    (modules, classes, Ray's and Prefect's clients) leaves the cyclic garbage collector's view. A
    full collection otherwise walks them all (about 170,000 with Ray loaded: 0.1 s, once per
    1,000-node run, as long as that run's whole scheduling). They stay reference-counted."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


class Engine:
    """The base of every engine: `execute` drives a run through the shared loop with the engine's
    NodeLauncher methods (which subclasses implement)."""

    name = "engine"
    runtime: Runtime

    def execute(self, run_id: str, *, on_event: EventSink = ignore_events, cancel: threading.Event | None = None,
                stopped_as: str = CANCELLED) -> str:
        run = RunContext(run_id, on_event, cancel if cancel is not None else threading.Event())
        return drive(self.runtime, run_id, self, run, stopped_as=stopped_as)  # type: ignore[arg-type]
