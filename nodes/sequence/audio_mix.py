"""The soundtrack of an assembled sequence, mixed by ffmpeg (streamed, never decoded into memory).

Each shot's narration starts at its shot's first frame (leading silence trimmed, then `adelay`); the narrations are summed into
one speech track. An optional music bed loops under the whole sequence and is ducked under speech
with a side-chain compressor keyed on the speech track, so the music dips while someone talks and
comes back between lines. The result is cut or padded to exactly the sequence's duration.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.video.ffmpeg_pipe import require_binary

SAMPLE_RATE = 48_000
LAYOUT = "stereo"


@dataclass(frozen=True)
class PlacedAudio:
    path: Path
    start: float                 # seconds into the sequence
    offset: float = 0.0          # where in the file the placed part begins, seconds
    length: float | None = None  # how much of the file, seconds; None: to its end


@dataclass(frozen=True)
class MusicBed:
    path: Path
    gain_db: float = -12.0      # the bed's level where nobody speaks
    duck_db: float = 12.0       # how far it dips under speech


def _ducking(duck_db: float) -> str:
    # A ratio that takes the bed down by about duck_db once speech rises above the threshold.
    ratio = max(1.0, min(20.0, 10 ** (duck_db / 20)))
    return f"sidechaincompress=threshold=0.015:ratio={ratio:.3f}:attack=15:release=350:makeup=1"


def mix_command(output: Path, duration: float, narrations: list[PlacedAudio], music: MusicBed | None) -> list[str]:
    """The ffmpeg command writing a 48 kHz stereo WAV of exactly `duration` seconds."""
    command = [require_binary("ffmpeg"), "-nostdin", "-y", "-v", "error"]
    filters, speech_labels = [], []
    fmt = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts={LAYOUT}"
    for index, narration in enumerate(narrations):
        if narration.offset:
            command += ["-ss", f"{narration.offset:.6f}"]
        if narration.length is not None:
            command += ["-t", f"{narration.length:.6f}"]
        command += ["-i", str(narration.path)]
        delay_ms = int(round(narration.start * 1000))
        # Speech synthesizers start their files with a little silence: trim it, so that the voice
        # (not the file) starts with the shot.
        filters.append(f"[{index}:a]{fmt},silenceremove=start_periods=1:start_threshold=-50dB,"
                       f"adelay=delays={delay_ms}:all=1[n{index}]")
        speech_labels.append(f"[n{index}]")
    # Silence of the full duration under everything, so the mix always lasts the whole sequence.
    command += ["-f", "lavfi", "-t", f"{duration:.6f}", "-i", f"anullsrc=r={SAMPLE_RATE}:cl={LAYOUT}"]
    silence = len(narrations)
    filters.append(f"[{silence}:a]{fmt}[base]")
    speech_inputs = "".join(speech_labels) + "[base]"
    filters.append(f"{speech_inputs}amix=inputs={len(speech_labels) + 1}:normalize=0:duration=longest[speech]")
    final = "speech"
    if music is not None:
        command += ["-stream_loop", "-1", "-i", str(music.path)]
        bed = silence + 1
        filters.append(f"[{bed}:a]{fmt},atrim=0:{duration:.6f},volume={music.gain_db}dB[bed]")
        filters.append("[speech]asplit=2[voice][key]")
        filters.append(f"[bed][key]{_ducking(music.duck_db)}[ducked]")
        filters.append("[ducked][voice]amix=inputs=2:normalize=0:duration=longest[mixed]")
        final = "mixed"
    filters.append(f"[{final}]atrim=0:{duration:.6f},asetpts=N/SR/TB[out]")
    command += ["-filter_complex", ";".join(filters), "-map", "[out]", "-c:a", "pcm_s16le",
                "-ar", str(SAMPLE_RATE), str(output)]
    return command


def mix_soundtrack(output: Path, duration: float, narrations: list[PlacedAudio], music: MusicBed | None) -> None:
    result = subprocess.run(mix_command(output, duration, narrations, music), capture_output=True,
                            stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()[-2000:]
        raise NodeError(f"mixing the soundtrack failed: {message}", port="narrations",
                        hint="check that every narration and the music are audio files ffmpeg can read",
                        code="audio_mix_failed")
