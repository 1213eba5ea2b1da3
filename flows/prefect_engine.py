"""The Prefect engines: a Prefect flow run per reelgraph run, a Prefect task per node.

The flow's body is the shared driver loop (flows/driver.py): it submits each node as a task when
its upstream nodes are done, named after the node id and waiting for its upstream tasks' futures
(the outcomes, never the artifacts: those travel through the store), so the flow run in the
Prefect UI shows the graph as it is. reelgraph's cache decides what executes
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
import queue
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from reelgraph.flows.devices import default_one_thread
from reelgraph.flows.driver import Completion, Engine, drive
from reelgraph.flows.events import EventSink, RunContext, ignore_events
from reelgraph.flows.runner import NodeOutcome, run_node
from reelgraph.flows.runtime import Runtime, RuntimeConfig
from reelgraph.flows.scheduling import DagState
from reelgraph.storage import repository as repo
from reelgraph.storage.records import CANCELLED, FAILED, NodeRunInfo

# Prefect is chatty at INFO and phones home by default; a user's own settings still win.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


class RetryableNodeFailure(Exception):
    """Raised inside a task so that Prefect retries it."""


@dataclass(frozen=True)
class InProcessTasks:
    """Tasks in this process's threads: they use the caller's Runtime and RunContext as they are."""
    runtime: Runtime
    run: RunContext

    def open(self, run_id: str) -> tuple[Runtime, RunContext, Any]:
        return self.runtime, self.run, nullcontext()


@dataclass(frozen=True)
class RayWorkerTasks:
    """Tasks in Ray workers: a Runtime per worker process, the run's context through its channel."""
    config: RuntimeConfig
    channel: str

    def open(self, run_id: str) -> tuple[Runtime, RunContext | None, Any]:
        from reelgraph.flows.ray_support import worker_run, worker_runtime

        return worker_runtime(self.config), None, worker_run(run_id, self.channel)


def run_node_task(where: Any, run_id: str, node_id: str, retries: int) -> NodeOutcome:
    """The body of every node task."""
    from prefect.runtime import task_run

    runtime, run, scope = where.open(run_id)
    with scope as worker_run:
        outcome = run_node(runtime, run_id, node_id, run=run or worker_run, max_attempts=1)
    if outcome.status == FAILED and outcome.retryable and (task_run.run_count or 1) <= retries:
        raise RetryableNodeFailure(outcome.error)
    return outcome


# The engine executing each run in this process, by run id. The flow body must be a plain module
# function of the run id: prefect-ray pickles the flow (inside its run context) to every task, and
# a closure over the engine (locks, the caller's sink) cannot travel. Each run reads its own entry.
_executing: dict[str, PrefectEngine] = {}


def _render_run(run_id: str) -> Any:
    """The flow body: the shared driver loop. The flow run ends Failed when the reelgraph run
    failed, so Prefect's UI and automations see it."""
    from prefect.runtime import flow_run
    from prefect.states import Completed, Failed

    engine = _executing[run_id]
    status = drive(engine.runtime, run_id, engine, engine.run, stopped_as=engine.stopped_as,
                   external_id=str(flow_run.id))
    if status == FAILED:
        return Failed(message=f"reelgraph run {run_id} failed: {repo.get_run(engine.runtime.db, run_id).error}")
    return Completed(message=f"reelgraph run {run_id} {status}")


