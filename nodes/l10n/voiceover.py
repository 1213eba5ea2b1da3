"""l10n.voiceover: speak a (translated) script, scene by scene, into one WAV plus its timing."""
from __future__ import annotations

import wave
from collections.abc import Callable

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.script import Script, script_of_document
from reelgraph.nodes.l10n.tts import SpeechSynthesizer
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import MediaFile


def _silence(wav: wave.Wave_write, seconds: float) -> None:
    import numpy as np

    samples = int(round(seconds * wav.getframerate()))
    if samples > 0:
        wav.writeframes(np.zeros(samples, dtype="<i2").tobytes())


def narrate(script: Script, synthesizer: SpeechSynthesizer, wav: wave.Wave_write, *, line_pause: float,
            scene_padding: float, progress: Callable[[int, int], None]) -> list[dict]:
    """Write every scene's speech into `wav` (mono 16-bit, rate already set) and return the timing.

    A scene lasts its speech plus padding, or its fixed duration when that is longer. Line and
    scene boundaries are counted in samples, so the timing matches the audio exactly.
    """
    rate = wav.getframerate()
    total_lines = sum(len(scene.narration) for scene in script.scenes)
    spoken, cursor, scenes = 0, 0, []   # cursor: samples written so far
    for scene in script.scenes:
        if not scene.narration and scene.duration is None:
            raise NodeError(f"scene '{scene.id}' has no narration and no duration", port="script",
                            hint="give the scene a 'duration' in seconds")
        scene_start, lines = cursor, []
        for index, text in enumerate(scene.narration):
            if index:
                _silence(wav, line_pause)
                cursor += int(round(line_pause * rate))
            speech = synthesizer.speak(text)
            if speech.sample_rate != rate:
                raise NodeError(f"the voice speaks at {speech.sample_rate} Hz, the track is {rate} Hz")
            wav.writeframes(speech.samples.astype("<i2").tobytes())
            lines.append({"text": text, "start": cursor / rate, "end": (cursor + len(speech.samples)) / rate})
            cursor += len(speech.samples)
            spoken += 1
            progress(spoken, total_lines)
        speech_samples = cursor - scene_start
        padded = speech_samples + (int(round(scene_padding * rate)) if scene.narration else 0)
        fixed = int(round((scene.duration or 0) * rate))
        scene_samples = max(padded, fixed)
        _silence(wav, (scene_samples - speech_samples) / rate)
        cursor = scene_start + scene_samples
        scenes.append({"id": scene.id, "start": scene_start / rate, "end": cursor / rate,
                       "duration": scene_samples / rate, "speech_duration": speech_samples / rate,
                       "lines": lines})
    return scenes


class Voiceover(Node):
    """Speak a script's narration with text-to-speech in the script's locale: one WAV of all
    scenes back to back, and the timing of every scene and line measured from the real speech."""

    type = "l10n.voiceover"
    version = 1
    title = "Voice-over"
    category = "l10n"
    inputs = {"script": Input(PortKind.JSON, "A translated script (l10n.translate's 'script')")}
    outputs = {
        "audio": Output(PortKind.AUDIO, "The narration of every scene, mono 16-bit WAV"),
        "timing": Output(PortKind.JSON, "Per scene: start, end, duration, speech_duration and the lines' "
                                        "start/end, in seconds"),
    }

    class Params(NodeParams):
        voice: str = Field("", max_length=100, description="espeak-ng voice; empty: the locale's voice")
        words_per_minute: int = Field(160, ge=80, le=450, description="Speaking rate")
        pitch: int = Field(50, ge=0, le=99, description="Voice pitch, 0-99")
        line_pause: float = Field(0.3, ge=0, le=10, description="Silence between lines of a scene, seconds")
        scene_padding: float = Field(0.6, ge=0, le=30, description="Silence after a scene's speech, seconds")

    def run(self, ctx, params, *, script):
        from reelgraph.nodes.l10n.tts import EspeakNg

        script, language = script_of_document(script)
        synthesizer = EspeakNg(language, scratch_path=ctx.scratch_path, voice=params.voice,
                               words_per_minute=params.words_per_minute, pitch=params.pitch)
        sample_rate = synthesizer.sample_rate
        path = ctx.scratch_path(".wav")
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            scenes = narrate(script, synthesizer, wav, line_pause=params.line_pause,
                             scene_padding=params.scene_padding,
                             progress=lambda done, total: ctx.progress(done, total, "speaking"))
        duration = scenes[-1]["end"]
        timing = {"language": language, "duration": duration, "sample_rate": sample_rate,
                  "voice": synthesizer.voice, "scenes": scenes}
        audio = MediaFile(path=path, mime="audio/wav",
                          meta={"duration": duration, "sample_rate": sample_rate, "channels": 1,
                                "language": language})
        return {"audio": audio, "timing": timing}
