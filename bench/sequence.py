"""Peak memory of a long sequence: sequence.assemble -> video.encode, 10 minutes at 1280x720.

    .venv/bin/python -m bench.sequence [--minutes 10] [--shots 5] [--width 1280 --height 720]

Five shots (real photographs with a slow camera drift, generated lazily as a shot node would
stream them from the store) are joined with crossfades and dips to black, with a narration per
shot and a music bed ducked under speech, and piped straight into video.encode. The frames stream
from the shots through the transitions into ffmpeg, so memory stays flat whatever the length.
Prints frames/s and the peak resident set of this process and, separately, of ffmpeg. Goal: < 1.5 GB.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from reelgraph.nodes import NodeContext, Workspace, default_registry
from reelgraph.nodes.values import Frames, MediaFile
from reelgraph.storage.artifact_store import LocalArtifactStore

REPO = Path(__file__).resolve().parent.parent
PHOTOS = ["coffee.png", "chelsea.png", "rocket.png", "astronaut.png"]
FPS = 24


def drifting_shot(photo: str, frames: int, width: int, height: int) -> Frames:
    still = np.asarray(Image.open(REPO / "examples" / "assets" / photo).convert("RGB").resize((width, height)))

    def source():
        for index in range(frames):
            yield np.roll(still, index // 4, axis=1)   # a slow pan, new content every frame

    return Frames(fps=FPS, width=width, height=height, source=source, count=frames)


def narration(folder: Path, index: int) -> MediaFile:
    path = folder / f"narration{index}.wav"
    subprocess.run(["espeak-ng", "-w", str(path), f"This is shot number {index + 1} of the sequence."], check=True)
    return MediaFile(path, "audio/wav", {"language": "en"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--shots", type=int, default=5)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args()
    per_shot = int(args.minutes * 60 * FPS / args.shots)
    registry = default_registry()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        context = NodeContext(node_id="bench", run_id="bench", store=LocalArtifactStore(root / "store"),
                              workspace=Workspace(root))
        shots = [drifting_shot(PHOTOS[i % len(PHOTOS)], per_shot, args.width, args.height) for i in range(args.shots)]
        music = root / "music.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:duration=30", str(music)],
                       check=True)
        assemble = registry.instance("sequence.assemble")
        encode = registry.instance("video.encode")
        started = time.perf_counter()
        params = assemble.Params(transitions=[{"kind": "crossfade" if i % 2 == 0 else "dip", "seconds": 1.0}
                                              for i in range(args.shots - 1)])
        sequence = assemble.run(context, params, shots=shots,
                                narrations=[narration(root, i) for i in range(args.shots)],
                                music=MediaFile(music, "audio/wav"))
        video = encode.run(context, encode.Params(preset="ultrafast", crf=23), frames=sequence["frames"],
                           audio=sequence["audio"])["video"]
        seconds = time.perf_counter() - started
        frames = sequence["frames"].count
        print(f"sequence.assemble -> video.encode: {args.shots} shots, {frames} frames "
              f"({video.meta.get('duration', 0):.1f} s of video) at {args.width}x{args.height}")
        print(f"rendered in {seconds:.1f} s ({frames / seconds:.1f} frames/s), MP4 {video.path.stat().st_size / 1e6:.1f} MB")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{'process':<22} {'peak RSS MB':>12} {'goal':>8}")
    print(f"{'reelgraph':<22} {own:>12.0f} {'< 1536':>8}")
    print(f"{'ffmpeg (largest child)':<22} {children:>12.0f}")


if __name__ == "__main__":
    main()
