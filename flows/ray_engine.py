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
  forever for a GPU that will never come. A node asks for at most the CPUs of the largest Ray
  node (as the local engine caps it at its slots): a 2-CPU encode on a cluster of 1-CPU nodes
  would otherwise wait for ever, since Ray places a task on one node.
- A run that cannot progress (nodes submitted, none of them started for PLACEMENT_SECONDS, nothing
  finishing) fails those nodes naming what they asked for and what the cluster's nodes offer.
- Artifacts travel through the store; Ray's object store carries only each node's outcome.
- A run's events come back through its RunChannel (flows/ray_support.py) to the run's own sink;
  a cancel sets the channel's stop flag, which running nodes read at their next progress call.

Ray retries a task whose worker died (3 times by default), and restarts a dead GPU worker; the node
runner then records a second attempt and executes again, since the dead attempt left nothing done.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

from reelgraph.flows.devices import cuda_device_count, nvidia_driver_present
from reelgraph.flows.driver import Completion, Engine, EngineUnavailable
from reelgraph.flows.events import Event, NodeFinished, NodeStarted, RunContext
from reelgraph.flows.ray_placement import ClusterOffers
from reelgraph.flows.ray_support import ChannelReader, ensure_ray, open_channel, worker_run, worker_runtime
from reelgraph.flows.chains import run_chain
from reelgraph.flows.runner import NodeOutcome, run_node
from reelgraph.flows.runtime import Runtime, RuntimeConfig
from reelgraph.flows.scheduling import DagState
from reelgraph.storage.records import NodeRunInfo

log = logging.getLogger(__name__)

# Work queued per GPU worker (and per CPU): one running and one waiting, so a worker starts its
# next node the moment it finishes one instead of waiting a round trip for the driver to dispatch.
WORKER_QUEUE_DEPTH = 2
# How long submitted nodes may all wait for the cluster to place them before the run gives up on them.
PLACEMENT_SECONDS = float(os.environ.get("REELGRAPH_RAY_PLACEMENT_SECONDS", "60"))


def _run_cpu_chain(config: RuntimeConfig, chain: list[NodeRunInfo], channel: str) -> tuple[list[NodeOutcome], list]:
    """A CPU task: one node, or a fused chain. A chain's NodeStarted and NodeFinished events come
    back with its outcomes rather than through the run's channel: its nodes take milliseconds, a
    channel call as long, and a worker busy with the next chain flushes late."""
    with worker_run(chain[0].run_id, channel) as run:
        if len(chain) == 1:
            return run_chain(worker_runtime(config), chain, run=run), []
        returned: list = []

        def keep(event: Event) -> None:
            (returned.append if isinstance(event, NodeStarted | NodeFinished) else run.on_event)(event)

        outcomes = run_chain(worker_runtime(config), chain, run=RunContext(run.run_id, keep, run.stop))
        return outcomes, returned


def _warm_cpu_worker(config: RuntimeConfig) -> None:
    """Start a CPU worker process and open its runtime before the run needs it."""
    worker_runtime(config)


def warm_cpu_workers(config: RuntimeConfig) -> None:
    """One warm worker per CPU of the cluster: a cold worker's imports and database connection
    take about a second, which would otherwise land on the critical path of the first nodes."""
    import ray

    warm = ray.remote(_warm_cpu_worker)
    ray.get([warm.options(num_cpus=1).remote(config) for _ in range(int(ray.cluster_resources().get("CPU", 1)))])


