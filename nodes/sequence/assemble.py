"""sequence.assemble: shots (a gathered list of frame sequences or videos) -> one sequence.

Transitions between shots (cut, crossfade, dip to black), per-shot trims, and a soundtrack where
each shot's narration starts with its shot and an optional music bed is ducked under speech. The
frames stream from the shots through the transitions to whoever reads them (video.encode), so the
sequence's length never costs memory.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from reelgraph.nodes.api import Node, NodeParams, Resources
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.sequence.audio_mix import MusicBed, PlacedAudio, mix_soundtrack
from reelgraph.nodes.sequence.timeline import (Transition, assemble_frames, check_fits, sequence_length,
                                               shot_starts)
from reelgraph.nodes.video.decode import video_frames
from reelgraph.nodes.values import Frames, MediaFile

if TYPE_CHECKING:
    import numpy as np


class TransitionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["cut", "crossfade", "dip"] = Field("cut", description="cut, crossfade, or dip to black")
    seconds: float = Field(0.0, ge=0, le=30, description="Length of the transition (ignored for a cut)")


class Trim(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: float = Field(0.0, ge=0, description="Seconds cut from the shot's start")
    end: float | None = Field(None, gt=0, description="Where the shot ends, in seconds of the shot; "
                                                      "empty: its end")


class SequenceAssemble(Node):
    """Join shots into one sequence with transitions, trims and a soundtrack: each shot's narration
    starts with its shot, and an optional music bed dips under speech."""

    type = "sequence.assemble"
    version = 1
    title = "Assemble a sequence"
    category = "sequence"
    inputs = {
        "shots": Input(PortKind.FRAMES, "The shots, in order (gather them: clip[shot=*].frames)", gather=True,
                       optional=True),
        "videos": Input(PortKind.VIDEO, "Or the shots as videos, in order", gather=True, optional=True),
        "narrations": Input(PortKind.AUDIO, "One narration per shot, started with its shot", gather=True,
                            optional=True),
        "narration": Input(PortKind.AUDIO, "Or one narration of every shot back to back (l10n.voiceover's "
                                           "audio), cut into shots by narration_timing", optional=True),
        "narration_timing": Input(PortKind.JSON, "l10n.voiceover's timing: scene i is shot i's narration",
                                  optional=True),
        "music": Input(PortKind.AUDIO, "A music bed under the whole sequence, ducked under speech",
                       optional=True),
    }
    outputs = {
        "frames": Output(PortKind.FRAMES, "The sequence"),
        "audio": Output(PortKind.AUDIO, "The soundtrack, 48 kHz stereo WAV, exactly as long as the frames"),
        "timing": Output(PortKind.JSON, "Per shot: start and end in seconds; the sequence's duration"),
    }
    resources = Resources(cpus=1)

    class Params(NodeParams):
        transition: TransitionSpec = Field(TransitionSpec(), description="The transition between every two shots")
        transitions: list[TransitionSpec] = Field(
            [], max_length=999, description="Per boundary (shot 1->2, 2->3...): overrides `transition`")
        trims: list[Trim] = Field([], max_length=1000, description="Per shot: what to cut from its start and end")
        music_gain_db: float = Field(-12.0, ge=-60, le=12, description="Level of the music bed where nobody speaks")
        duck_db: float = Field(12.0, ge=0, le=40, description="How far the music dips under speech, dB")

    def run(self, ctx, params, *, shots=None, videos=None, narrations=None, narration=None, narration_timing=None,
            music=None):
        inputs = {"shots": shots, "videos": videos, "narrations": narrations, "narration": narration,
                  "narration_timing": narration_timing, "music": music}
        shots = self._shots(inputs)
        fps, width, height = self._format(shots)
        transitions = self._transitions(params, len(shots), fps)
        trimmed = [self._trimmed(shot, params, index, fps) for index, shot in enumerate(shots)]
        lengths = [length for _, length in trimmed]
        short = check_fits(lengths, transitions)
        if short is not None:
            raise NodeError(f"shot {short + 1} has {lengths[short]} frames, too short for its transitions",
                            param="transitions", hint="shorten the transitions or the trims around that shot")
        total = sequence_length(lengths, transitions)
        starts = [start / fps for start in shot_starts(lengths, transitions)]
        timing = {"fps": fps, "frames": total, "duration": total / fps,
                  "shots": [{"start": start, "end": start + length / fps, "frames": length}
                            for start, length in zip(starts, lengths)],
                  "transitions": [{"kind": t.kind, "frames": t.frames} for t in transitions]}
        audio = self._soundtrack(ctx, inputs, params, starts, total / fps)

        def frames_with_progress() -> Iterable[np.ndarray]:
            frames = assemble_frames([source for source, _ in trimmed], transitions)
            for done, frame in enumerate(frames, start=1):
                if done % 24 == 0 or done == total:
                    ctx.progress(done, total, "assembling")
                yield frame

        sequence = Frames(fps=fps, width=width, height=height, source=frames_with_progress, count=total)
        return {"frames": sequence, "audio": audio, "timing": timing}

    @staticmethod
    def _shots(inputs: dict) -> list[Frames]:
        shots, videos = inputs.get("shots"), inputs.get("videos")
        if bool(shots) == bool(videos):
            raise NodeError("give the shots either as frames or as videos, not both and not neither",
                            port="shots", hint="connect a gather such as clip[shot=*].frames to 'shots'")
        return list(shots) if shots else [video_frames(video, port="videos") for video in videos]

    @staticmethod
    def _format(shots: list[Frames]) -> tuple[float, int, int]:
        first = shots[0]
        for index, shot in enumerate(shots[1:], start=2):
            if not math.isclose(shot.fps, first.fps, rel_tol=1e-6):
                raise NodeError(f"shot {index} runs at {shot.fps:g} fps, shot 1 at {first.fps:g}", port="shots",
                                hint="retime the shots to one frame rate first (frames.interpolate)")
            if (shot.width, shot.height) != (first.width, first.height):
                raise NodeError(f"shot {index} is {shot.width}x{shot.height}, shot 1 is {first.width}x"
                                f"{first.height}", port="shots", hint="resize the shots to one size first")
        return first.fps, first.width, first.height

    @staticmethod
    def _transitions(params, count: int, fps: float) -> list[Transition]:
        if len(params.transitions) > max(count - 1, 0):
            raise NodeError(f"{len(params.transitions)} transitions for {count} shots (at most {count - 1})",
                            param="transitions", hint="give one transition per boundary between two shots")
        specs = list(params.transitions) + [params.transition] * (count - 1 - len(params.transitions))
        return [Transition(spec.kind, 0 if spec.kind == "cut" else max(1, round(spec.seconds * fps)))
                for spec in specs]

    @staticmethod
    def _trimmed(shot: Frames, params, index: int, fps: float) -> tuple[Callable[[], Iterable[np.ndarray]], int]:
        count = shot.count if shot.count is not None else sum(1 for _ in shot)
        trim = params.trims[index] if index < len(params.trims) else None
        first = round(trim.start * fps) if trim else 0
        last = min(count, round(trim.end * fps)) if trim and trim.end is not None else count
        if last - first < 1:
            raise NodeError(f"the trim of shot {index + 1} leaves no frame (it has {count})", param="trims",
                            hint="trim less: start must be before end, within the shot")
        return (lambda: itertools.islice(shot, first, last)), last - first

    @staticmethod
    def _soundtrack(ctx, inputs: dict, params, starts: list[float], duration: float) -> MediaFile:
        placed = SequenceAssemble._placed_narrations(inputs, starts)
        music = inputs.get("music")
        bed = MusicBed(music.path, params.music_gain_db, params.duck_db) if music is not None else None
        output = ctx.scratch_path(".wav")
        mix_soundtrack(output, duration, placed, bed)
        meta = {"duration": duration, "sample_rate": 48_000, "channels": 2,
                "narration_starts": [p.start for p in placed]}
        voices = [*(inputs.get("narrations") or []), inputs.get("narration")]
        languages = {audio.meta.get("language") for audio in voices if audio is not None} - {None}
        if len(languages) == 1:   # the soundtrack's language tag follows the narration's
            meta["language"] = languages.pop()
        return MediaFile(output, "audio/wav", meta)

    @staticmethod
    def _placed_narrations(inputs: dict, starts: list[float]) -> list[PlacedAudio]:
        """Each shot's narration with where it starts: from one file per shot, or cut from one
        voice-over by its scene timing (scene i belongs to shot i)."""
        narrations, narration, timing = inputs.get("narrations"), inputs.get("narration"), inputs.get("narration_timing")
        if narrations and narration is not None:
            raise NodeError("both 'narrations' and 'narration' are connected", port="narration",
                            hint="connect per-shot narrations, or one voice-over with its timing, not both")
        if narration is not None:
            if not isinstance(timing, dict) or not isinstance(timing.get("scenes"), list):
                raise NodeError("'narration' needs its scene timing", port="narration_timing",
                                hint="connect l10n.voiceover's 'timing' output")
            scenes = timing["scenes"]
            if len(scenes) != len(starts):
                raise NodeError(f"the voice-over has {len(scenes)} scenes for {len(starts)} shots",
                                port="narration_timing", hint="give the script one scene per shot")
            return [PlacedAudio(narration.path, start, offset=float(scene["start"]),
                                length=float(scene.get("speech_duration", scene["end"] - scene["start"])))
                    for scene, start in zip(scenes, starts)]
        narrations = narrations or []
        if len(narrations) > len(starts):
            raise NodeError(f"{len(narrations)} narrations for {len(starts)} shots", port="narrations",
                            hint="gather the narrations over the same matrix variable as the shots")
        return [PlacedAudio(audio.path, start) for audio, start in zip(narrations, starts) if audio is not None]
