"""Directing nodes at 720p: frames (or images) per second of each node on this machine.

The inputs are real photographs (scikit-image's rocket and coffee) cropped to 1280 x 720. Clips are
held in memory before timing, so the figures are the nodes' own work (no decoding, no store writes);
each figure is the best of `--repeats` runs, because other work on a shared machine only slows a
run down. The diffusion figures use the tiny random-weight models (examples/build_tiny_models.py):
they time the machinery (VAE, UNet steps, noise warping, compositing) at a 128 px working size
(`resolution: 128`: the tiny VAE downsamples only 2x, so at 512 px its UNet attends over 65,536
tokens and one image takes minutes on a CPU), not a real model's speed or quality.

    .venv/bin/python -m bench.directing [--frames 48] [--repeats 2] [--no-models]
"""
from __future__ import annotations

import argparse
import importlib.util
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from skimage import data

from reelgraph.nodes import NodeContext, Workspace, default_registry
from reelgraph.nodes.model_cache import ModelCache
from reelgraph.nodes.values import Frames

SIZE = (1280, 720)
REPO = Path(__file__).resolve().parents[1]


def photo(array: np.ndarray) -> Image.Image:
    return ImageOps.fit(Image.fromarray(array), SIZE, Image.Resampling.LANCZOS)


def context(workspace: Path, models: ModelCache) -> NodeContext:
    return NodeContext(node_id="bench", run_id="bench", store=None, workspace=Workspace(workspace), models=models,
                       log=logging.getLogger("bench"))


def run_node(ctx, node_type: str, params: dict, **inputs):
    cls = default_registry().get(node_type)
    return cls().run(ctx, cls.Params.model_validate(params), **inputs)


def best_rate(work, count: int, repeats: int) -> float:
    """Items per second of `work()` (which returns how many it produced), best of `repeats`."""
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        produced = work()
        best = max(best, (produced or count) / (time.perf_counter() - start))
    return best


def drain(frames: Frames) -> int:
    return sum(1 for _ in frames)


def shaky_clip(ctx, count: int) -> Frames:
    seconds = count / 24
    camera = run_node(ctx, "camera.move", {"path": [{"zoom": 1.2, "pan": [-0.05, 0]}, {"zoom": 1.2, "pan": [0.05, 0]}],
                                           "seconds": seconds, "fps": 24, "width": SIZE[0], "height": SIZE[1]},
                      images=[photo(data.coffee())])["frames"]
    perturbed = run_node(ctx, "frames.perturb", {"flicker": 0.08, "shake": 3, "seed": 1}, frames=camera)["frames"]
    return Frames.from_arrays(list(perturbed), 24)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-models", action="store_true", help="skip the tiny-model diffusion figures")
    parser.add_argument("--models-only", action="store_true", help="only the tiny-model diffusion figures")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        ctx = context(root, ModelCache())
        still = photo(data.rocket())
        hole = [{"shape": "polygon", "points": [[0.68, 0.25], [0.72, 0.25], [0.74, 0.9], [0.66, 0.9]],
                 "units": "fraction"}]
        stroke = {"region": [{"shape": "rectangle", "box": [0.47, 0.3, 0.53, 0.95], "units": "fraction"}],
                  "path": [[0, 0], [10, -120], [40, -300]], "rotate": -4, "easing": "ease-in"}
        clip = shaky_clip(ctx, args.frames)
        rows = [] if args.models_only else [
            ("mask.draw", "images/s", best_rate(
                lambda: run_node(ctx, "mask.draw", {"shapes": hole, "feather": 12, "width": SIZE[0],
                                                    "height": SIZE[1]}) and 1, 1, args.repeats)),
            ("image.inpaint fill (telea)", "images/s", best_rate(
                lambda: run_node(ctx, "image.inpaint", {"method": "fill", "shapes": hole, "feather": 12},
                                 image=still) and 1, 1, args.repeats)),
            ("motion.brush", "frames/s", best_rate(
                lambda: drain(run_node(ctx, "motion.brush", {"strokes": [stroke], "seconds": args.frames / 24,
                                                             "fps": 24}, image=still)["frames"]),
                args.frames, args.repeats)),
            ("frames.perturb", "frames/s", best_rate(
                lambda: drain(run_node(ctx, "frames.perturb", {}, frames=clip)["frames"]), args.frames, args.repeats)),
            ("frames.refine deflicker", "frames/s", best_rate(
                lambda: drain(run_node(ctx, "frames.refine", {"mode": "deflicker"}, frames=clip)["frames"]),
                args.frames, args.repeats)),
            ("frames.refine stabilize (both passes)", "frames/s", best_rate(
                lambda: drain(run_node(ctx, "frames.refine", {"mode": "stabilize"}, frames=clip)["frames"]),
                args.frames, args.repeats)),
        ]
        if not args.no_models:
            rows += model_rows(root, ctx, still, hole, clip, args)
        print(f"directing nodes at {SIZE[0]}x{SIZE[1]}, best of {args.repeats}:")
        for name, unit, rate in rows:
            print(f"  {name:<44} {rate:8.2f} {unit}")


def model_rows(root: Path, ctx, still, hole, clip: Frames, args) -> list[tuple[str, str, float]]:
    import torch

    # Tiny models gain nothing from intra-op threads; on a shared machine spinning threads cost 10x.
    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location("build_tiny_models", REPO / "examples" / "build_tiny_models.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    builder.build_tiny_models(root / "models", ["tiny-sd", "tiny-sd-inpaint"])
    few = Frames.from_arrays(list(clip)[:6], 24)
    inpaint = {"method": "model", "model": "models/tiny-sd-inpaint", "prompt": "sky", "steps": 4, "shapes": hole,
               "resolution": 128}
    refine = {"mode": "diffusion", "model": "models/tiny-sd", "prompt": "coffee", "steps": 4, "strength": 0.5,
              "guidance": 1.0, "resolution": 128}
    run_node(ctx, "image.inpaint", inpaint, image=still)  # load the models before timing
    drain(run_node(ctx, "frames.refine", refine, frames=Frames.from_arrays(list(few)[:1], 24))["frames"])
    return [
        ("image.inpaint model (tiny, 4 steps, 128 px)", "images/s", best_rate(
            lambda: run_node(ctx, "image.inpaint", inpaint, image=still) and 1, 1, args.repeats)),
        ("frames.refine diffusion (tiny, 2 of 4 steps, 128 px)", "frames/s", best_rate(
            lambda: drain(run_node(ctx, "frames.refine", refine, frames=few)["frames"]), 6, args.repeats)),
    ]


if __name__ == "__main__":
    main()
