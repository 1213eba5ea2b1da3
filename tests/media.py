"""Media checks for tests: what ffprobe, a reader independent of our code, says about a file;
the frames ffmpeg decodes from it; and small real inputs (a tone as a WAV file).

    info = ffprobe(path, count_frames=True)
    assert info.video.codec == "h264" and info.video.frames == 48
    assert info.audio.language == "spa"
"""
from __future__ import annotations

import json
import subprocess
import wave
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Stream:
    index: int
    type: str                   # video, audio, subtitle, data
    codec: str
    language: str | None
    frames: int | None          # decoded frames with count_frames=True, else the container's count
    fps: Fraction | None        # average frame rate (video)
    width: int | None
    height: int | None
    pix_fmt: str | None
    duration: float | None
    raw: dict = field(repr=False)  # everything ffprobe said (color_space, sample_rate, tags...)


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    format_name: str            # ffmpeg's demuxer names, e.g. 'mov,mp4,m4a,3gp,3g2,mj2'
    streams: list[Stream]
    tags: dict                  # container metadata: major_brand, title, comment...

    def of_type(self, kind: str) -> list[Stream]:
        return [stream for stream in self.streams if stream.type == kind]

    def _only(self, kind: str) -> Stream:
        found = self.of_type(kind)
        assert len(found) == 1, f"expected one {kind} stream, found {len(found)}: {self.streams}"
        return found[0]

    @property
    def video(self) -> Stream:
        return self._only("video")

    @property
    def audio(self) -> Stream:
        return self._only("audio")

    @property
    def subtitle(self) -> Stream:
        return self._only("subtitle")


def _fraction(text: str | None) -> Fraction | None:
    return None if not text or text.endswith("/0") else Fraction(text)


def _int(text: str | None) -> int | None:
    return int(text) if text and str(text).isdigit() else None


def ffprobe(path: Path, *, count_frames: bool = False) -> MediaInfo:
    """The file's streams and format as ffprobe reads them. count_frames decodes every frame to
    count them (slower, but independent of what the muxer wrote in the header)."""
    command = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
    if count_frames:
        command.append("-count_frames")
    result = subprocess.run([*command, str(path)], capture_output=True, text=True, check=True)
    info = json.loads(result.stdout)
    streams = []
    for raw in info["streams"]:
        frames = _int(raw.get("nb_read_frames")) if count_frames else _int(raw.get("nb_frames"))
        streams.append(Stream(
            index=raw["index"], type=raw.get("codec_type", ""), codec=raw.get("codec_name", ""),
            language=raw.get("tags", {}).get("language"), frames=frames,
            fps=_fraction(raw.get("avg_frame_rate")) if raw.get("codec_type") == "video" else None,
            width=raw.get("width"), height=raw.get("height"), pix_fmt=raw.get("pix_fmt"),
            duration=float(raw["duration"]) if "duration" in raw else None, raw=raw))
    format_ = info["format"]
    return MediaInfo(duration=float(format_.get("duration", 0.0)), format_name=format_.get("format_name", ""),
                     streams=streams, tags=format_.get("tags", {}))


def decode_frames(path: Path) -> np.ndarray:
    """Every frame of the file's video stream as RGB (N x H x W x 3 uint8), decoded by ffmpeg."""
    video = ffprobe(path).video
    result = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24",
                             "pipe:"], capture_output=True, check=True)
    return np.frombuffer(result.stdout, dtype=np.uint8).reshape(-1, video.height, video.width, 3)


def write_tone(path: Path, seconds: float, *, frequency: float = 440.0, sample_rate: int = 48_000) -> Path:
    """A mono 16-bit WAV file holding a sine tone: a real soundtrack for encoding tests."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    samples = (0.3 * 32767 * np.sin(2 * np.pi * frequency * t)).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(samples.tobytes())
    return path
