"""video.encode: frames, a soundtrack and subtitles become an H.264 MP4 that ffprobe confirms."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
import skimage.data
from skimage.metrics import peak_signal_noise_ratio

from reelgraph.nodes import Cue, Frames, MediaFile, NodeError, Subtitles
from reelgraph.nodes.video.ffmpeg_pipe import STDERR_TAIL_BYTES, FfmpegPipe
from tests.media import decode_frames, ffprobe, write_tone

FAST = {"preset": "ultrafast"}


def photo_frames(count: int, fps: float = 24.0, *, height: int = 96, width: int = 128) -> Frames:
    """A real photograph panning right by 2 pixels a frame."""
    photo = skimage.data.astronaut()[::4, ::4]  # 128 x 128
    frames = [np.ascontiguousarray(np.roll(photo, 2 * i, axis=1)[:height, :width]) for i in range(count)]
    return Frames.from_arrays(frames, fps)


def encode(harness, frames: Frames, params: dict | None = None, **inputs) -> MediaFile:
    return harness.run("video.encode", {**FAST, **(params or {})}, frames=frames, **inputs)["video"]


def test_video_is_an_h264_yuv420p_mp4(harness):
    video = encode(harness, photo_frames(6))
    info = ffprobe(video.path)
    assert video.mime == "video/mp4"
    assert "mp4" in info.format_name.split(",") and info.tags["major_brand"] == "isom"
    assert (info.video.codec, info.video.pix_fmt) == ("h264", "yuv420p")
    assert [stream.type for stream in info.streams] == ["video"]


def test_frame_count_fps_and_duration_are_those_of_the_frames(harness):
    video = encode(harness, photo_frames(15, fps=12.0))  # not ffmpeg's default of 25 fps
    info = ffprobe(video.path, count_frames=True)
    assert info.video.frames == 15
    assert info.video.fps == 12
    assert info.duration == pytest.approx(15 / 12, abs=0.01)


def test_ntsc_rates_are_kept_as_exact_fractions(harness):
    video = encode(harness, photo_frames(4, fps=30000 / 1001))
    assert ffprobe(video.path).video.raw["r_frame_rate"] == "30000/1001"


def test_meta_describes_the_file_as_ffprobe_reads_it(harness):
    video = encode(harness, photo_frames(10, fps=20.0))
    info = ffprobe(video.path, count_frames=True)
    assert video.meta["frames"] == info.video.frames == 10
    assert video.meta["fps"] == 20.0
    assert (video.meta["width"], video.meta["height"]) == (128, 96)
    assert video.meta["duration"] == pytest.approx(info.duration)
    assert video.meta["codec"] == "h264"
    assert video.meta["streams"] == [{"index": 0, "type": "video", "codec": "h264", "language": "und"}]


def test_decoded_pictures_match_the_source_frames(harness):
    frames = photo_frames(8)
    video = encode(harness, frames, {"crf": 12})
    decoded = decode_frames(video.path)
    assert ffprobe(video.path).video.raw["color_space"] == "bt709"  # tagged as it was converted
    assert peak_signal_noise_ratio(np.stack(list(frames)), decoded) > 32


def test_odd_sizes_are_padded_to_even_by_repeating_the_edge(harness):
    video = encode(harness, photo_frames(3, height=61, width=91))
    decoded = decode_frames(video.path)
    assert decoded.shape[1:3] == (62, 92)
    added_column, edge_column = decoded[:, :61, 91].astype(int), decoded[:, :61, 90].astype(int)
    assert np.abs(added_column - edge_column).mean() < 3  # a copy of the edge, not a black line


def test_audio_becomes_an_aac_track_tagged_with_its_language(harness, tmp_path):
    tone = MediaFile(write_tone(tmp_path / "tone.wav", 1.0), "audio/wav")
    video = encode(harness, photo_frames(24), {"audio_language": "es"}, audio=tone)
    audio = ffprobe(video.path).audio
    assert (audio.codec, audio.language) == ("aac", "spa")


def test_audio_language_defaults_to_the_audio_artifacts_language(harness, tmp_path):
    tone = MediaFile(write_tone(tmp_path / "tone.wav", 1.0), "audio/wav", {"language": "de-AT"})
    video = encode(harness, photo_frames(24), audio=tone)
    assert ffprobe(video.path).audio.language == "ger"  # ISO 639-2/B, as the MP4 muxer writes it


def test_audio_longer_than_the_picture_is_cut_at_the_last_frame(harness, tmp_path):
    tone = MediaFile(write_tone(tmp_path / "tone.wav", 3.0), "audio/wav")
    video = encode(harness, photo_frames(12), audio=tone)  # 0.5 s of picture
    assert ffprobe(video.path).audio.duration == pytest.approx(0.5, abs=0.05)


def test_subtitles_become_a_mov_text_track_tagged_with_their_language(harness):
    cues = Subtitles([Cue(0.0, 0.4, "Hola"), Cue(0.4, 0.9, "¿Qué tal?")], language="es")
    video = encode(harness, photo_frames(24), subtitles=cues)
    subtitle = ffprobe(video.path).subtitle
    assert (subtitle.codec, subtitle.language) == ("mov_text", "spa")
    extract = ["ffmpeg", "-v", "error", "-i", str(video.path), "-map", "0:s:0", "-f", "srt", "pipe:"]
    srt = subprocess.run(extract, capture_output=True, text=True, check=True).stdout
    assert "00:00:00,400 --> 00:00:00,900\n¿Qué tal?" in srt


def test_title_and_comment_become_file_metadata(harness):
    video = encode(harness, photo_frames(3), {"title": "El faro", "comment": "campaign 7"})
    tags = ffprobe(video.path).tags
    assert (tags["title"], tags["comment"]) == ("El faro", "campaign 7")


def test_an_unknown_language_code_is_refused(harness, tmp_path):
    tone = MediaFile(write_tone(tmp_path / "tone.wav", 0.5), "audio/wav")
    with pytest.raises(NodeError) as error:
        encode(harness, photo_frames(3), {"audio_language": "klingon"}, audio=tone)
    assert error.value.param == "audio_language"


def test_a_failing_ffmpeg_reports_its_own_message(harness, tmp_path):
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("these are notes, not sound")
    with pytest.raises(NodeError) as error:
        encode(harness, photo_frames(48), audio=MediaFile(not_audio, "audio/wav"))
    assert error.value.code == "ffmpeg_failed"
    assert "Invalid data found when processing input" in error.value.message


def test_a_missing_ffmpeg_says_how_to_install_it(harness, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no ffmpeg on it
    with pytest.raises(NodeError) as error:
        encode(harness, photo_frames(3))
    assert "install Debian's ffmpeg" in error.value.hint


def test_frames_of_unknown_count_stream_from_a_generator(harness):
    photo = skimage.data.coffee()[::5, ::5, :]  # 80 x 120

    def generate():
        for i in range(20):
            yield np.ascontiguousarray(np.roll(photo, i, axis=0))

    video = encode(harness, Frames(fps=10.0, width=120, height=80, source=generate, count=None))
    assert ffprobe(video.path, count_frames=True).video.frames == 20


def test_progress_is_reported_after_each_chunk(harness, monkeypatch):
    monkeypatch.setattr("reelgraph.nodes.codecs.FRAME_CHUNK_BYTES", 4 * 96 * 128 * 3)  # 4 frames a chunk
    encode(harness, photo_frames(10))
    assert [(event.done, event.total) for event in harness.events] == [(4, 10), (8, 10), (10, 10)]


def test_an_empty_frame_sequence_is_refused(harness):
    with pytest.raises(NodeError) as error:
        encode(harness, Frames(fps=24.0, width=64, height=64, source=lambda: iter(()), count=None))
    assert error.value.port == "frames"


def test_a_frame_of_the_wrong_size_is_refused(harness):
    good, bad = np.zeros((64, 64, 3), np.uint8), np.zeros((32, 64, 3), np.uint8)
    frames = Frames(fps=24.0, width=64, height=64, source=lambda: [good, bad], count=2)
    with pytest.raises(NodeError) as error:
        encode(harness, frames)
    assert error.value.port == "frames" and "frame 1" in error.value.message


@pytest.mark.timeout(30)
def test_a_chatty_ffmpeg_never_blocks_the_pipe():
    # showinfo logs a line per frame: about 300 KiB of stderr, far past a pipe's 64 KiB buffer,
    # while we write 750 KiB of frames to stdin. Undrained, both sides would wait forever.
    command = ["ffmpeg", "-hide_banner", "-nostats", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "16x16",
               "-framerate", "25", "-i", "pipe:", "-vf", "showinfo", "-f", "null", "-"]
    frame = np.zeros((16, 16, 3), np.uint8)
    with FfmpegPipe(command) as pipe:
        for _ in range(1000):
            pipe.write_frame(frame)
    assert "n: 999" in pipe.stderr_text  # the last frame's line is kept...
    assert len(pipe.stderr_text) <= STDERR_TAIL_BYTES  # ...and only a bounded tail
