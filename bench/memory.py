"""Peak memory of a long render: camera.move -> frames.interpolate -> video.encode, 2,000 frames at
1920x1080, on the local engine.

    .venv/bin/python -m bench.memory [--frames 2000] [--width 1920 --height 1080]

Frames stream in chunks through the artifact store, so memory stays flat whatever the length.
Prints the peak resident set of the reelgraph process and, separately, of ffmpeg (a child
process). Goal: under 1.5 GB. The store needs about 5 GB of disk for the frame chunks (19 GB raw).
"""
from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from reelgraph.flows.api import run_document
from reelgraph.flows.runtime import open_runtime
from reelgraph.graph import GraphBuilder

REPO = Path(__file__).resolve().parent.parent


def long_render(frames: int, width: int, height: int) -> dict:
    fps = 24
    g = GraphBuilder("memory-bench")
    photos = g.add("photos", "image.load", paths=["assets/coffee.png", "assets/chelsea.png"])
    camera = g.add("camera", "camera.move", inputs={"images": photos.images},
                   path=[{"zoom": 1.0}, {"zoom": 1.3, "pan": [0.05, 0.02]}], seconds=frames / fps,
                   fps=fps / 2, width=width, height=height, resample="bilinear", crossfade=1.0)
    smooth = g.add("smooth", "frames.interpolate", inputs={"frames": camera.frames}, target_fps=fps,
                   flow_scale=0.25, preset="fast")
    g.add("video", "video.encode", inputs={"frames": smooth.frames}, preset="veryfast", crf=23)
    return g.document()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        shutil.copytree(REPO / "examples" / "assets", workspace / "assets")
        runtime = open_runtime(f"sqlite:///{workspace / 'bench.db'}", str(workspace / "store"))
        started = time.perf_counter()
        result = run_document(runtime, long_render(args.frames, args.width, args.height), workspace_root=workspace,
                              cpu_slots=2)
        seconds = time.perf_counter() - started
        assert result["status"] == "succeeded", result
        sha = result["nodes"]["video"]["outputs"]["video"]
        size = runtime.store.local_path(sha).stat().st_size
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"camera.move -> frames.interpolate -> video.encode: {args.frames} frames at {args.width}x{args.height}")
    print(f"rendered in {seconds:.1f} s ({args.frames / seconds:.1f} frames/s), MP4 {size / 1e6:.1f} MB")
    print(f"{'process':<22} {'peak RSS MB':>12} {'goal':>8}")
    print(f"{'reelgraph':<22} {own:>12.0f} {'< 1536':>8}")
    print(f"{'ffmpeg (largest child)':<22} {children:>12.0f}")


if __name__ == "__main__":
    main()
