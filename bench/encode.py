"""Throughput of video.encode (frames piped from memory) against ffmpeg encoding the same frames
from PNG files on disk, with the same filters and x264 settings.

    .venv/bin/python -m bench.encode [--frames 300] [--width 1280] [--height 720] [--preset medium]

The frames are a real photograph (skimage's coffee, enlarged) panned by a 1280 x 720 window, so
x264 sees motion and texture rather than a static or synthetic picture. Writing the PNG files is
not timed; decoding them is part of what ffmpeg does in that path. Goal: ratio >= 0.9.
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import ffmpeg
import skimage.data

from reelgraph.nodes import Frames, NodeContext, Workspace
from reelgraph.nodes.video.encode import VideoEncode, frame_rate_text, h264_options, h264_picture
from reelgraph.storage.artifact_store import LocalArtifactStore


def panning_photo(count: int, width: int, height: int, fps: float) -> Frames:
    canvas = cv2.resize(skimage.data.coffee(), (width * 2, height * 2), interpolation=cv2.INTER_LANCZOS4)

    def frames():
        for i in range(count):
            x = round(i * width / max(1, count - 1))
            y = round(i * height / max(1, count - 1))
            yield canvas[y:y + height, x:x + width]

    return Frames(fps=fps, width=width, height=height, source=frames, count=count)


def encode_with_node(frames: Frames, workdir: Path, crf: int, preset: str) -> tuple[float, Path]:
    ctx = NodeContext(node_id="bench", run_id="bench", store=LocalArtifactStore(workdir / "store"),
                      workspace=Workspace(workdir))
    started = time.perf_counter()
    video = VideoEncode().run(ctx, VideoEncode.Params(crf=crf, preset=preset), frames=frames)["video"]
    return time.perf_counter() - started, video.path


def encode_from_pngs(frames: Frames, workdir: Path, crf: int, preset: str) -> tuple[float, Path]:
    png_dir = workdir / "png"
    png_dir.mkdir()
    for index, frame in enumerate(frames):
        cv2.imwrite(str(png_dir / f"{index:05d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    output = workdir / "from_png.mp4"
    pictures = ffmpeg.input(str(png_dir / "%05d.png"), format="image2", framerate=frame_rate_text(frames.fps))
    command = ffmpeg.output(h264_picture(pictures, frames.width, frames.height), str(output),
                            **h264_options(crf, preset))
    command = command.global_args("-hide_banner", "-nostats", "-loglevel", "error").overwrite_output()
    command = command.compile()
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started, output


def frame_count(path: Path) -> int:
    result = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                             "stream=nb_frames", "-of", "csv=p=0", str(path)], capture_output=True, text=True)
    return int(result.stdout.strip())


PATHS = {"video.encode (pipe)": encode_with_node, "ffmpeg from PNG": encode_from_pngs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--crf", type=int, default=18)
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--rounds", type=int, default=2, help="best of N runs of each path")
    args = parser.parse_args()

    frames = panning_photo(args.frames, args.width, args.height, args.fps)
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-encode-") as tmp:
        for round_index in range(args.rounds):  # alternate the two, so load on a shared machine hits both
            for name, encode in PATHS.items():
                workdir = Path(tmp) / f"{round_index}-{name.split()[0]}"
                workdir.mkdir()
                seconds, path = encode(frames, workdir, args.crf, args.preset)
                assert frame_count(path) == args.frames, f"{name} wrote {frame_count(path)} frames"
                best[name] = min(best.get(name, float("inf")), seconds)

    print(f"{args.frames} frames {args.width}x{args.height}, libx264 crf {args.crf} preset {args.preset}, "
          f"best of {args.rounds}")
    print(f"{'path':<22}{'seconds':>10}{'frames/s':>10}")
    for name, seconds in best.items():
        print(f"{name:<22}{seconds:>10.2f}{args.frames / seconds:>10.1f}")
    ratio = best["ffmpeg from PNG"] / best["video.encode (pipe)"]
    print(f"throughput ratio (ours / ffmpeg from PNG): {ratio:.2f}  (goal >= 0.9)")


if __name__ == "__main__":
    main()
