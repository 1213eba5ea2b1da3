"""Describe a media file with ffprobe: its duration and the streams it holds.

The summary becomes the meta of a VIDEO artifact, so it stays small and JSON-ready.
"""
from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.video.ffmpeg_pipe import require_binary


def probe(path: Path) -> dict:
    """ffprobe's JSON description (format and streams) of the file at `path`."""
    command = [require_binary("ffprobe"), "-v", "error", "-print_format", "json",
               "-show_format", "-show_streams", str(path)]
    result = subprocess.run(command, capture_output=True, check=False)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise NodeError(f"ffprobe cannot read '{path.name}': {message}",
                        hint="the file is not a media file ffmpeg understands", code="ffprobe_failed")
    return json.loads(result.stdout)


def _rate(text: str | None) -> float | None:
    if not text or text.endswith("/0"):
        return None
    return float(Fraction(text))


def _stream_summary(stream: dict) -> dict:
    summary = {"index": stream["index"], "type": stream.get("codec_type"), "codec": stream.get("codec_name")}
    language = stream.get("tags", {}).get("language")
    if language:
        summary["language"] = language
    return summary


def media_summary(path: Path) -> dict:
    """Duration, the first video stream's size, fps, frame count, codec and pixel format, and
    every stream's type, codec and language."""
    info = probe(path)
    streams = info.get("streams", [])
    summary: dict = {"duration": float(info.get("format", {}).get("duration", 0.0)),
                     "streams": [_stream_summary(stream) for stream in streams]}
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is not None:
        summary.update(width=video["width"], height=video["height"],
                       fps=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")),
                       frames=int(video["nb_frames"]) if video.get("nb_frames", "").isdigit() else None,
                       codec=video.get("codec_name"), pix_fmt=video.get("pix_fmt"))
    return summary
