"""SubRip (.srt) and WebVTT (.vtt) writers for timed cues: the one implementation, used by
l10n.subtitles' text outputs and by video.encode's soft subtitle track (ffmpeg reads the SRT).

Both formats end a cue at a blank line, so blank lines inside a cue's text are dropped, and cues
are written in time order (numbered from 1 in SRT), whatever order they come in.
"""
from __future__ import annotations

from collections.abc import Iterable

from reelgraph.nodes.values import Cue


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, int(round(seconds * 1000)))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _in_order(cues: Iterable[Cue]) -> list[Cue]:
    return sorted(cues, key=lambda cue: (cue.start, cue.end))


def _cue_text(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if line.strip())


def format_srt(cues: Iterable[Cue]) -> str:
    blocks = [f"{index}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n{_cue_text(cue.text)}\n"
              for index, cue in enumerate(_in_order(cues), start=1)]
    return "\n".join(blocks)


def _vtt_text(text: str) -> str:
    # WebVTT cue text is markup: & and < must be escaped, and "-->" may not appear at all.
    return _cue_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_vtt(cues: Iterable[Cue]) -> str:
    header = "WEBVTT\n"
    blocks = [f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n{_vtt_text(cue.text)}\n"
              for cue in _in_order(cues)]
    return "\n".join([header, *blocks])
