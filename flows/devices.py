"""What accelerators this process sees, asked lazily: importing torch costs seconds that a
CPU-only graph (or a worker without a driver) should not pay; and the torch execution settings a
node runs under, the same on every engine."""
from __future__ import annotations

import os
import sys


def nvidia_driver_present() -> bool:
    return os.path.exists("/proc/driver/nvidia/version")


def cuda_device_count() -> int:
    try:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except ImportError:
        return 0


def pin_torch_threads(resources: dict) -> None:
    """Run the node's torch work on as many intra-op threads as it declares CPUs (at least one),
    with deterministic algorithms, in whatever process and thread it runs (local threads, Ray
    tasks and actors, Prefect tasks): float reductions split over a different number of threads
    give different bits, so this is what makes artifact hashes equal across engines on one machine.

    Only once torch is loaded (importing it costs seconds a CPU-only node should not pay); until
    then OMP_NUM_THREADS sets its default, which Ray sets to 1 in its workers and the local engine
    sets the same way (`default_one_thread`). torch's thread count is per calling thread under
    OpenMP, so concurrent local node threads do not change each other's."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    torch.set_num_threads(max(1, int(resources.get("cpus", 1) or 1)))
    if not torch.are_deterministic_algorithms_enabled():
        torch.use_deterministic_algorithms(True, warn_only=True)


def default_one_thread() -> None:
    """Before torch loads in this process: start it with one intra-op thread, as Ray's workers do."""
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
