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


def pin_torch_threads(resources: dict, *, loads_models: bool = False) -> None:
    """Run the node's torch work on as many intra-op threads as it declares CPUs (at least one),
    with deterministic algorithms, in whatever process and thread it runs (local threads, Ray
    tasks and actors, Prefect tasks): float reductions split over a different number of threads
    give different bits, so this is what makes artifact hashes equal across engines on one machine.

    torch is imported here for a node that loads a model (every built-in torch node does, and it is
    about to import torch anyway), so a process's very first torch node is pinned too; for other
    nodes only once torch is loaded (importing it costs seconds a CPU-only node should not pay).

    Thread safety (the local engine runs nodes in a thread pool of one process): torch's count is
    an OpenMP setting of the calling thread (and MKL's thread-local one), so concurrent node
    threads keep their own, checked in tests/test_engine_parity_examples.py. One trap: a thread's
    first parallel op copies torch's process-wide last-set count over its own (ATen's lazy
    per-thread init), so `get_num_threads()` runs that init before the count is set."""
    if "torch" not in sys.modules and not loads_models:
        return
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS is deterministic only with it
    # The import statement, not sys.modules: while another node thread is still importing torch, the
    # module is already in sys.modules half initialised (AttributeError on its functions); `import`
    # waits for that thread's import to finish.
    import torch

    torch.get_num_threads()  # this thread's lazy init now, not at its first op (see above)
    torch.set_num_threads(max(1, int(resources.get("cpus", 1) or 1)))
    if not torch.are_deterministic_algorithms_enabled():
        torch.use_deterministic_algorithms(True, warn_only=True)


def default_one_thread() -> None:
    """Before torch loads in this process: start it with one intra-op thread, as Ray's workers do."""
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
