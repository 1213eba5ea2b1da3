"""Read an MP4 (or any video ffmpeg reads) back as streamed RGB frames.

ffmpeg decodes to raw RGB on its stdout, which we read one frame at a time; stderr goes to a
temporary file rather than a pipe, so ffmpeg can never block on it while we read.
"""
from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.values import Frames, MediaFile
from reelgraph.nodes.video.ffmpeg_pipe import require_binary
from reelgraph.nodes.video.probe import probe

if TYPE_CHECKING:
    import numpy as np


def _video_stream(video: MediaFile, port: str) -> dict:
    streams = [s for s in probe(video.path).get("streams", []) if s.get("codec_type") == "video"]
    if not streams:
        raise NodeError(f"'{video.path.name}' has no video stream", port=port, hint="connect a video file")
    return streams[0]


def _frame_count(stream: dict, fps: float, video: MediaFile) -> int:
    if str(stream.get("nb_frames", "")).isdigit():
        return int(stream["nb_frames"])
    duration = float(stream.get("duration") or video.meta.get("duration") or 0)
    return max(1, round(duration * fps))


def video_frames(video: MediaFile, *, port: str = "video") -> Frames:
    """The video's frames, decoded lazily each time the sequence is iterated."""
    stream = _video_stream(video, port)
    width, height = int(stream["width"]), int(stream["height"])
    numerator, _, denominator = str(stream.get("avg_frame_rate") or stream.get("r_frame_rate")).partition("/")
    fps = float(numerator) / float(denominator or 1) if float(denominator or 1) else 0.0
    if fps <= 0:
        raise NodeError(f"'{video.path.name}' has no frame rate", port=port, hint="re-encode the video")
    frame_bytes = width * height * 3

    def decode() -> Iterator[np.ndarray]:
        import numpy as np

        command = [require_binary("ffmpeg"), "-nostdin", "-v", "error", "-i", str(video.path),
                   "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-vsync", "passthrough", "pipe:"]
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL)
            finished = False
            try:
                while True:
                    data = process.stdout.read(frame_bytes)
                    if len(data) < frame_bytes:
                        finished = True
                        break
                    yield np.frombuffer(data, np.uint8).reshape(height, width, 3)
            finally:
                if not finished:   # the reader stopped early (a trim): stop ffmpeg, it is not an error
                    process.kill()
                process.stdout.close()
                process.wait()
            if process.returncode != 0:
                errors.seek(0)
                raise NodeError(f"decoding '{video.path.name}' failed: "
                                f"{errors.read().decode(errors='replace')[-500:]}", port=port,
                                hint="the file is damaged or not a video ffmpeg reads", code="video_decode_failed")

    return Frames(fps=fps, width=width, height=height, source=decode, count=_frame_count(stream, fps, video))
