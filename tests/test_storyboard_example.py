"""The storyboard example end to end: one MP4 per locale, its duration, narration and transitions measured."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

from tests.conftest import REPO, reelgraph_cli
from tests.media import ffprobe


def decode_frames(path: Path, width: int, height: int) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "gray", "pipe:"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width).astype(np.float32)


def decode_audio(path: Path, rate: int = 16_000) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(rate), "-f", "s16le",
                          "pipe:"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, "<i2").astype(np.float32) / 32768


def speech_onsets(samples: np.ndarray, rate: int = 16_000) -> list[float]:
    """Starts of sound after at least 0.3 s of quiet, in 5 ms windows."""
    window = rate // 200
    energy = np.abs(samples[: len(samples) // window * window]).reshape(-1, window).max(axis=1)
    found, quiet = [], 60
    for index, loud in enumerate(energy > 0.02):
        if loud and quiet >= 60:
            found.append(index * window / rate)
        quiet = 0 if loud else quiet + 1
    return found


def test_the_storyboard_example_renders_each_locale_with_its_timing(tmp_path):
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples, ignore=shutil.ignore_patterns("models", "out", "*.graph.yaml"))
    assert reelgraph_cli("keys", "init", cwd=examples).returncode == 0  # the example signs its videos
    result = reelgraph_cli("storyboard", "storyboard.yaml", "--json", "--set", "clip.width=320", "--set",
                           "clip.height=180", cwd=examples, timeout=600,
                           env={"REELGRAPH_C2PA_KEY": "", "REELGRAPH_C2PA_CERT": ""})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    run = json.loads(result.stdout)
    fps, shots, overlaps = 24, [4.0, 4.0, 4.0], [0.75, 0.0]   # a dip does not overlap its shots
    expected = sum(shots) - sum(overlaps)
    starts = [0.0, shots[0] - overlaps[0], shots[0] + shots[1] - overlaps[0]]
    for locale in ("en", "es"):
        sha = run["nodes"][f"video[locale={locale}]"]["outputs"]["video"]
        shown = json.loads(reelgraph_cli("artifacts", "show", sha, "--json", cwd=examples).stdout)
        probe = ffprobe(Path(shown["path"]), count_frames=True)
        assert abs(probe.video.frames / fps - expected) <= 1 / fps
        onsets = speech_onsets(decode_audio(Path(shown["path"])))
        for start in starts:
            assert min(abs(onset - start) for onset in onsets) < 0.05, (locale, onsets, starts)
        frames = decode_frames(Path(shown["path"]), 320, 180)
        brightness = frames.mean(axis=(1, 2))
        dip = slice(round(starts[2] * fps) - 13, round(starts[2] * fps) + 1)
        assert brightness[dip].min() < 8, "the dip reaches black"
        assert brightness[: round(starts[2] * fps) - 13].min() > 30, "nothing else goes black"
        fade = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))
        cross = slice(round(starts[1] * fps), round(shots[0] * fps))
        # A crossfade spreads the change between shots over its frames: no single hard cut there.
        assert fade[cross].max() < 0.5 * fade[cross].sum()
