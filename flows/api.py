"""The Python entry points for running graphs, as the CLI and tests use them.

    runtime = open_runtime()                      # database + store + registry
    result = run_document(runtime, "examples/hello.yaml", overrides=["thumb.width=64"])
    result["status"], result["nodes"]["thumb"]["outputs"]

Each call takes the run's own event sink (`on_event`) and an optional `cancel` event: setting it
stops dispatching, asks running nodes to stop at their next progress call, and the run ends
"cancelled" (or `stopped_as`, e.g. "interrupted" for a signal). Calls are independent: two runs
in one process each get their own events only.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelgraph.flows import session
from reelgraph.flows.engines import make_engine
from reelgraph.flows.events import EventSink, ignore_events
from reelgraph.flows.results import run_result
from reelgraph.flows.runtime import Runtime
from reelgraph.flows.session import RunStillActive
from reelgraph.graph import Plan, apply_overrides, plan_document
from reelgraph.storage import repository as repo
from reelgraph.storage.records import CANCELLED, DONE_STATUSES

__all__ = ["ResumePoint", "RunStillActive", "create_run_from", "execute_run", "prepare_resume", "resume_run",
           "run_document"]


def create_run_from(runtime: Runtime, source: str | Path | dict, *, engine: str = "local",
                    workspace_root: str | Path | None = None, overrides: list[str] | None = None,
                    targets: list[str] | None = None) -> tuple[str, Plan, int]:
    """Plan a document (a path, or a dict from GraphBuilder.document()) and record a run of it.

    Returns (run id, plan, number of nodes the cache settled). Raises GraphInvalid.
    """
    run_id = session.new_run_id()
    overrides, targets = list(overrides or []), list(targets or [])
    if isinstance(source, dict):
        raw = apply_overrides(source, overrides)
        plan = plan_document(raw, workspace_root=workspace_root or Path.cwd(), run_id=run_id,
                             registry=runtime.registry)
        plan = plan.restricted_to(targets) if targets else plan
    else:
        plan = session.plan_for_run(source, overrides=overrides, targets=targets, run_id=run_id, runtime=runtime)
    settled = session.create_run(runtime, plan, run_id=run_id, engine=engine, overrides=overrides,
                                 targets=targets)
    return run_id, plan, settled


def execute_run(runtime: Runtime, run_id: str, engine: str | None = None, *, on_event: EventSink = ignore_events,
                cancel: threading.Event | None = None, stopped_as: str = CANCELLED, **engine_options: Any) -> str:
    """Execute a created run; returns its final status: succeeded, failed, cancelled or interrupted."""
    name = engine or repo.get_run(runtime.db, run_id).engine
    return make_engine(name, runtime, **engine_options).execute(run_id, on_event=on_event, cancel=cancel,
                                                                stopped_as=stopped_as)


def run_document(runtime: Runtime, source: str | Path | dict, *, engine: str = "local",
                 workspace_root: str | Path | None = None, overrides: list[str] | None = None,
                 targets: list[str] | None = None, on_event: EventSink = ignore_events,
                 cancel: threading.Event | None = None, **engine_options: Any) -> dict:
    run_id, _, _ = create_run_from(runtime, source, engine=engine, workspace_root=workspace_root,
                                   overrides=overrides, targets=targets)
    execute_run(runtime, run_id, engine, on_event=on_event, cancel=cancel, **engine_options)
    return run_result(runtime, run_id)


@dataclass(frozen=True)
class ResumePoint:
    """Where a resumed run starts: its node count, and how many of those are already done
    (finished before, or cache hits settled again), which a progress display counts as done."""
    total: int
    done: int


def prepare_resume(runtime: Runtime, run_id: str) -> ResumePoint:
    """Make a failed, cancelled or interrupted run executable again: unfinished nodes back to
    pending (those of a dead process too), cache hits settled again; execute_run goes on from there.

    Raises RunStillActive while a live process still executes the run's nodes: resuming then would
    run them twice.
    """
    session.prepare_resume(runtime, run_id)
    counts = repo.count_node_runs_by_status(runtime.db, run_id)
    return ResumePoint(total=sum(counts.values()), done=sum(counts.get(status, 0) for status in DONE_STATUSES))


def resume_run(runtime: Runtime, run_id: str, engine: str | None = None, *, on_event: EventSink = ignore_events,
               cancel: threading.Event | None = None, stopped_as: str = CANCELLED, **engine_options: Any) -> dict:
    """Re-run only what did not succeed in an earlier run; raises RunStillActive (see prepare_resume)."""
    prepare_resume(runtime, run_id)
    execute_run(runtime, run_id, engine, on_event=on_event, cancel=cancel, stopped_as=stopped_as, **engine_options)
    return run_result(runtime, run_id)
