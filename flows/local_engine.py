"""The local engine: runs a run's nodes in threads of this process.

Resources are counted in slots: CPU slots (the machine's cores) and GPU slots (one per CUDA
device; without CUDA, `gpu_slots` of them, default 1, so GPU nodes run one at a time on the CPU
instead of thrashing it). A node whose resources do not fit waits; GPU nodes asking for no CPU
are never held back by CPU accounting.

Locking: only the driver's thread calls submit and wait, and only it touches the slot counts;
worker threads run `run_chain` and report back through futures, so there is nothing to lock.
Cancelling needs nothing here: the nodes read the run's own stop flag at their next progress call.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from reelgraph.flows.devices import cuda_device_count, default_one_thread
from reelgraph.flows.driver import Completion, Engine
from reelgraph.flows.events import RunContext
from reelgraph.flows.chains import run_chain
from reelgraph.flows.runtime import Runtime
from reelgraph.flows.scheduling import DagState
from reelgraph.storage.records import NodeRunInfo


class LocalEngine(Engine):
    name = "local"

    def __init__(self, runtime: Runtime, *, cpu_slots: int | None = None, gpu_slots: int | None = None):
        self.runtime = runtime
        self.cpu_slots = cpu_slots or os.cpu_count() or 1
        self.gpu_slots = gpu_slots

    def _gpu_devices(self, state: DagState) -> list[str]:
        """CUDA devices, or CPU stand-ins. Asked only when a node needs a GPU."""
        if not any(state.node_runs[n].resources.get("gpus", 0) for n in state.waiting):
            return []
        cuda = cuda_device_count()
        if cuda and self.gpu_slots is None:
            return [f"cuda:{i}" for i in range(cuda)]
        return ["cpu"] * (self.gpu_slots or max(cuda, 1))

    def open(self, run: RunContext, state: DagState) -> None:
        default_one_thread()  # torch's first node starts as on Ray; pin_torch_threads does the rest
        self.run = run
        self.gpu_devices = self._gpu_devices(state)
        self.free_cpus, self.free_gpus = float(self.cpu_slots), list(self.gpu_devices)
        self.task_slots = self.cpu_slots
        self.running: dict[Future, tuple[list[str], float, str | None]] = {}
        self.pool = ThreadPoolExecutor(max_workers=self.cpu_slots + len(self.gpu_devices),
                                       thread_name_prefix="reelgraph-node")
        self.abandoned = False

    def submit(self, chain: list[NodeRunInfo]) -> bool:
        gpus = min(math.ceil(max(n.resources.get("gpus", 0) for n in chain)), len(self.gpu_devices))
        cpus = min(max(float(n.resources.get("cpus", 1)) for n in chain), float(self.cpu_slots))
        if gpus > len(self.free_gpus) or (cpus > self.free_cpus and self.running):
            return False
        device = self.free_gpus.pop(0) if gpus else None
        self.free_cpus -= cpus
        future = self.pool.submit(run_chain, self.runtime, chain, run=self.run,
                                  device=device or "cpu", gpu=device if device and device != "cpu" else None)
        self.running[future] = ([n.node_id for n in chain], cpus, device)
        return True

    def wait(self, timeout: float) -> list[Completion]:
        if not self.running:
            return []
        finished, _ = wait(self.running, timeout=timeout, return_when=FIRST_COMPLETED)
        completions = []
        for future in finished:
            node_ids, cpus, device = self.running.pop(future)
            self.free_cpus += cpus
            if device is not None:
                self.free_gpus.append(device)
            error = future.exception()
            if error is not None:  # the runner records node failures itself; this is the database failing
                completions += [Completion(node_id, lost=f"{type(error).__name__}: {error}") for node_id in node_ids]
            else:
                completions += [Completion(outcome.node_id, outcome) for outcome in future.result()]
        return completions

    def cancel(self) -> None:
        pass  # the nodes read run.stop themselves

    def abandon(self) -> None:
        """Threads cannot be killed: stop waiting for them (they end at their next progress call,
        or when their node does)."""
        self.abandoned = True

    def close(self) -> None:
        self.pool.shutdown(wait=not self.abandoned, cancel_futures=True)
