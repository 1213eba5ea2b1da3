"""The Prefect engines: a Prefect flow run per reelgraph run, a Prefect task per node (or per
chain of cheap nodes).

The flow's body is the shared driver loop (flows/driver.py): it submits each node as a task when
its upstream nodes are done (a chain of cheap nodes as one task, flows/fusion.py), named after the node id and waiting for its upstream tasks' futures
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
from reelgraph.flows.chains import run_chain
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


def run_node_task(where: Any, chain: list[NodeRunInfo], retries: int) -> list[NodeOutcome]:
    """The body of every task: one node, or a chain of cheap nodes (flows/chains.py)."""
    from prefect.runtime import task_run

    run_id = chain[0].run_id
    runtime, run, scope = where.open(run_id)
    with scope as worker_run:
        if len(chain) == 1:  # Prefect retries it: one attempt per task run
            outcomes = [run_node(runtime, run_id, chain[0].node_id, run=run or worker_run, max_attempts=1)]
        else:
            outcomes = run_chain(runtime, chain, run=run or worker_run)
    last = outcomes[-1]
    if last.status == FAILED and last.retryable and len(chain) == 1 and (task_run.run_count or 1) <= retries:
        raise RetryableNodeFailure(last.error)
    return outcomes


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
        return self._as_argument(InProcessTasks(self.runtime, run))

    def _as_argument(self, value: Any) -> Any:
        """A task argument Prefect hands over as it is, without walking it for futures (in-process
        tasks; prefect-ray pickles its arguments and does not unwrap quotes)."""
        from prefect.utilities.annotations import quote

        return quote(value)

    def _submit_options(self, chain: list[NodeRunInfo]) -> Any:
        return nullcontext()

    def _slots(self) -> int:
        """How many tasks run at once."""
        return self.max_workers

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
        self.task_slots = self._slots()

    def submit(self, chain: list[NodeRunInfo]) -> bool:
        node_run = chain[0]
        node_type = self.runtime.registry.get(node_run.type)
        retries = node_type.retries if node_type and len(chain) == 1 else 0  # a chain retries inside
        members = {n.node_id for n in chain}  # the task waits for its nodes' upstream tasks (Prefect's graph)
        upstream = list({id(self.futures[up]): self.futures[up] for n in chain for up, _ in n.inputs.values()
                         if up in self.futures and up not in members}.values())
        name = node_run.node_id if len(chain) == 1 else f"{node_run.node_id} .. {chain[-1].node_id} ({len(chain)} nodes)"
        configured = self.node_task.with_options(name=name, task_run_name=name, retries=retries, retry_delay_seconds=0)
        node_ids = [n.node_id for n in chain]
        with self._submit_options(chain):
            future = configured.submit(self.where, self._as_argument(chain), retries, wait_for=upstream)
        for node_id in node_ids:  # a node downstream of the chain waits for the chain's task
            self.futures[node_id] = future
        self.waiting += 1
        future.add_done_callback(lambda done, node_ids=node_ids: self.done.put((node_ids, done)))
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
        for node_ids, future in finished:
            self.waiting -= 1
            try:
                completions += [Completion(outcome.node_id, outcome) for outcome in future.result()]
            except Exception as error:  # retries exhausted on an unexpected failure
                completions += [Completion(node_id, lost=f"the Prefect task failed: {error}") for node_id in node_ids]
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
        self.channel = open_channel(run.run_id)
        self.events = ChannelReader(self.channel, run.on_event)

    def _release(self) -> None:
        self.events.drain(self.reported)
        self.channel.close()

    def _task_runner(self) -> Any:
        from prefect_ray.task_runners import RayTaskRunner

        return RayTaskRunner()

    def _tasks_side(self, run: RunContext) -> Any:
        self.reported = 0
        return RayWorkerTasks(self.runtime.config, self.channel.address)

    def _as_argument(self, value: Any) -> Any:
        return value

    def _slots(self) -> int:
        return max(1, int(sum(node.get("CPU", 0) for node in self.offers.nodes)))

    def _submit_options(self, chain: list[NodeRunInfo]) -> Any:
        from prefect_ray.context import remote_options

        # never more than one Ray node offers: Ray would keep the task pending for ever
        return remote_options(num_cpus=max(self.offers.cpus_for(n.resources) for n in chain),
                              num_gpus=max(self.offers.gpus_for(n.resources) for n in chain))

    def submit(self, chain: list[NodeRunInfo]) -> bool:
        refusal = self.offers.refusal(chain[0].node_id, chain[0].resources)
        if refusal:  # failed now, not left in Ray's queue for ever
            self.refused += [Completion(n.node_id, lost=refusal, code="unplaceable") for n in chain]
            return True
        return super().submit(chain)

    def wait(self, timeout: float) -> list[Completion]:
        completions, self.refused = self.refused + super().wait(timeout), []
        self.reported += sum(1 for c in completions if c.outcome is not None)
        self.events.forward()
        return completions

    def cancel(self) -> None:
        self.channel.stop()
