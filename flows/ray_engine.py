"""The Ray engine: the same run, scheduled across a Ray cluster.

- CPU nodes are Ray tasks asking for the node's CPUs.
- GPU nodes go to resident GPU workers, one actor per GPU for the length of a run, each with its
  own process model cache: a model loads once per GPU and stays there for the next node that
  needs it, and a node goes to a worker that already holds its model when one is free. GPU workers ask for no CPU, so CPU
  accounting never holds a GPU back (Ray asks for 1 CPU per task by default).
- Without `address`, a local Ray sized to this machine starts; with one, Ray joins that cluster
  (the database and the store must then be reachable from every node: PostgreSQL, a shared
  folder or an fsspec URL).
- A cluster with no GPU at all runs GPU nodes on CPU workers, with a warning, rather than waiting
  forever for a GPU that will never come.
- Artifacts travel through the store; Ray's object store carries only each node's outcome.
- Progress events from workers come back through a Ray queue and reach the same sinks as local ones.

Ray retries a task whose worker died (3 times by default), and restarts a dead GPU worker; the node
runner then records a second attempt and executes again, since the dead attempt left nothing done.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from reelgraph.flows import session
from reelgraph.flows.events import NodeFinished
from reelgraph.flows.runner import NodeOutcome, run_node
from reelgraph.flows.runtime import Runtime, RuntimeConfig, process_runtime
from reelgraph.flows.scheduling import DagState
from reelgraph.storage import repository as repo
from reelgraph.storage.records import FAILED, NodeRunInfo

log = logging.getLogger(__name__)
NAMESPACE = "reelgraph"
def _worker_runtime(config: RuntimeConfig, run_id: str | None) -> Runtime:
    """The worker process's Runtime, named after its Ray node, reporting to the run's relay."""
    import ray

    runtime = process_runtime(config)
    runtime.worker = f"ray-node-{ray.get_runtime_context().get_node_id()[:12]}-pid-{os.getpid()}"
    if run_id is not None:
        runtime.on_event = _relay_for(run_id)
    return runtime


_relays: dict[str, ThrottledRelay] = {}


def _relay_for(run_id: str) -> ThrottledRelay:
    """The run's event queue is a named actor, looked up once per worker and run: passing its
    handle with every task would cost more than the task itself."""
    relay = _relays.get(run_id)
    if relay is None:
        import ray

        relay = _relays[run_id] = ThrottledRelay(ray.get_actor(f"events-{run_id}", namespace=NAMESPACE))
        if len(_relays) > 64:  # forget old runs' queues
            _relays.pop(next(iter(_relays)))
    return relay


class ThrottledRelay:
    """Sends a worker's events to the driver's queue in batches, every EVENT_INTERVAL: one call to
    the queue's actor per batch instead of one per event (each call costs about a millisecond, as
    much as running a small node). Progress goes at most every half second per node.

    Locking: one lock guards the buffer; the flusher thread swaps it out under the lock and sends
    outside it, so a node thread never waits on Ray.
    """

    def __init__(self, queue_actor: Any, interval: float = 0.5) -> None:
        self.queue_actor, self.interval = queue_actor, interval
        self._last: dict[str, float] = {}
        self._buffer: list = []
        self._lock = threading.Lock()
        threading.Thread(target=self._flush_forever, name="reelgraph-events", daemon=True).start()

    def __call__(self, event: Any) -> None:
        from reelgraph.nodes import ProgressEvent

        if isinstance(event, ProgressEvent):
            now = time.monotonic()
            if now - self._last.get(event.node_id, 0.0) < self.interval:
                return
            self._last[event.node_id] = now
        with self._lock:
            self._buffer.append(event)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(EVENT_INTERVAL)
            with self._lock:
                batch, self._buffer = self._buffer, []
            if batch:
                self.queue_actor.put_nowait_batch.remote(batch)


def _run_cpu_node(config: RuntimeConfig, run_id: str, node_id: str) -> NodeOutcome:
    return run_node(_worker_runtime(config, run_id), run_id, node_id)


def _warm_cpu_worker(config: RuntimeConfig) -> None:
    """Start a CPU worker process and open its runtime before the run needs it."""
    _worker_runtime(config, None)


def warm_cpu_workers(config: RuntimeConfig) -> None:
    """One warm worker per CPU of the cluster: a cold worker's imports and database connection
    take about a second, which would otherwise land on the critical path of the first nodes."""
    import ray

    warm = ray.remote(_warm_cpu_worker)
    ray.get([warm.options(num_cpus=1).remote(config) for _ in range(int(ray.cluster_resources().get("CPU", 1)))])


def nvidia_driver_present() -> bool:
    return os.path.exists("/proc/driver/nvidia/version")


class GpuWorker:
    """A resident worker holding one GPU (or a CPU stand-in) and the models loaded on it."""

    def __init__(self) -> None:
        import ray

        self.gpu_ids = [str(i) for i in ray.get_gpu_ids()]
        self.device = "cpu"
        if self.gpu_ids and nvidia_driver_present():  # torch's import costs seconds: only with a driver
            from reelgraph.flows.local_engine import cuda_device_count

            self.device = "cuda:0" if cuda_device_count() else "cpu"  # Ray narrows CUDA_VISIBLE_DEVICES

    def run(self, config: RuntimeConfig, run_id: str, node_id: str) -> NodeOutcome:
        runtime = _worker_runtime(config, run_id)
        return run_node(runtime, run_id, node_id, device=self.device, gpu=",".join(self.gpu_ids) or None)

    def ready(self, config: RuntimeConfig) -> bool:
        """Open the database and load the registry now, before the first node is waiting."""
        _worker_runtime(config, None)
        return True

    def model_loads(self) -> int:
        from reelgraph.nodes.model_cache import process_model_cache

        return process_model_cache.loads


# Work queued per GPU worker (and per CPU): one running and one waiting, so a worker starts its
# next node the moment it finishes one instead of waiting a round trip for the driver to dispatch.
WORKER_QUEUE_DEPTH = 2
EVENT_INTERVAL = 0.1  # seconds between reads of the workers' event queue


@dataclass
class _GpuSlot:
    actor: Any
    models: set[str] = field(default_factory=set)
    inflight: int = 0


def start_gpu_pool(config: RuntimeConfig) -> list[_GpuSlot]:
    """One GPU worker per GPU of the cluster (or one CPU stand-in when it has none).

    The pool lives as long as one run: holding GPUs between runs would starve every other user
    of a shared cluster (and other engines' GPU tasks) of them.
    """
    import ray

    gpus = int(ray.cluster_resources().get("GPU", 0))
    if gpus == 0:
        log.warning("the Ray cluster has no GPU: GPU nodes run on CPU workers instead")
    options = {"num_gpus": 1 if gpus else 0, "num_cpus": 0, "max_restarts": 3, "max_task_retries": 3}
    remote_worker = ray.remote(GpuWorker)
    slots = [_GpuSlot(remote_worker.options(**options).remote()) for _ in range(max(gpus, 1))]
    ray.get([slot.actor.ready.remote(config) for slot in slots])  # all warm: none lags behind the others
    return slots


def stop_gpu_pool(slots: list[_GpuSlot]) -> None:
    import ray

    for slot in slots:
        ray.kill(slot.actor)


def ensure_ray(address: str | None = None, **init_options: Any) -> None:
    import ray

    if not ray.is_initialized():
        ray.init(address=address, namespace=NAMESPACE, include_dashboard=False, log_to_driver=False,
                 configure_logging=False, **init_options)


class RayEngine:
    name = "ray"

    def __init__(self, runtime: Runtime, *, address: str | None = None, **init_options: Any) -> None:
        self.runtime = runtime
        self.address = address
        self.init_options = init_options
        self.gpu_slots: list[_GpuSlot] = []
        self.model_loads = 0  # models loaded by this run's GPU workers, counted when it ends

    def _model_ids(self, node_run: NodeRunInfo) -> set[str]:
        node_type = self.runtime.registry.get(node_run.type)
        if node_type is None:
            return set()
        try:
            return set(node_type.model_ids(node_type.Params.model_validate(node_run.params)))
        except ValueError:
            return set()

    def execute(self, run_id: str) -> str:
        import ray
        from ray.util.queue import Queue

        ensure_ray(self.address, **self.init_options)
        session.start(self.runtime, run_id)
        state = DagState(repo.list_node_runs(self.runtime.db, run_id))
        needs = [bool(state.node_runs[n].resources.get("gpus", 0)) for n in state.waiting]
        slots = start_gpu_pool(self.runtime.config) if any(needs) else []
        if not all(needs):
            warm_cpu_workers(self.runtime.config)
        self.gpu_slots = slots  # kept for inspection (tests count model loads per worker)
        # CPU nodes wait here until a CPU is nearly free, not in Ray's queue: Ray runs its queue
        # first in, first out, while the driver starts the node with the most work behind it first.
        self._cpu_capacity = ray.cluster_resources().get("CPU", 1)
        self._cpu_inflight = 0.0
        self._cpu_task = ray.remote(_run_cpu_node)
        self._finished_events = self._node_results = 0
        events, running = Queue(actor_options={"name": f"events-{run_id}", "namespace": NAMESPACE}), {}
        forwarded = time.monotonic()
        while state.pending or running:
            self._dispatch_ready(state, run_id, slots, running)
            finished, _ = ray.wait(list(running), num_returns=1, timeout=0.25)
            if finished:  # collect everything else already done in the same pass
                finished, _ = ray.wait(list(running), num_returns=len(running), timeout=0)
            if time.monotonic() - forwarded > EVENT_INTERVAL:  # each read is a call to the queue's actor
                self._forward_events(events)
                forwarded = time.monotonic()
            for ref in finished:
                node_id, slot, cpus = running.pop(ref)
                self._cpu_inflight -= cpus
                if slot is not None:
                    slot.inflight -= 1
                outcome = self._outcome(ref, run_id, node_id)
                self._node_results += 1
                skipped = state.finished(node_id, outcome.status)
                repo.mark_skipped(self.runtime.db, run_id, skipped, f"upstream node '{node_id}' failed")
        self._drain_last_events(events)
        events.shutdown()
        self.model_loads = sum(ray.get([slot.actor.model_loads.remote() for slot in slots]))
        stop_gpu_pool(slots)
        return session.finish(self.runtime, run_id)

    def _dispatch_ready(self, state: DagState, run_id: str, slots: list[_GpuSlot], running: dict) -> None:
        """Start ready nodes, highest priority first, as far as GPU workers and CPUs allow."""
        for node_id in state.ready():
            node_run = state.node_runs[node_id]
            if node_run.resources.get("gpus", 0):
                slot = self._free_slot(slots, self._model_ids(node_run))
                if slot is None:
                    continue
                slot.inflight += 1
                slot.models |= self._model_ids(node_run)
                ref = slot.actor.run.remote(self.runtime.config, run_id, node_id)
                cpus = 0.0
            else:
                slot, cpus = None, float(node_run.resources.get("cpus", 1))
                if self._cpu_inflight and self._cpu_inflight + cpus > self._cpu_capacity * WORKER_QUEUE_DEPTH:
                    continue
                ref = self._cpu_task.options(num_cpus=cpus).remote(self.runtime.config, run_id, node_id)
            self._cpu_inflight += cpus
            state.started(node_id)
            running[ref] = (node_id, slot, cpus)

    @staticmethod
    def _free_slot(slots: list[_GpuSlot], models: set[str]) -> _GpuSlot | None:
        free = sorted((slot for slot in slots if slot.inflight < WORKER_QUEUE_DEPTH), key=lambda s: s.inflight)
        if not free:
            return None
        idle = [slot for slot in free if slot.inflight == 0] or free
        warm = [slot for slot in idle if models and models <= slot.models]
        return (warm or sorted(idle, key=lambda slot: len(slot.models)))[0]

    def _forward_events(self, events: Any) -> None:
        waiting = events.qsize()  # two calls to the queue's actor, however many events wait
        for event in events.get_nowait_batch(waiting) if waiting else []:
            if event is not None:
                if isinstance(event, NodeFinished):
                    self._finished_events += 1
                self.runtime.on_event(event)

    def _drain_last_events(self, events: Any, timeout: float = 5.0) -> None:
        """Workers flush events every EVENT_INTERVAL: wait (a little) for the last ones."""
        deadline = time.monotonic() + timeout
        while True:
            self._forward_events(events)
            if self._finished_events >= self._node_results or time.monotonic() > deadline:
                return
            time.sleep(EVENT_INTERVAL / 2)

    def _outcome(self, ref: Any, run_id: str, node_id: str) -> NodeOutcome:
        import ray

        try:
            return ray.get(ref)
        except ray.exceptions.RayError as error:  # retries exhausted: the worker kept dying
            node_run = repo.get_node_run(self.runtime.db, run_id, node_id)
            message = f"Ray could not run the node: {type(error).__name__}: {str(error).splitlines()[0]}"
            repo.mark_failed(self.runtime.db, node_run.id, code="worker_lost", error=message, traceback=str(error))
            self._finished_events += 1  # no worker will report this one
            self.runtime.on_event(NodeFinished(node_id, FAILED, 0.0, message))
            return NodeOutcome(node_id, FAILED, message)


def forward_events(events: Any, sink: Any) -> None:
    """Relay events from a Ray queue to a sink until a None arrives (run in a thread)."""
    while True:
        event = events.get(block=True)
        if event is None:
            return
        sink(event)


def shutdown_ray() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()
