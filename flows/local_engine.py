"""The local engine: runs a run's nodes in threads of this process.

Scheduling: a node is ready when all its upstream nodes are done; ready nodes start in plan
order as long as their resources fit. Resources are counted in slots: CPU slots (the machine's
cores) and GPU slots (one per CUDA device; without CUDA, `gpu_slots` of them, default 1, so GPU
nodes run one at a time on the CPU instead of thrashing it).

Locking: only the scheduling thread (the caller of `execute`) touches the scheduler's state;
worker threads run `run_node` and report back through futures, so the state needs no lock and
there is nothing to deadlock on. A failed node marks its downstream skipped; independent
branches keep going.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from flows import session
from flows.runner import NodeOutcome, run_node
from flows.runtime import Runtime
from storage import repository as repo
from storage.records import DONE_STATUSES, FAILED


def cuda_device_count() -> int:
    try:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except ImportError:
        return 0


class LocalEngine:
    name = "local"

    def __init__(self, runtime: Runtime, *, cpu_slots: int | None = None, gpu_slots: int | None = None):
        self.runtime = runtime
        self.cpu_slots = cpu_slots or os.cpu_count() or 1
        self.gpu_slots = gpu_slots

    def _gpu_devices(self, node_runs) -> list[str]:
        """CUDA devices, or CPU stand-ins. Asked only when a node needs a GPU: importing torch
        to count devices costs seconds that a CPU-only graph should not pay."""
        if not any(n.resources.get("gpus", 0) for n in node_runs):
            return []
        cuda = cuda_device_count()
        if cuda and self.gpu_slots is None:
            return [f"cuda:{i}" for i in range(cuda)]
        return ["cpu"] * (self.gpu_slots or max(cuda, 1))

    def execute(self, run_id: str) -> str:
        session.start(self.runtime, run_id)
        node_runs = {n.node_id: n for n in repo.list_node_runs(self.runtime.db, run_id)}
        waiting = {node_id: {up for up, _ in n.inputs.values() if node_runs[up].status not in DONE_STATUSES}
                   for node_id, n in node_runs.items() if n.status not in DONE_STATUSES}
        order = {node_id: index for index, node_id in enumerate(node_runs)}
        downstream: dict[str, set[str]] = {node_id: set() for node_id in node_runs}
        for node_id, upstream in waiting.items():
            for up in upstream:
                downstream[up].add(node_id)

        gpu_devices = self._gpu_devices(node_runs[n] for n in waiting)
        free_cpus, free_gpus = float(self.cpu_slots), list(gpu_devices)
        running: dict[Future, tuple[str, float, str | None]] = {}
        with ThreadPoolExecutor(max_workers=self.cpu_slots + len(gpu_devices),
                                thread_name_prefix="reelgraph-node") as pool:
            while waiting or running:
                ready = sorted((n for n, ups in waiting.items() if not ups), key=order.__getitem__)
                for node_id in ready:
                    resources = node_runs[node_id].resources
                    gpus = min(math.ceil(resources.get("gpus", 0)), len(gpu_devices))
                    cpus = min(float(resources.get("cpus", 1)), float(self.cpu_slots))
                    if gpus > len(free_gpus) or (cpus > free_cpus and running):
                        continue
                    device = free_gpus.pop(0) if gpus else None
                    free_cpus -= cpus
                    del waiting[node_id]
                    future = pool.submit(run_node, self.runtime, run_id, node_id, device=device or "cpu",
                                         gpu=device if device and device != "cpu" else None)
                    running[future] = (node_id, cpus, device)
                if not running:
                    break  # nothing can start: only reachable if resources never fit
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    node_id, cpus, device = running.pop(future)
                    free_cpus += cpus
                    if device is not None:
                        free_gpus.append(device)
                    outcome = self._outcome(future, node_id)
                    if outcome.status == FAILED:
                        self._skip_downstream(run_id, node_id, downstream, waiting)
                    else:
                        for child in downstream[node_id]:
                            if child in waiting:
                                waiting[child].discard(node_id)
        return session.finish(self.runtime, run_id)

    @staticmethod
    def _outcome(future: Future, node_id: str) -> NodeOutcome:
        error = future.exception()
        if error is not None:  # run_node records node failures itself; this is the database failing
            return NodeOutcome(node_id, FAILED, f"{type(error).__name__}: {error}")
        return future.result()

    def _skip_downstream(self, run_id: str, failed: str, downstream: dict[str, set[str]],
                         waiting: dict[str, set[str]]) -> None:
        skipped, stack = [], list(downstream[failed])
        while stack:
            node_id = stack.pop()
            if node_id in waiting:
                del waiting[node_id]
                skipped.append(node_id)
                stack.extend(downstream[node_id])
        repo.mark_skipped(self.runtime.db, run_id, skipped, f"upstream node '{failed}' failed")