class GpuWorker:
    """A resident worker holding one GPU (or a CPU stand-in) and the models loaded on it."""

    def __init__(self) -> None:
        import ray

        self.gpu_ids = [str(i) for i in ray.get_gpu_ids()]
        self.device = "cpu"
        if self.gpu_ids and nvidia_driver_present():  # torch's import costs seconds: only with a driver
            self.device = "cuda:0" if cuda_device_count() else "cpu"  # Ray narrows CUDA_VISIBLE_DEVICES

    def run(self, config: RuntimeConfig, run_id: str, node_id: str, channel: str) -> NodeOutcome:
        with worker_run(run_id, channel) as run:
            return run_node(worker_runtime(config), run_id, node_id, run=run, device=self.device,
                            gpu=",".join(self.gpu_ids) or None)

    def ready(self, config: RuntimeConfig) -> bool:
        """Open the database and load the registry now, before the first node is waiting."""
        worker_runtime(config)
        return True

    def model_loads(self) -> int:
        from reelgraph.nodes.model_cache import process_model_cache

        return process_model_cache.loads


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
    try:  # all warm: none lags behind the others
        ray.get([slot.actor.ready.remote(config) for slot in slots], timeout=PLACEMENT_SECONDS)
    except ray.exceptions.GetTimeoutError:
        stop_gpu_pool(slots)
        raise EngineUnavailable(f"the Ray cluster did not start {len(slots)} GPU worker(s) (1 GPU each) within "
                                f"{PLACEMENT_SECONDS:.0f} s; its nodes offer {ClusterOffers.read().describe()}: check `ray status`") from None
    return slots


def stop_gpu_pool(slots: list[_GpuSlot]) -> None:
    import ray

    for slot in slots:
        ray.kill(slot.actor)