class PrefectEngine(Engine):
    name = "prefect"

    def __init__(self, runtime: Runtime, *, max_workers: int | None = None, **_: Any) -> None:
        self.runtime = runtime
        self.max_workers = max_workers or os.cpu_count() or 1

    # What prefect-ray changes --------------------------------------------------------------
    def _task_runner(self) -> Any:
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=self.max_workers)

    def _tasks_side(self, run: RunContext) -> Any:
        from prefect.utilities.annotations import quote

        return quote(InProcessTasks(self.runtime, run))  # handed to tasks as is, never walked by Prefect

    def _submit_options(self, node_run: NodeRunInfo) -> Any:
        return nullcontext()

    def _prepare(self, run: RunContext) -> None:
        """Before the flow starts (prefect-ray joins Ray here)."""

    def _release(self) -> None:
        """After the flow ended."""

    # The flow --------------------------------------------------------------------------------
    def execute(self, run_id: str, *, on_event: EventSink = ignore_events, cancel: threading.Event | None = None,
                stopped_as: str = CANCELLED) -> str:
        """A Prefect flow run whose body is the shared driver loop."""
        from prefect import flow

        self.run, self.stopped_as = RunContext(run_id, on_event, cancel or threading.Event()), stopped_as
        graph_name = repo.get_run(self.runtime.db, run_id).graph_name
        self._prepare(self.run)
        _executing[run_id] = self
        try:
            rendered = flow(_render_run, name=f"reelgraph-{graph_name}", task_runner=self._task_runner(),
                            validate_parameters=False, persist_result=False)
            rendered.with_options(flow_run_name=f"{graph_name}-{run_id[:8]}")(run_id, return_state=True)
        finally:
            _executing.pop(run_id, None)
            self._release()
        return repo.get_run(self.runtime.db, run_id).status

    # The NodeLauncher methods the driver calls (inside the flow) ---------------------------
    def open(self, run: RunContext, state: DagState) -> None:
        from prefect import task
        from prefect.cache_policies import NONE
        default_one_thread()  # in-process tasks start torch as Ray's workers and the local engine do
        self.run = run
        self.node_task = task(run_node_task, cache_policy=NONE, persist_result=False)
        self.where = self._tasks_side(run)
        self.futures: dict[str, Any] = {}
        self.done: queue.Queue = queue.Queue()
        self.waiting = 0

    def submit(self, node_run: NodeRunInfo) -> bool:
        node_type = self.runtime.registry.get(node_run.type)
        retries = node_type.retries if node_type else 0
        upstream = [self.futures[up] for up, _ in node_run.inputs.values() if up in self.futures]
        configured = self.node_task.with_options(name=node_run.node_id, task_run_name=node_run.node_id,
                                                 retries=retries, retry_delay_seconds=0)
        with self._submit_options(node_run):
            future = configured.submit(self.where, node_run.run_id, node_run.node_id, retries, wait_for=upstream)
        self.futures[node_run.node_id] = future
        self.waiting += 1
        future.add_done_callback(lambda done, node_id=node_run.node_id: self.done.put((node_id, done)))
        return True

    def wait(self, timeout: float) -> list[Completion]:
        if not self.waiting:
            return []
        try:
            finished = [self.done.get(timeout=timeout)]
        except queue.Empty:
            return []
        while not self.done.empty():
            finished.append(self.done.get_nowait())
        completions = []
        for node_id, future in finished:
            self.waiting -= 1
            try:
                completions.append(Completion(node_id, future.result()))
            except Exception as error:  # retries exhausted on an unexpected failure
                completions.append(Completion(node_id, lost=f"the Prefect task failed: {error}"))
        return completions

    def cancel(self) -> None:
        pass  # in-process tasks read run.stop themselves

    def abandon(self) -> None:
        pass  # tasks in threads cannot be stopped from outside; the driver stops waiting for them

    def close(self) -> None:
        pass


class PrefectRayEngine(PrefectEngine):
    name = "prefect-ray"

    def __init__(self, runtime: Runtime, *, address: str | None = None, **init_options: Any) -> None:
        super().__init__(runtime)
        self.address = address
        self.init_options = init_options

    def _prepare(self, run: RunContext) -> None:
        from reelgraph.flows.ray_placement import ClusterOffers
        from reelgraph.flows.ray_support import ChannelReader, ensure_ray, open_channel

        ensure_ray(self.address, **self.init_options)  # RayTaskRunner reuses a running Ray
        self.offers = ClusterOffers.read()
        self.refused: list[Completion] = []  # nodes no node of the cluster can ever place
        self.channel, self.channel_name = open_channel(run.run_id)
        self.events = ChannelReader(self.channel, run.on_event)

    def _release(self) -> None:
        import ray

        self.events.drain(self.reported)
        ray.kill(self.channel)

    def _task_runner(self) -> Any:
        from prefect_ray.task_runners import RayTaskRunner

        return RayTaskRunner()

    def _tasks_side(self, run: RunContext) -> Any:
        self.reported = 0
        return RayWorkerTasks(self.runtime.config, self.channel_name)

    def _submit_options(self, node_run: NodeRunInfo) -> Any:
        from prefect_ray.context import remote_options

        # never more than one Ray node offers: Ray would keep the task pending for ever
        return remote_options(num_cpus=self.offers.cpus_for(node_run.resources),
                              num_gpus=self.offers.gpus_for(node_run.resources))

    def submit(self, node_run: NodeRunInfo) -> bool:
        refusal = self.offers.refusal(node_run.node_id, node_run.resources)
        if refusal:  # failed now, not left in Ray's queue for ever
            self.refused.append(Completion(node_run.node_id, lost=refusal, code="unplaceable"))
            return True
        return super().submit(node_run)

    def wait(self, timeout: float) -> list[Completion]:
        completions, self.refused = self.refused + super().wait(timeout), []
        self.reported += sum(1 for c in completions if c.outcome is not None)
        self.events.forward()
        return completions

    def cancel(self) -> None:
        self.channel.stop.remote()
