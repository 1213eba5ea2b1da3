"""GPU readiness: the real-model example (sd-turbo keyframes, an SVD-XT clip) on CUDA in fp16.

    .venv/bin/python -m bench.gpu              # one NVIDIA GPU (about 12 GB), the models in the HF cache
    .venv/bin/python -m bench.gpu --dry-run    # the same path on a CPU, on tiny random-weight models

The path of examples/keyframes_real.yaml, node by node with the real node classes and model
loading: text.encode -> keyframe.generate (sd-turbo, 4 keyframes, 2 steps, 768x432) ->
video.generate (SVD-XT, 25 frames, 25 steps, 1024x576) -> frames.upscale (Lanczos, 1080p) ->
video.encode, then ffprobe on the MP4. Each diffusion node runs twice: the first run loads the
model (load time = first - second), the second is the warm figure (seconds per step, images or
frames per second). Peak VRAM is torch's peak allocation per node (on a CPU: peak RSS). Written to
finish in under 10 minutes on one GPU, model loads included (not the download:
`huggingface-cli download stabilityai/sd-turbo` and `stabilityai/stable-video-diffusion-img2vid-xt`
first; --sd and --svd take local folders too).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIME_BUDGET_SECONDS = 600


@dataclass(frozen=True)
class Setup:
    device: str
    precision: str
    sd: str
    svd: str
    keyframes: dict = field(default_factory=dict)
    clip: dict = field(default_factory=dict)
    upscale: dict = field(default_factory=dict)


def real_setup(sd: str, svd: str) -> Setup:
    return Setup("cuda", "fp16", sd, svd,
                 keyframes={"steps": 2, "guidance": 0, "width": 768, "height": 432, "count": 4, "seed": 7,
                            "scheduler": "euler_a"},
                 clip={"frames": 25, "fps": 8, "steps": 25, "width": 1024, "height": 576, "motion": 127,
                       "decode_chunk_size": 8, "seed": 7},
                 upscale={"method": "lanczos", "width": 1920, "height": 1080})


def dry_setup(models: Path) -> Setup:
    return Setup("cpu", "auto", str(models / "tiny-sd"), str(models / "tiny-svd"),
                 keyframes={"steps": 2, "width": 64, "height": 64, "count": 2, "seed": 7},
                 clip={"frames": 4, "fps": 8, "steps": 2, "seed": 7},
                 upscale={"method": "lanczos", "scale": 2})


def build_tiny_models(root: Path) -> Path:
    spec = importlib.util.spec_from_file_location("build_tiny_models", REPO / "examples" / "build_tiny_models.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    builder.build_tiny_models(root / "models")
    return root / "models"


@dataclass
class Figures:
    node: str
    cold: float
    warm: float
    steps: int = 0
    produced: int = 0       # images or frames per run
    unit: str = ""
    peak_memory_gb: float = 0.0

    @property
    def load(self) -> float:
        return max(0.0, self.cold - self.warm)


class Bench:
    def __init__(self, setup: Setup, root: Path) -> None:
        from reelgraph.nodes import NodeContext, Workspace, default_registry
        from reelgraph.nodes.model_cache import ModelCache
        from reelgraph.storage.artifact_store import LocalArtifactStore

        self.setup, self.registry = setup, default_registry()
        self.ctx = NodeContext(node_id="bench", run_id="bench-gpu", store=LocalArtifactStore(root / "store"),
                               workspace=Workspace(root, allowed_dirs=(Path("/"),)), device=setup.device,
                               models=ModelCache())

    def call(self, node_type: str, params: dict, **inputs) -> dict:
        """One node run through its real class, inputs by port; lazy frames are drawn in full."""
        node_class = self.registry.get(node_type)
        outputs = node_class().run(self.ctx, node_class.Params.model_validate(params), **inputs)
        if "frames" in outputs:
            from reelgraph.nodes.values import Frames

            frames = list(outputs["frames"])
            source = outputs["frames"]
            outputs["frames"] = Frames.from_arrays(frames, source.fps)
        return outputs

    def measured(self, node_type: str, params: dict, runs: int = 2, **inputs) -> tuple[dict, list[float], float]:
        """(outputs, seconds per run, peak memory in GB over the runs)."""
        cuda = self.setup.device.startswith("cuda")
        if cuda:
            import torch

            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        seconds, outputs = [], {}
        for _ in range(runs):
            started = time.perf_counter()
            outputs = self.call(node_type, params, **inputs)
            if cuda:
                torch.cuda.synchronize()
            seconds.append(time.perf_counter() - started)
        peak = (torch.cuda.max_memory_allocated() if cuda
                else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024) / 1024**3
        return outputs, seconds, peak


def run(setup: Setup, root: Path) -> list[Figures]:
    bench = Bench(setup, root)
    model = {"precision": setup.precision}
    prompt = "a lighthouse on a rocky coast at dusk, warm light in the lantern, waves, cinematic"
    figures = []
    encoded, seconds, peak = bench.measured("text.encode", {"model": setup.sd, "prompt": prompt, **model})
    figures.append(Figures("text.encode", seconds[0], seconds[-1], peak_memory_gb=peak))
    drawn, seconds, peak = bench.measured("keyframe.generate", {"model": setup.sd, **model, **setup.keyframes},
                                          embeddings=encoded["embeddings"])
    figures.append(Figures("keyframe.generate", seconds[0], seconds[-1], setup.keyframes["steps"],
                           setup.keyframes["count"], "images", peak))
    clip, seconds, peak = bench.measured("video.generate", {"model": setup.svd, **model, **setup.clip},
                                         image=drawn["image"])
    figures.append(Figures("video.generate", seconds[0], seconds[-1], setup.clip["steps"], setup.clip["frames"],
                           "frames", peak))
    upscaled, seconds, peak = bench.measured("frames.upscale", setup.upscale, runs=1, frames=clip["frames"])
    figures.append(Figures("frames.upscale", seconds[0], seconds[0], 0, setup.clip["frames"], "frames", peak))
    video, seconds, peak = bench.measured("video.encode", {"crf": 18, "preset": "medium"}, runs=1,
                                          frames=upscaled["frames"])
    figures.append(Figures("video.encode", seconds[0], seconds[0], 0, setup.clip["frames"], "frames", peak))
    check_video(video["video"].path, setup)
    return figures


def check_video(path: Path, setup: Setup) -> None:
    """The MP4 holds every generated frame at the upscaled size."""
    import json
    import subprocess

    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
         "stream=width,height,nb_read_frames", "-of", "json", str(path)],
        capture_output=True, text=True, check=True).stdout)["streams"][0]
    if int(probe["nb_read_frames"]) != setup.clip["frames"]:
        raise SystemExit(f"the MP4 holds {probe['nb_read_frames']} frames, expected {setup.clip['frames']}")
    print(f"MP4: {probe['width']}x{probe['height']}, {probe['nb_read_frames']} frames, "
          f"{path.stat().st_size / 1e6:.1f} MB")


def report(figures: list[Figures], setup: Setup, total: float) -> None:
    memory = "peak VRAM GB" if setup.device.startswith("cuda") else "peak RSS GB"
    print(f"{'node':<19}{'load s':>8}{'warm s':>9}{'s/step':>8}{'per s':>14}{memory:>14}")
    for f in figures:
        per_step = f"{f.warm / f.steps:.3f}" if f.steps else "-"
        rate = f"{f.produced / f.warm:.2f} {f.unit}" if f.produced and f.warm > 0 else "-"
        print(f"{f.node:<19}{f.load:>8.2f}{f.warm:>9.2f}{per_step:>8}{rate:>14}{f.peak_memory_gb:>14.2f}")
    verdict = "within" if total <= TIME_BUDGET_SECONDS else "OVER"
    print(f"total {total:.1f} s, {verdict} the {TIME_BUDGET_SECONDS} s budget")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="CPU and tiny random-weight models: checks the "
                                                               "whole path, measures nothing of interest")
    parser.add_argument("--sd", default="stabilityai/sd-turbo", help="sd-turbo: hub id or local folder")
    parser.add_argument("--svd", default="stabilityai/stable-video-diffusion-img2vid-xt",
                        help="SVD-XT: hub id or local folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reelgraph-bench-gpu-") as folder:
        root = Path(folder)
        if args.dry_run:
            import torch

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            torch.set_num_threads(1)  # tiny models: more threads only wait on each other
            setup = dry_setup(build_tiny_models(root))
        else:
            import torch

            if not torch.cuda.is_available():
                print("error: no CUDA device; run on a machine with an NVIDIA GPU, or check the path with --dry-run",
                      file=sys.stderr)
                return 2
            setup = real_setup(args.sd, args.svd)
            print(f"GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, {setup.precision}")
        started = time.perf_counter()
        figures = run(setup, root)
        report(figures, setup, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