class RayEngine(Engine):
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

    def open(self, run: RunContext, state: DagState) -> None:
        import ray

        ensure_ray(self.address, **self.init_options)
        self.run = run
        self.channel = open_channel(run.run_id)
        self.events = ChannelReader(self.channel, self._observe)
        self.seen: set[str] = set()  # nodes a worker has reported on: placed by Ray
        self.last_progress = time.monotonic()
        needs = [bool(state.node_runs[n].resources.get("gpus", 0)) for n in state.waiting]
        try:
            self.gpu_slots = start_gpu_pool(self.runtime.config) if any(needs) else []
        except EngineUnavailable:
            self.channel.close()
            raise
        if not all(needs):
            warm_cpu_workers(self.runtime.config)
        # CPU nodes wait in the driver until a CPU is nearly free, not in Ray's queue: Ray runs its
        # queue first in, first out, while the driver starts the node with the most work behind it first.
        self.cpu_capacity = ray.cluster_resources().get("CPU", 1)
        self.task_slots = max(1, int(self.cpu_capacity))
        self.offers = ClusterOffers.read()
        self.refused: list[Completion] = []  # nodes no node of the cluster can ever place
        self.cpu_inflight = 0.0
        self.cpu_task = ray.remote(_run_cpu_chain)
        self.config = ray.put(self.runtime.config)  # stored once, not pickled into every task
        self.running: dict[Any, tuple[list[str], _GpuSlot | None, float]] = {}  # a task's nodes
        self.reported = 0  # outcomes whose NodeFinished a worker sent through the channel
        self.abandoned = False

    def submit(self, chain: list[NodeRunInfo]) -> bool:
        """Start a ready node (a GPU node, or a chain of CPU nodes as one task) as far as GPU
        workers and CPUs allow."""
        node_run = chain[0]
        run_id, node_id = node_run.run_id, node_run.node_id
        gpu = bool(node_run.resources.get("gpus", 0))
        if not gpu and self.cpu_inflight >= self.cpu_capacity * WORKER_QUEUE_DEPTH:
            return False  # the common answer while CPU work queues: decided before anything is computed
        refusal = self.offers.refusal(node_id, node_run.resources)
        if refusal:  # failed now, not left in Ray's queue for ever
            self.refused += [Completion(n.node_id, lost=refusal, code="unplaceable") for n in chain]
            return True
        if gpu:  # never fused: one node
            slot = self._free_slot(self._model_ids(node_run))
            if slot is None:
                return False
            slot.inflight += 1
            slot.models |= self._model_ids(node_run)
            ref = slot.actor.run.remote(self.config, run_id, node_id, self.channel.address)
            cpus = 0.0
        else:
            slot, cpus = None, max(self.offers.cpus_for(n.resources) for n in chain)
            if self.cpu_inflight and self.cpu_inflight + cpus > self.cpu_capacity * WORKER_QUEUE_DEPTH:
                return False
            ref = self.cpu_task.options(num_cpus=cpus).remote(self.config, chain, self.channel.address)
        self.cpu_inflight += cpus
        self.running[ref] = ([n.node_id for n in chain], slot, cpus)
        return True

    def _free_slot(self, models: set[str]) -> _GpuSlot | None:
        free = sorted((slot for slot in self.gpu_slots if slot.inflight < WORKER_QUEUE_DEPTH), key=lambda s: s.inflight)
        if not free:
            return None
        idle = [slot for slot in free if slot.inflight == 0] or free
        warm = [slot for slot in idle if models and models <= slot.models]
        return (warm or sorted(idle, key=lambda slot: len(slot.models)))[0]

    def _observe(self, event: Event) -> None:
        self.seen.add(event.node_id)
        self.last_progress = time.monotonic()
        self.run.on_event(event)

    def _unplaced(self) -> list[Completion]:
        """Nodes submitted PLACEMENT_SECONDS ago, none of them started, nothing finishing: the
        cluster cannot place them (another user holds its CPUs, a node left): give them up."""
        import ray

        if any(node_id in self.seen for node_ids, _, _ in self.running.values() for node_id in node_ids) or \
                time.monotonic() - self.last_progress < PLACEMENT_SECONDS:
            return []
        offers, completions = ClusterOffers.read().describe(), []
        for ref, (node_ids, slot, cpus) in list(self.running.items()):
            asked = "a GPU worker" if slot is not None else f"CPU={cpus:g}"
            if slot is None:
                ray.cancel(ref, force=True)
            del self.running[ref]
            self.cpu_inflight -= cpus
            why = (f"the Ray cluster placed nothing for {PLACEMENT_SECONDS:.0f} s: {node_ids[0]} asks for {asked}; "
                   f"its nodes offer {offers}")
            completions += [Completion(node_id, lost=why, code="unplaceable") for node_id in node_ids]
        return completions

    def wait(self, timeout: float) -> list[Completion]:
        import ray

        finished = []
        if self.running:
            finished, _ = ray.wait(list(self.running), num_returns=1, timeout=timeout)
            if finished:  # collect everything else already done in the same pass
                finished, _ = ray.wait(list(self.running), num_returns=len(self.running), timeout=0)
        self.events.forward()
        completions, self.refused = self.refused, []
        for ref in finished:
            node_ids, slot, cpus = self.running.pop(ref)
            self.cpu_inflight -= cpus
            if slot is not None:
                slot.inflight -= 1
            self.last_progress = time.monotonic()
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as error:  # retries exhausted: the worker kept dying
                why = f"Ray could not run the node: {type(error).__name__}: {str(error).splitlines()[0]}"
                completions += [Completion(node_id, lost=why) for node_id in node_ids]
                continue
            if slot is not None:  # a GPU node: its events came through the channel
                outcomes, returned = [result], []
            else:
                outcomes, returned = result
            for event in returned:
                self._observe(event)
            completions += [Completion(outcome.node_id, outcome) for outcome in outcomes]
            self.reported += len(outcomes) - sum(isinstance(event, NodeFinished) for event in returned)
        return completions or self._unplaced()

    def cancel(self) -> None:
        self.channel.stop()

    def abandon(self) -> None:
        import ray

        self.abandoned = True
        for ref, (_, slot, _) in self.running.items():
            if slot is None:
                ray.cancel(ref, force=True)  # GPU workers go with the pool in close()

    def close(self) -> None:
        import ray

        if not self.abandoned:
            self.events.drain(self.reported)
            self.model_loads = sum(ray.get([slot.actor.model_loads.remote() for slot in self.gpu_slots]))
        stop_gpu_pool(self.gpu_slots)
        self.channel.close()
