"""Feed raw frames to an ffmpeg process through its stdin, without deadlocking.

ffmpeg writes its messages to stderr while it reads frames from stdin. If nobody reads stderr,
the pipe's buffer (64 KiB) fills, ffmpeg blocks writing to it and stops reading stdin, and our
next write blocks forever. So a thread drains stderr from the moment the process starts, keeping
only its last few KiB (bounded memory) for the error message; stdout is not a pipe at all.
Only our thread writes stdin and only the drain thread reads stderr, and we join the drain
thread after ffmpeg has exited, so the two never wait on each other.
"""
from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.values import Frames

if TYPE_CHECKING:  # annotations only; numpy is imported where a node runs, not when it is listed
    import numpy as np

STDERR_TAIL_BYTES = 8 * 1024


def require_binary(name: str = "ffmpeg") -> str:
    """The path of an ffmpeg tool, or a NodeError saying how to install it."""
    path = shutil.which(name)
    if path is None:
        raise NodeError(f"the '{name}' program was not found on PATH",
                        hint="install Debian's ffmpeg: apt-get install -y ffmpeg", code="ffmpeg_missing")
    return path


class FfmpegPipe:
    """An ffmpeg process reading raw bytes on stdin. Use as a context manager:

        with FfmpegPipe(args) as pipe:
            for frame in frames:
                pipe.write_frame(frame)

    Leaving the block normally closes stdin and waits for ffmpeg, raising a NodeError with
    ffmpeg's own message when it failed; leaving with an exception kills ffmpeg.
    """

    def __init__(self, args: list[str]) -> None:
        self.args = [require_binary(args[0]), *args[1:]]
        self._stderr_tail = bytearray()
        self._process: subprocess.Popen | None = None
        self._drain_thread: threading.Thread | None = None

    def __enter__(self) -> FfmpegPipe:
        self._process = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)
        self._drain_thread = threading.Thread(target=self._drain_stderr, name="ffmpeg-stderr", daemon=True)
        self._drain_thread.start()
        return self

    def _drain_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for chunk in iter(lambda: self._process.stderr.read1(4096), b""):
            self._stderr_tail += chunk
            del self._stderr_tail[:-STDERR_TAIL_BYTES]

    def write_frame(self, frame: np.ndarray) -> None:
        import numpy as np

        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(memoryview(np.ascontiguousarray(frame)).cast("B"))
        except BrokenPipeError:
            # ffmpeg exited early: its stderr says why.
            self._close_stdin()
            self._raise_failure(self._process.wait())

    def finish(self) -> None:
        """Signal the end of the input and wait for ffmpeg to write the file."""
        assert self._process is not None
        self._close_stdin()
        returncode = self._process.wait()
        if returncode != 0:
            self._raise_failure(returncode)
        self._join_drain()

    def _close_stdin(self) -> None:
        assert self._process is not None
        stdin = self._process.stdin
        if stdin is not None and not stdin.closed:
            try:
                stdin.close()  # flushes; the file is closed even when the flush fails
            except BrokenPipeError:
                pass

    def _join_drain(self) -> None:
        if self._drain_thread is not None:
            self._drain_thread.join()
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()

    @property
    def stderr_text(self) -> str:
        return self._stderr_tail.decode(errors="replace").strip()

    def _raise_failure(self, returncode: int) -> None:
        self._join_drain()
        hint = "the message above is ffmpeg's own; check the inputs it names"
        if "No space left on device" in self.stderr_text:
            hint = ("the disk ffmpeg writes to (the artifact store's) is full: free space there, or point "
                    "--store at a bigger disk")
        raise NodeError(f"ffmpeg failed (exit status {returncode}): {self.stderr_text or 'no message'}",
                        hint=hint, code="ffmpeg_failed")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if exc_type is None:
            self.finish()
            return
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._close_stdin()
            self._process.wait()
        self._join_drain()


def pipe_frames(command: list[str], frames: Frames, on_chunk: Callable[[int], None]) -> int:
    """Run `command`, streaming `frames` into its stdin a chunk at a time (bounded memory);
    `on_chunk` gets the number of frames written so far after each chunk. Returns that number."""
    import numpy as np

    from reelgraph.nodes.codecs import FRAME_CHUNK_BYTES

    written = 0
    chunk_frames = max(1, FRAME_CHUNK_BYTES // (frames.width * frames.height * 3))
    with FfmpegPipe(command) as pipe:
        for chunk in frames.chunks(chunk_frames):
            for frame in chunk:
                if frame.shape != (frames.height, frames.width, 3) or frame.dtype != np.uint8:
                    raise NodeError(f"frame {written} is {frame.shape} {frame.dtype}, expected "
                                    f"({frames.height}, {frames.width}, 3) uint8", port="frames")
                pipe.write_frame(frame)
                written += 1
            on_chunk(written)
        if written == 0:
            raise NodeError("the frame sequence is empty", port="frames")
    return written
