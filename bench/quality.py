"""quality.temporal throughput: frame pairs measured per second at common sizes.

    .venv/bin/python -m bench.quality

A camera pan over a real photograph (scikit-image's astronaut), measured by TemporalMeter with the
node's default max_side (512: larger frames are shrunk before measuring).
"""
from __future__ import annotations

import time

import cv2
import numpy as np

from reelgraph.nodes.quality.metrics import TemporalMeter

FRAMES = 24


def pan(width: int, height: int) -> list[np.ndarray]:
    from skimage import data

    photo = cv2.resize(data.astronaut(), (width * 2, height * 2), interpolation=cv2.INTER_CUBIC)
    return [np.ascontiguousarray(photo[height // 2:height // 2 + height, 4 * i:4 * i + width]) for i in range(FRAMES)]


def main() -> None:
    print(f"{'size':>10} {'pairs/s':>8} {'warp':>7} {'ssim':>6} {'flicker':>8}")
    for width, height in ((256, 256), (640, 360), (1280, 720), (1920, 1080)):
        frames = pan(width, height)
        meter = TemporalMeter(max_side=512)
        started = time.perf_counter()
        for frame in frames:
            meter.add(frame)
        rate = (FRAMES - 1) / (time.perf_counter() - started)
        print(f"{width}x{height:<5} {rate:8.1f} {meter.warp.mean:7.4f} {meter.ssim.mean:6.3f} {meter.flicker:8.3f}")


if __name__ == "__main__":
    main()
