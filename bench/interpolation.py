"""Frame interpolation: quality on held-out frames and speed, reelgraph vs blending vs ffmpeg.

Each scene is a real photograph (scikit-image's astronaut, coffee, chelsea, rocket) filmed under a
known motion by reelgraph's own camera renderer, at twice the rate the interpolators are given:
they see the even frames and must recreate the odd ones, which are the ground truth.

  pan       diagonal pan, 20 x 6 px per input frame
  zoom      push-in, 4% magnification per input frame
  rotate    camera roll, 2.5 degrees per input frame
  parallax  a disc cut out of one photo moving 24 x 10 px per frame over another photo panning
            6 px per frame: occlusions and disocclusions at the disc's edge

Methods: reelgraph frames.interpolate (flow, a few settings), its plain blend, and ffmpeg's
minterpolate (mi_mode=mci with default settings, and with adaptive OBMC, bidirectional search
and variable-size blocks) run through the ffmpeg binary on the same frames (raw RGB through
pipes, in 4:4:4 so chroma subsampling costs it nothing). PSNR/SSIM are means over the held-out
frames of every interior pair (minterpolate copies rather than interpolates the first pair,
and drops the last). fps counts every output frame of the doubled sequence (copies of input
frames included; no video decoding or encoding), best of several runs because other work on
a shared machine only slows a run down; CPU ms/frame is the processor time those frames took
on all cores together.

    .venv/bin/python -m bench.interpolation [--size 512] [--pairs 8]
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import time
from collections.abc import Callable

import cv2
import numpy as np
from skimage import data
from skimage.metrics import structural_similarity

from reelgraph.nodes import NodeContext, Workspace
from reelgraph.nodes.motion.camera_path import CameraPose
from reelgraph.nodes.motion.camera_render import PictureView
from reelgraph.nodes.motion.interpolate import FramesInterpolate
from reelgraph.nodes.values import Frames

Scene = Callable[[float], np.ndarray]  # truth frame at time u (u = truth frame index)
TRUTH_RESAMPLING = "lanczos"  # the sharpest ground truth camera.move can render


def pan_scene(size: int) -> Scene:
    view = PictureView(data.rocket())
    scale = max(size / 427, size / 640) * 1.3  # output pixels per picture pixel

    def frame(u: float) -> np.ndarray:
        pose = CameraPose(zoom=1.3, pan_x=(10 * u - 120) / scale / 640, pan_y=(3 * u - 36) / scale / 427)
        return view.render(pose, (size, size), resample=TRUTH_RESAMPLING)
    return frame


def zoom_scene(size: int) -> Scene:
    view = PictureView(data.astronaut())
    return lambda u: view.render(CameraPose(zoom=1.02 ** u, pan_x=-0.05, pan_y=-0.1), (size, size),
                                 resample=TRUTH_RESAMPLING)


def rotate_scene(size: int) -> Scene:
    view = PictureView(data.coffee())
    return lambda u: view.render(CameraPose(zoom=1.6, rotate=1.25 * u - 15), (size, size),
                                 resample=TRUTH_RESAMPLING)


def parallax_scene(size: int) -> Scene:
    background = PictureView(data.chelsea())
    face = data.astronaut()[20:260, 130:370]  # 240 x 240, the astronaut's head
    supersample = 4
    disc = np.zeros((240 * supersample,) * 2, np.uint8)
    cv2.circle(disc, (120 * supersample,) * 2, 115 * supersample, 255, -1)
    alpha = cv2.resize(disc, (240, 240), interpolation=cv2.INTER_AREA)  # anti-aliased edge
    cutout = PictureView(np.dstack([face, alpha]))
    disc_size = size * 200 // 512

    def frame(u: float) -> np.ndarray:
        back = background.render(CameraPose(zoom=1.3, pan_x=(3 * u - 36) / (size / 300 * 1.3) / 451),
                                 (size, size), resample=TRUTH_RESAMPLING).astype(np.float32)
        # Place the disc by translating a disc-sized render; fractional positions stay exact.
        x, y = size * 0.15 + 12 * u, size * 0.2 + 5 * u
        matrix = np.array([[disc_size / 240, 0, x], [0, disc_size / 240, y]], np.float64)
        layer = cv2.warpAffine(cutout.levels[0], matrix, (size, size), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0)).astype(np.float32)
        weight = layer[..., 3:] / 255
        return np.clip(back * (1 - weight) + layer[..., :3] * weight + 0.5, 0, 255).astype(np.uint8)
    return frame


SCENES = {"pan": pan_scene, "zoom": zoom_scene, "rotate": rotate_scene, "parallax": parallax_scene}


def reelgraph(params: dict) -> Callable[[list[np.ndarray]], list[np.ndarray]]:
    node = FramesInterpolate()
    parsed = FramesInterpolate.Params.model_validate({"factor": 2, **params})
    ctx = NodeContext("bench", "bench", store=None, workspace=Workspace("."))

    def run(frames: list[np.ndarray]) -> list[np.ndarray]:
        return list(node.run(ctx, parsed, frames=Frames.from_arrays(frames, fps=12))["frames"])
    return run


def minterpolate(options: str) -> Callable[[list[np.ndarray]], list[np.ndarray]]:
    def run(frames: list[np.ndarray]) -> list[np.ndarray]:
        height, width = frames[0].shape[:2]
        command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                   "-s", f"{width}x{height}", "-r", "12", "-i", "-",
                   "-vf", f"format=yuv444p,minterpolate=fps=24:{options}",
                   "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        done = subprocess.run(command, input=np.stack(frames).tobytes(), capture_output=True, check=True)
        return list(np.frombuffer(done.stdout, np.uint8).reshape(-1, height, width, 3))
    return run


METHODS = {
    "reelgraph flow (default: DIS medium, 1/2 res)": reelgraph({}),
    "reelgraph flow (DIS fast, 1/2 res)": reelgraph({"preset": "fast"}),
    "reelgraph flow (DIS medium, 1/4 res)": reelgraph({"flow_scale": 0.25}),
    "reelgraph flow (Farneback, 1/2 res)": reelgraph({"flow": "farneback"}),
    "reelgraph blend": reelgraph({"method": "blend"}),
    "ffmpeg minterpolate mci (defaults)": minterpolate("mi_mode=mci"),
    "ffmpeg minterpolate mci aobmc bidir vsbmc":
        minterpolate("mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"),
}


def timed(method: Callable, frames: list[np.ndarray], repeats: int) -> tuple[float, float, int]:
    """Best wall-clock seconds of `repeats` runs (other work on a shared machine only ever slows a
    run down), CPU seconds of that run (this process and its children: ffmpeg), output frames."""
    best = (math.inf, math.inf, 0)
    for _ in range(repeats):
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        count = len(method(frames))
        wall = time.perf_counter() - started
        best = min(best, (wall, _cpu_seconds() - cpu_before, count))
    return best


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    return structural_similarity(a, b, channel_axis=2, data_range=255)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="frame width and height")
    parser.add_argument("--pairs", type=int, default=8, help="scored frame pairs per scene")
    parser.add_argument("--scenes", default=",".join(SCENES), help="comma-separated scenes to run")
    parser.add_argument("--methods", default="", help="run only methods whose name contains this")
    parser.add_argument("--repeats", type=int, default=3, help="timing runs per method and scene")
    args = parser.parse_args()
    scenes = {name: SCENES[name] for name in args.scenes.split(",")}
    methods = {name: method for name, method in METHODS.items() if args.methods in name}

    print(f"{args.size}x{args.size}, {args.pairs} held-out frames per scene, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; fps: best of {args.repeats} runs, doubling the frame rate")
    header = f"{'scene':<9} {'method':<48} {'PSNR dB':>8} {'SSIM':>6} {'fps':>6} {'CPU ms/frame':>12}"
    print(header)
    print("-" * len(header))
    totals: dict[str, list[tuple[float, float, float, float]]] = {}
    for scene_name, make_scene in scenes.items():
        scene = make_scene(args.size)
        truth = [scene(u) for u in range(2 * (args.pairs + 2) + 1)]
        inputs = truth[::2]
        scored = [2 * k + 1 for k in range(1, args.pairs + 1)]
        for method_name, method in methods.items():
            outputs = method(inputs)
            quality_psnr = float(np.mean([psnr(outputs[j], truth[j]) for j in scored]))
            quality_ssim = float(np.mean([ssim(outputs[j], truth[j]) for j in scored]))
            wall, cpu, count = timed(method, inputs, args.repeats)
            row = (quality_psnr, quality_ssim, count / wall, 1000 * cpu / count)
            totals.setdefault(method_name, []).append(row)
            print(f"{scene_name:<9} {method_name:<48} {row[0]:8.2f} {row[1]:6.3f} {row[2]:6.1f} "
                  f"{row[3]:12.1f}")
    print("-" * len(header))
    for method_name, rows in totals.items():
        mean = np.mean(rows, axis=0)
        print(f"{'mean':<9} {method_name:<48} {mean[0]:8.2f} {mean[1]:6.3f} {mean[2]:6.1f} {mean[3]:12.1f}")

if __name__ == "__main__":
    main()
