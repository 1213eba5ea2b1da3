"""The local engine: runs a run's nodes in threads of this process.

Resources are counted in slots: CPU slots (the machine's cores) and GPU slots (one per CUDA
device; without CUDA, `gpu_slots` of them, default 1, so GPU nodes run one at a time on the CPU
instead of thrashing it). A node whose resources do not fit waits; GPU nodes asking for no CPU
are never held back by CPU accounting.

Locking: only the scheduling thread (the caller of `execute`) touches the scheduler's state;
worker threads run `run_node` and report back through futures, so the state needs no lock and
there is nothing to deadlock on.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from reelgraph.flows import session
from reelgraph.flows.runner import NodeOutcome, run_node
from reelgraph.flows.runtime import Runtime
from reelgraph.flows.scheduling import DagState
from reelgraph.storage import repository as repo
from reelgraph.storage.records import FAILED


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

    def _gpu_devices(self, state: DagState) -> list[str]:
        """CUDA devices, or CPU stand-ins. Asked only when a node needs a GPU: importing torch
        to count devices costs seconds that a CPU-only graph should not pay."""
        if not any(state.node_runs[n].resources.get("gpus", 0) for n in state.waiting):
            return []
        cuda = cuda_device_count()
        if cuda and self.gpu_slots is None:
            return [f"cuda:{i}" for i in range(cuda)]
        return ["cpu"] * (self.gpu_slots or max(cuda, 1))

    def execute(self, run_id: str) -> str:
        session.start(self.runtime, run_id)
        state = DagState(repo.list_node_runs(self.runtime.db, run_id))
        gpu_devices = self._gpu_devices(state)
        free_cpus, free_gpus = float(self.cpu_slots), list(gpu_devices)
        running: dict[Future, tuple[str, float, str | None]] = {}
        with ThreadPoolExecutor(max_workers=self.cpu_slots + len(gpu_devices),
                                thread_name_prefix="reelgraph-node") as pool:
            while state.pending or running:
                for node_id in state.ready():
                    resources = state.node_runs[node_id].resources
                    gpus = min(math.ceil(resources.get("gpus", 0)), len(gpu_devices))
                    cpus = min(float(resources.get("cpus", 1)), float(self.cpu_slots))
                    if gpus > len(free_gpus) or (cpus > free_cpus and running):
                        continue
                    device = free_gpus.pop(0) if gpus else None
                    free_cpus -= cpus
                    state.started(node_id)
                    future = pool.submit(run_node, self.runtime, run_id, node_id, device=device or "cpu",
                                         gpu=device if device and device != "cpu" else None)
                    running[future] = (node_id, cpus, device)
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    node_id, cpus, device = running.pop(future)
                    free_cpus += cpus
                    if device is not None:
                        free_gpus.append(device)
                    outcome = self._outcome(future, node_id)
                    skipped = state.finished(node_id, outcome.status)
                    repo.mark_skipped(self.runtime.db, run_id, skipped, f"upstream node '{node_id}' failed")
        return session.finish(self.runtime, run_id)

    @staticmethod
    def _outcome(future: Future, node_id: str) -> NodeOutcome:
        error = future.exception()
        if error is not None:  # run_node records node failures itself; this is the database failing
            return NodeOutcome(node_id, FAILED, f"{type(error).__name__}: {error}")
        return future.result()
