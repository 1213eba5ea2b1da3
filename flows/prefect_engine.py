"""The Prefect engines: a Prefect flow run per reelgraph run, a Prefect task per node.

Tasks are named after node ids and submitted in topological order, each receiving its upstream
tasks' futures (the outcomes, never the artifacts: those travel through the store), so the
flow run in the Prefect UI shows the graph as it is. reelgraph's cache decides what executes
(Prefect's task caching is off); a node's `retries` become the task's Prefect retries, used only
for failures another attempt may fix. The Prefect flow run id is recorded on the run.

- `prefect`: tasks run in threads of this process (ThreadPoolTaskRunner).
- `prefect-ray`: tasks run as Ray tasks through prefect-ray's RayTaskRunner, with the node's
  resources as `remote_options` (num_gpus, num_cpus).

Without PREFECT_API_URL, Prefect starts a temporary local server for the flow run; teams point
PREFECT_API_URL at their Prefect server (see the README).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from reelgraph.flows import session
from reelgraph.flows.events import Event
from reelgraph.flows.runner import NodeOutcome, run_node
from reelgraph.flows.runtime import Runtime, RuntimeConfig, process_runtime
from reelgraph.storage import repository as repo
from reelgraph.storage.records import FAILED, SKIPPED

# Prefect is chatty at INFO and phones home by default; a user's own settings still win.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

# In-process event sinks by run id, for tasks that run in this process's threads.
_local_sinks: dict[str, Callable[[Event], None]] = {}


class RetryableNodeFailure(Exception):
    """Raised inside a task so that Prefect retries it."""


def _task_runtime(config: RuntimeConfig, run_id: str, events: Any) -> Runtime:
    runtime = process_runtime(config)
    if events is not None:  # a Ray queue: the task runs in a Ray worker
        runtime.on_event = lambda event: events.put_nowait(event)
    else:
        runtime.on_event = lambda event: _local_sinks.get(run_id, lambda _: None)(event)
    return runtime


def run_node_task(config: RuntimeConfig, run_id: str, node_id: str, upstream: list[NodeOutcome],
                  retries: int, events: Any = None) -> NodeOutcome:
    """The body of every node task."""
    from prefect.runtime import task_run

    runtime = _task_runtime(config, run_id, events)
    failed = [o.node_id for o in upstream if o.status in (FAILED, SKIPPED)]
    if failed:
        repo.mark_skipped(runtime.db, run_id, [node_id], f"upstream node '{failed[0]}' failed")
        return NodeOutcome(node_id, SKIPPED)
    outcome = run_node(runtime, run_id, node_id, max_attempts=1)
    if outcome.status == FAILED and outcome.retryable and (task_run.run_count or 1) <= retries:
        raise RetryableNodeFailure(outcome.error)
    return outcome


def _render_run(config: RuntimeConfig, run_id: str, ray_events: Any = None) -> Any:
    """The flow body: submit every node not done yet, in topological order, then settle the run.

    The flow run ends Failed when the reelgraph run failed, so Prefect's UI and automations see it.
    """
    from prefect import task
    from prefect.cache_policies import NONE
    from prefect.runtime import flow_run
    from prefect.states import Completed, Failed

    runtime = _task_runtime(config, run_id, None)
    repo.set_run_status(runtime.db, run_id, "running", external_id=str(flow_run.id))
    node_task = task(run_node_task, cache_policy=NONE, persist_result=False)
    futures: dict[str, Any] = {}
    for node_run in repo.list_node_runs(runtime.db, run_id):
        if node_run.status in ("succeeded", "cached"):
            continue
        node_type = runtime.registry.get(node_run.type)
        retries = node_type.retries if node_type else 0
        upstream = [futures[up] for up, _ in node_run.inputs.values() if up in futures]
        configured = node_task.with_options(name=node_run.node_id, task_run_name=node_run.node_id,
                                            retries=retries, retry_delay_seconds=0)
        with _remote_options(node_run.resources) if ray_events is not None else nullcontext():
            futures[node_run.node_id] = configured.submit(config, run_id, node_run.node_id, upstream, retries,
                                                          ray_events)
    for node_id, future in futures.items():
        try:
            future.result()
        except Exception as error:  # retries exhausted on an unexpected failure: it is recorded already
            node_run = repo.get_node_run(runtime.db, run_id, node_id)
            if node_run.status not in (FAILED, SKIPPED):
                repo.mark_failed(runtime.db, node_run.id, code="task_failed", error=str(error), traceback=None)
    status = session.finish(runtime, run_id)
    if status == FAILED:
        return Failed(message=f"reelgraph run {run_id} failed: {repo.get_run(runtime.db, run_id).error}")
    return Completed(message=f"reelgraph run {run_id} succeeded")


def _remote_options(resources: dict):
    from prefect_ray.context import remote_options

    return remote_options(num_cpus=resources.get("cpus", 1), num_gpus=resources.get("gpus", 0))


class PrefectEngine:
    name = "prefect"

    def __init__(self, runtime: Runtime, *, max_workers: int | None = None, **_: Any) -> None:
        self.runtime = runtime
        self.max_workers = max_workers or os.cpu_count() or 1

    def _flow(self, name: str):
        from prefect import flow
        from prefect.task_runners import ThreadPoolTaskRunner

        return flow(_render_run, name=name, task_runner=ThreadPoolTaskRunner(max_workers=self.max_workers),
                    validate_parameters=False, persist_result=False)

    def execute(self, run_id: str) -> str:
        run = repo.get_run(self.runtime.db, run_id)
        _local_sinks[run_id] = self.runtime.on_event
        try:
            flow = self._flow(f"reelgraph-{run.graph_name}").with_options(flow_run_name=f"{run.graph_name}-{run_id[:8]}")
            flow(self.runtime.config, run_id, return_state=True)
            return repo.get_run(self.runtime.db, run_id).status
        finally:
            _local_sinks.pop(run_id, None)


class PrefectRayEngine(PrefectEngine):
    name = "prefect-ray"

    def __init__(self, runtime: Runtime, *, address: str | None = None, **init_options: Any) -> None:
        super().__init__(runtime)
        self.address = address
        self.init_options = init_options

    def execute(self, run_id: str) -> str:
        from prefect import flow
        from prefect_ray.task_runners import RayTaskRunner
        from ray.util.queue import Queue

        from reelgraph.flows.ray_engine import ensure_ray, forward_events

        ensure_ray(self.address, **self.init_options)  # RayTaskRunner reuses a running Ray
        run = repo.get_run(self.runtime.db, run_id)
        events = Queue()
        relay = threading.Thread(target=forward_events, args=(events, self.runtime.on_event), daemon=True)
        relay.start()
        try:
            render = flow(_render_run, name=f"reelgraph-{run.graph_name}", task_runner=RayTaskRunner(),
                          validate_parameters=False, persist_result=False)
            render.with_options(flow_run_name=f"{run.graph_name}-{run_id[:8]}")(
                self.runtime.config, run_id, events, return_state=True)
            return repo.get_run(self.runtime.db, run_id).status
        finally:
            events.put(None)  # tells the relay to stop
            relay.join(timeout=5)
            events.shutdown()
