"""video.encode: frames (plus an optional soundtrack and subtitles) -> an H.264 MP4 file."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams, Resources
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.l10n.subtitle_formats import format_srt
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import Frames, MediaFile, Subtitles
from reelgraph.nodes.video.ffmpeg_pipe import pipe_frames
from reelgraph.nodes.video.languages import mp4_language
from reelgraph.nodes.video.probe import media_summary

X264_PRESETS = Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                       "slower", "veryslow"]


@dataclass(frozen=True)
class ExtraTrack:
    """A file ffmpeg adds as one more stream of the MP4, with its language."""

    path: Path
    language: str  # ISO 639-2/B


def frame_rate_text(fps: float) -> str:
    """fps as the exact fraction ffmpeg should use: 29.97 -> '30000/1001', 24 -> '24'."""
    rate = Fraction(fps).limit_denominator(1001)
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def h264_picture(video, width: int, height: int):
    """Filters from RGB frames to what an H.264 player expects: even sizes, BT.709 4:2:0."""
    even_width, even_height = width + width % 2, height + height % 2
    if (even_width, even_height) != (width, height):
        # yuv420p halves the chroma resolution, so sizes must be even; the added row or column
        # repeats its neighbour rather than showing a black line at the edge.
        video = video.filter("pad", even_width, even_height).filter(
            "fillborders", right=even_width - width, bottom=even_height - height, mode="smear")
    # swscale converts with BT.601 unless told; players read HD video as BT.709.
    return video.filter("scale", out_color_matrix="bt709", out_range="tv").filter("format", "yuv420p")


def h264_options(crf: int, preset: str) -> dict:
    return {"vcodec": "libx264", "crf": crf, "preset": preset, "pix_fmt": "yuv420p",
            "colorspace": "bt709", "color_primaries": "bt709", "color_trc": "bt709", "color_range": "tv",
            "movflags": "+faststart"}  # the index first, so playback starts before the download ends


def encode_command(*, output: Path, width: int, height: int, fps: float, crf: int, preset: str,
                   audio: ExtraTrack | None = None, audio_kbps: int = 192, audio_seconds: float | None = None,
                   subtitles: ExtraTrack | None = None, title: str = "", comment: str = "") -> list[str]:
    """The ffmpeg command line that reads raw RGB frames on stdin and writes the MP4."""
    import ffmpeg

    picture = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{width}x{height}",
                           framerate=frame_rate_text(fps))
    streams = [h264_picture(picture, width, height)]
    options = h264_options(crf, preset)
    if audio is not None:
        trim = {"t": f"{audio_seconds:.6f}"} if audio_seconds else {}  # no sound past the last frame
        streams.append(ffmpeg.input(str(audio.path), **trim)["a:0"])
        options.update({"acodec": "aac", "audio_bitrate": f"{audio_kbps}k",
                        "metadata:s:a:0": f"language={audio.language}"})
    if subtitles is not None:
        streams.append(ffmpeg.input(str(subtitles.path))["s:0"])
        options.update({"scodec": "mov_text", "metadata:s:s:0": f"language={subtitles.language}"})
    # 'g' is the global metadata specifier; ffmpeg ignores what follows it, and the index keeps
    # the two keys distinct in the options dict.
    if title:
        options["metadata:g:0"] = f"title={title}"
    if comment:
        options["metadata:g:1"] = f"comment={comment}"
    command = ffmpeg.output(*streams, str(output), **options)
    return command.global_args("-hide_banner", "-nostats", "-loglevel", "error").overwrite_output().compile()


def track_language(tag: str | None, *, param: str | None = None, port: str | None = None) -> str:
    language = mp4_language(tag)
    if language is None:
        raise NodeError(f"'{tag}' is not a language code", param=param, port=port,
                        hint="use a BCP 47 or ISO 639 code such as 'es', 'pt-BR' or 'spa'")
    return language


class VideoEncode(Node):
    """Encode frames as an H.264 MP4, with an optional AAC soundtrack and a soft subtitle track,
    each tagged with its language."""

    type = "video.encode"
    version = 1
    title = "Encode video (MP4)"
    category = "video"
    inputs = {
        "frames": Input(PortKind.FRAMES, "The picture; its fps becomes the video's"),
        "audio": Input(PortKind.AUDIO, "A soundtrack (WAV, MP3...), encoded as AAC and cut at the "
                                       "last frame", optional=True),
        "subtitles": Input(PortKind.SUBTITLES, "Cues for a soft subtitle track (mov_text)", optional=True),
    }
    outputs = {"video": Output(PortKind.VIDEO, "The MP4; its meta holds duration, fps, width, height, "
                                               "frames, codec and streams")}
    resources = Resources(cpus=2)  # x264 is multi-threaded

    class Params(NodeParams):
        crf: int = Field(18, ge=0, le=51, description="x264 quality: lower is better and bigger; "
                                                       "18 looks lossless, 23 is ffmpeg's default")
        preset: X264_PRESETS = Field("medium", description="x264 speed: slower presets make smaller files")
        audio_language: str | None = Field(None, max_length=35, description="Language of the soundtrack (BCP 47 or ISO "
                                                             "639: es, pt-BR, spa); default: the audio's "
                                                             "'language' meta, else 'und'")
        audio_kbps: int = Field(192, ge=32, le=512, description="AAC bit rate in kbit/s")
        title: str = Field("", max_length=1000, description="Title metadata of the file")
        comment: str = Field("", max_length=10_000, description="Comment metadata of the file")

    def run(self, ctx, params, *, frames: Frames, audio: MediaFile | None = None,
            subtitles: Subtitles | None = None):
        audio_track = subtitle_track = None
        if audio is not None:
            tag = params.audio_language or audio.meta.get("language")
            audio_track = ExtraTrack(audio.path, track_language(tag, param="audio_language"))
        if subtitles is not None and subtitles.cues:
            language = track_language(subtitles.language, port="subtitles")
            srt = ctx.scratch_path(".srt")
            srt.write_text(format_srt(subtitles.cues), encoding="utf-8")
            subtitle_track = ExtraTrack(srt, language)
        output = ctx.scratch_path(".mp4")
        command = encode_command(output=output, width=frames.width, height=frames.height, fps=frames.fps,
                                 crf=params.crf, preset=params.preset, audio=audio_track,
                                 audio_kbps=params.audio_kbps, audio_seconds=frames.duration,
                                 subtitles=subtitle_track, title=params.title, comment=params.comment)
        try:
            pipe_frames(command, frames, lambda written: ctx.progress(written, frames.count, "encoding"))
        except BaseException:
            output.unlink(missing_ok=True)
            raise
        finally:
            if subtitle_track is not None:
                subtitle_track.path.unlink(missing_ok=True)
        return {"video": MediaFile(output, "video/mp4", media_summary(output))}


NODE_TYPES = [VideoEncode]
