"""What keeping diffusion models resident saves: each diffusion node's first run (the model loads)
against its later runs (the model is in ctx.models), on the tiny random-weight models.

    .venv/bin/python -m bench.diffusion [--size 64] [--steps 2] [--runs 3] [--threads 1]

The tiny models load in a fraction of a second where a real one takes seconds to minutes, so the
cold/warm gap here is a floor; the warm figure is the per-run cost of the node machinery plus
sampling. Models are built into a temporary folder first (not timed).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from reelgraph.nodes import NodeContext, Workspace, default_registry  # noqa: E402
from reelgraph.nodes.model_cache import ModelCache  # noqa: E402
from reelgraph.storage.artifact_store import LocalArtifactStore  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def build_models(root: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_tiny_models", REPO / "examples" / "build_tiny_models.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    builder.build_tiny_models(root / "models")


def timed_runs(ctx: NodeContext, node_type: str, params: dict, inputs: dict, runs: int) -> list[float]:
    node_class = default_registry().get(node_type)
    node, parsed = node_class(), node_class.Params.model_validate(params)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        outputs = node.run(ctx, parsed, **inputs)
        if "frames" in outputs:
            list(outputs["frames"])  # frames are lazy: count their conversion
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64, help="Image and frame side in pixels (multiple of 8)")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="Runs per node, the first one cold")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args()

    import torch
    from PIL import Image
    from skimage.data import astronaut

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        build_models(root)
        ctx = NodeContext(node_id="bench", run_id="bench", store=LocalArtifactStore(root / "store"),
                          workspace=Workspace(root), models=ModelCache())
        photo = Image.fromarray(astronaut()).resize((args.size, args.size), Image.Resampling.LANCZOS)
        size = {"width": args.size, "height": args.size, "steps": args.steps}
        cases = [
            ("text.encode", {"model": "models/tiny-sd", "prompt": "a lighthouse at dusk"}, {}),
            ("keyframe.generate", {"model": "models/tiny-sd", "prompt": "a lighthouse at dusk", **size}, {}),
            ("video.generate", {"model": "models/tiny-svd", "frames": 4, **size}, {"image": photo}),
        ]
        print(f"tiny models, {args.size} px, {args.steps} steps, {args.threads} torch thread(s), "
              f"device {ctx.device}")
        print(f"{'node':<20}{'cold s':>9}{'warm s':>9}{'loads':>7}")
        for node_type, params, inputs in cases:
            loads_before = ctx.models.loads
            seconds = timed_runs(ctx, node_type, params, inputs, args.runs)
            warm = statistics.median(seconds[1:]) if len(seconds) > 1 else float("nan")
            print(f"{node_type:<20}{seconds[0]:>9.3f}{warm:>9.3f}{ctx.models.loads - loads_before:>7}")


if __name__ == "__main__":
    main()
