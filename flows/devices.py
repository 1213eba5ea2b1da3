"""What accelerators this process sees, asked lazily: importing torch costs seconds that a
CPU-only graph (or a worker without a driver) should not pay."""
from __future__ import annotations

import os


def nvidia_driver_present() -> bool:
    return os.path.exists("/proc/driver/nvidia/version")


def cuda_device_count() -> int:
    try:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except ImportError:
        return 0
