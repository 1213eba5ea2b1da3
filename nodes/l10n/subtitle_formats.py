"""SubRip (.srt) and WebVTT (.vtt) writers for timed cues."""
from __future__ import annotations

from reelgraph.nodes.values import Cue


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, int(round(seconds * 1000)))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def format_srt(cues: list[Cue]) -> str:
    blocks = [f"{index}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n{cue.text}\n"
              for index, cue in enumerate(cues, start=1)]
    return "\n".join(blocks)


def _vtt_text(text: str) -> str:
    # WebVTT cue text is markup: & and < must be escaped, and "-->" may not appear at all.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_vtt(cues: list[Cue]) -> str:
    header = "WEBVTT\n"
    blocks = [f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n{_vtt_text(cue.text)}\n"
              for cue in cues]
    return "\n".join([header, *blocks])
