"""l10n.captions: burn subtitles, or a script's on-screen text, into frames, for any script."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams, file_param
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.script import script_of_document
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import Cue, Frames


def on_screen_cues(script_document, timing) -> list[Cue]:
    """One cue per scene with on-screen text, shown for the whole scene as the voice-over timed it."""
    script, _ = script_of_document(script_document)
    if not isinstance(timing, dict) or "scenes" not in timing:
        raise NodeError("on-screen text needs the voice-over's timing", port="timing",
                        hint="connect l10n.voiceover's 'timing' output")
    spans = {scene["id"]: scene for scene in timing["scenes"]}
    cues = []
    for scene in script.scenes:
        if scene.on_screen:
            if scene.id not in spans:
                raise NodeError(f"the timing has no scene '{scene.id}'", port="timing",
                                hint="connect the timing of the voice-over made from this script")
            cues.append(Cue(spans[scene.id]["start"], spans[scene.id]["end"], "\n".join(scene.on_screen)))
    return cues


class Captions(Node):
    """Burn captions into frames: subtitle cues, and/or the script's on-screen text over each
    scene. Text is shaped with raqm (Arabic joined and right to left, Hebrew, Devanagari) in Noto
    fonts chosen per character. Streams: one frame in memory at a time."""

    type = "l10n.captions"
    version = 1
    title = "Burn in captions"
    category = "l10n"
    inputs = {
        "frames": Input(PortKind.FRAMES, "The video frames"),
        "subtitles": Input(PortKind.SUBTITLES, "Cues to burn in (l10n.subtitles)", optional=True),
        "script": Input(PortKind.JSON, "A translated script whose on-screen text to burn in", optional=True),
        "timing": Input(PortKind.JSON, "The voice-over timing that places the on-screen text", optional=True),
    }
    outputs = {"frames": Output(PortKind.FRAMES, "The frames with the captions drawn in")}

    class Params(NodeParams):
        font_scale: float = Field(0.06, ge=0.01, le=0.5, description="Text size as a share of frame height")
        subtitle_position: Literal["bottom", "top", "center"] = Field("bottom", description="Where cues go")
        on_screen_position: Literal["top", "bottom", "center"] = Field(
            "top", description="Where on-screen text goes")
        color: str = Field("#ffffff", pattern=r"^#[0-9a-fA-F]{6}$", description="Text colour, #rrggbb")
        box_opacity: float = Field(0.55, ge=0, le=1, description="Opacity of the box behind the text; "
                                                                 "below 0.3 the text gets an outline instead")
        language: str = Field("", max_length=35, description="Language for shaping and direction; empty: "
                                                             "the subtitles' or script's language")
        font: str = file_param("", description="A font file to prefer; empty: Noto fonts by script")
        bold: bool = Field(True, description="Prefer bold faces")

    def run(self, ctx, params, *, frames: Frames, subtitles=None, script=None, timing=None):
        from reelgraph.nodes.l10n.caption_overlay import CaptionStyle, blend, render_caption
        from reelgraph.nodes.l10n.fonts import FontChooser
        from reelgraph.nodes.l10n.text_layout import require_raqm

        require_raqm()
        tracks, language = self._tracks(params, subtitles, script, timing)
        font = ctx.resolve_path(params.font, param="font") if params.font else None
        if font is not None and not font.is_file():
            raise NodeError(f"no font file at '{params.font}'", param="font")
        fonts = FontChooser(user_font=font, bold=params.bold)
        for cues, _ in tracks:
            for cue in cues:
                fonts.check_covers(cue.text)  # fail now, not halfway through the stream
        color = tuple(int(params.color[i:i + 2], 16) for i in (1, 3, 5))
        size = max(8, round(frames.height * params.font_scale))
        styles = [CaptionStyle(size, position, margin=max(4, frames.height // 30), color=color,
                               box_opacity=params.box_opacity) for _, position in tracks]

        def captioned():
            shown: list[tuple[int, object] | None] = [None] * len(tracks)  # per track: (cue index, patch)
            for index, frame in enumerate(frames):
                time = index / frames.fps
                for track, ((cues, _), style) in enumerate(zip(tracks, styles, strict=True)):
                    active = next((i for i, cue in enumerate(cues) if cue.start <= time < cue.end), None)
                    if active is None:
                        continue
                    if shown[track] is None or shown[track][0] != active:
                        shown[track] = (active, render_caption(cues[active].text, frames.width, frames.height,
                                                               style, language=language, fonts=fonts))
                    if shown[track][1] is not None:
                        frame = blend(frame, shown[track][1])
                if frames.count and (index + 1) % max(1, int(frames.fps)) == 0:
                    ctx.progress(index + 1, frames.count, "burning in captions")
                yield frame

        return {"frames": Frames(fps=frames.fps, width=frames.width, height=frames.height, source=captioned,
                                 count=frames.count)}

    @staticmethod
    def _tracks(params, subtitles, script, timing) -> tuple[list[tuple[list[Cue], str]], str]:
        tracks, language = [], params.language
        if subtitles is not None:
            tracks.append((sorted(subtitles.cues, key=lambda c: c.start), params.subtitle_position))
            language = language or (subtitles.language if subtitles.language != "und" else "")
        if script is not None:
            tracks.append((on_screen_cues(script, timing), params.on_screen_position))
            language = language or script_of_document(script)[1]
        if not tracks:
            raise NodeError("no text to burn in", port="subtitles",
                            hint="connect 'subtitles', or 'script' and 'timing' for the on-screen text")
        return tracks, language
