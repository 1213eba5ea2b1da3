"""Localization throughput: the four l10n nodes on the example campaign script, per locale.

    .venv/bin/python -m bench.l10n [--locales es ca ar] [--frames 240] [--width 1280] [--height 720]

translate: catalogs + one apertium process for the whole script; voiceover: espeak-ng, one process
per line; subtitles: cue layout; captions: frames/s burning subtitles and on-screen text into a
real photograph (skimage's coffee) at the given size. Prints one row per locale.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import cv2
import skimage.data

from reelgraph.nodes import NodeContext, Workspace
from reelgraph.nodes.l10n import Captions, Subtitles, Translate, Voiceover
from reelgraph.nodes.values import Frames
from reelgraph.storage.artifact_store import LocalArtifactStore

CAMPAIGN = Path(__file__).resolve().parents[1] / "examples" / "campaign"


def timed(node, context, inputs, params):
    start = time.perf_counter()
    outputs = node.run(context, node.Params.model_validate(params), **inputs)
    return outputs, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locales", nargs="+", default=["es", "ca", "ar"])
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args()

    photo = cv2.resize(skimage.data.coffee(), (args.width, args.height), interpolation=cv2.INTER_AREA)
    frames = Frames(fps=24, width=args.width, height=args.height,
                    source=lambda: (photo for _ in range(args.frames)), count=args.frames)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(CAMPAIGN, root / "campaign")
        context = NodeContext("bench", "bench", LocalArtifactStore(root / ".store"), Workspace(root))
        print(f"{'locale':<7}{'translate s':>12}{'voiceover s':>12}{'audio s':>9}{'subtitles ms':>13}"
              f"{'captions fps':>13}")
        for locale in args.locales:
            params = {"script": "campaign/script.yaml", "target": locale,
                      "catalogs": ["campaign/ar.po", "campaign/es.xlf"]}
            translated, translate_s = timed(Translate(), context, {}, params)
            voice, voice_s = timed(Voiceover(), context, {"script": translated["script"]}, {})
            narrated = {"script": translated["script"], "timing": voice["timing"]}
            subs, subs_s = timed(Subtitles(), context, narrated, {})
            captioned, _ = timed(Captions(), context,
                                 {"frames": frames, "subtitles": subs["subtitles"], **narrated}, {})
            start = time.perf_counter()
            checksum = sum(int(frame[0, 0, 0]) for frame in captioned["frames"])  # pull every frame
            captions_fps = args.frames / (time.perf_counter() - start)
            assert checksum >= 0
            print(f"{locale:<7}{translate_s:>12.2f}{voice_s:>12.2f}{voice['timing']['duration']:>9.1f}"
                  f"{subs_s * 1000:>13.1f}{captions_fps:>13.0f}")
            voice["audio"].path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
