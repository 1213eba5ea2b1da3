"""Subtitles as an SubRip (.srt) file: the form ffmpeg reads to make an MP4 mov_text track."""
from __future__ import annotations

from pathlib import Path

from reelgraph.nodes.values import Subtitles


def srt_timestamp(seconds: float) -> str:
    milliseconds = max(0, round(seconds * 1000))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole_seconds, milliseconds = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole_seconds:02d},{milliseconds:03d}"


def srt_text(subtitles: Subtitles) -> str:
    blocks = []
    for number, cue in enumerate(sorted(subtitles.cues, key=lambda c: (c.start, c.end)), start=1):
        # A blank line ends an SRT block, so blank lines inside a cue's text are dropped.
        text = "\n".join(line for line in cue.text.splitlines() if line.strip())
        blocks.append(f"{number}\n{srt_timestamp(cue.start)} --> {srt_timestamp(cue.end)}\n{text}\n")
    return "\n".join(blocks)


def write_srt(subtitles: Subtitles, path: Path) -> Path:
    path.write_text(srt_text(subtitles), encoding="utf-8")
    return path
