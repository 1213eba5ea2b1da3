"""l10n.subtitles: narration cues timed by the voice-over, as SUBTITLES, SRT and WebVTT."""
from __future__ import annotations

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.cue_layout import CueLimits, cues_for_line, hold_for_reading
from reelgraph.nodes.l10n.script import script_of_document
from reelgraph.nodes.l10n.subtitle_formats import format_srt, format_vtt
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import Subtitles as SubtitleTrack


def _timed_lines(script, timing: dict) -> list[tuple[str, float, float]]:
    """(text, start, end) of every narration line, the script's text with the voice-over's times."""
    scenes = {scene.get("id"): scene for scene in timing.get("scenes", []) if isinstance(scene, dict)}
    timed = []
    for scene in script.scenes:
        lines = scenes.get(scene.id, {}).get("lines", [])
        if len(lines) != len(scene.narration):
            raise NodeError(f"the timing has {len(lines)} lines for scene '{scene.id}', the script "
                            f"{len(scene.narration)}", port="timing",
                            hint="connect the timing of the voice-over made from this script")
        timed += [(text, float(line["start"]), float(line["end"]))
                  for text, line in zip(scene.narration, lines, strict=True)]
    return timed


class Subtitles(Node):
    """Subtitles of the narration, timed by the voice-over: long lines split into cues that
    respect a maximum line length, lines per cue and reading speed. Also as SRT and WebVTT text."""

    type = "l10n.subtitles"
    version = 1
    title = "Subtitles"
    category = "l10n"
    inputs = {
        "script": Input(PortKind.JSON, "A translated script (l10n.translate's 'script')"),
        "timing": Input(PortKind.JSON, "The voice-over's timing (l10n.voiceover's 'timing')"),
    }
    outputs = {
        "subtitles": Output(PortKind.SUBTITLES, "Timed cues with the script's language"),
        "srt": Output(PortKind.TEXT, "The cues as SubRip (.srt)"),
        "vtt": Output(PortKind.TEXT, "The cues as WebVTT (.vtt)"),
    }

    class Params(NodeParams):
        max_line_chars: int = Field(42, ge=10, le=120, description="Characters per subtitle line at most")
        max_lines: int = Field(2, ge=1, le=4, description="Lines per cue at most")
        max_chars_per_second: float = Field(17.0, ge=5, le=60,
                                            description="Reading speed: a cue stays up at least chars/this")
        min_cue_seconds: float = Field(0.8, ge=0, le=10, description="Shortest time a cue stays up")

    def run(self, ctx, params, *, script, timing):
        script, language = script_of_document(script)
        if not isinstance(timing, dict) or "scenes" not in timing:
            raise NodeError("expected the voice-over's timing", port="timing",
                            hint="connect l10n.voiceover's 'timing' output")
        limits = CueLimits(params.max_line_chars, params.max_lines, params.max_chars_per_second,
                           params.min_cue_seconds)
        cues = [cue for text, start, end in _timed_lines(script, timing)
                for cue in cues_for_line(text, start, end, limits)]
        cues, too_fast = hold_for_reading(cues, limits, end_of_media=timing.get("duration"))
        if too_fast:
            ctx.log.warning("%d subtitle cues read faster than %.0f chars/s, e.g. %r", len(too_fast),
                            params.max_chars_per_second, too_fast[0].text)
        track = SubtitleTrack(cues=cues, language=language)
        return {"subtitles": track, "srt": format_srt(cues), "vtt": format_vtt(cues)}
