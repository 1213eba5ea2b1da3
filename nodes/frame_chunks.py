"""How a chunk of frames becomes bytes in the store, losslessly, and back bit for bit.

The frames manifest names the chunk codec (`"codec"`); a manifest without one holds raw RGB
chunks (what reelgraph wrote before), which still read.

`zstd-gradient` (the default), chosen by measuring raw RGB chunks of the explainer and of
bench.memory against zstd and lz4 alone, QOI and PNG per frame, and a few predictors (README,
"Compact frames"):
1. the gradient predictor: each byte minus (left + up - up-left) of the same channel, mod 256,
   i.e. a difference down the rows and then along them: smooth areas (most of a photographic
   frame) become near-zero bytes;
2. colour decorrelation of that residual: R-G and B-G instead of R and B (channels move together);
3. zstd at level 1.
Every step is exact integer arithmetic modulo 256 and each inverse is an in-place cumulative sum
or addition, so decoding is vectorised numpy plus zstd (no per-pixel Python) and bit-exact.
2.6x (640x360) to 3.5x (1280x720) smaller than raw on the explainer's frames, at 5 to 30 ms of
CPU per frame to encode and decode (PNG level 1: 2.1x to 2.7x at 100 to 300 ms; QOI 1.9x to 2.2x).
"""
from __future__ import annotations

import numpy as np

RAW, ZSTD_GRADIENT = "raw", "zstd-gradient"
DEFAULT_CHUNK_CODEC = ZSTD_GRADIENT
ZSTD_LEVEL = 1


def encode_chunk(frames: np.ndarray, codec: str = DEFAULT_CHUNK_CODEC) -> bytes:
    """N x H x W x 3 uint8 frames -> the bytes stored for them."""
    if codec == RAW:
        return frames.tobytes()
    if codec != ZSTD_GRADIENT:
        raise ValueError(f"unknown frame chunk codec '{codec}'")
    import zstandard

    residual = np.empty(frames.shape, dtype=np.uint8)   # C order whatever the frames' layout (a model's
                                                        # output may be a transposed view)
    residual[:, 0] = frames[:, 0]
    np.subtract(frames[:, 1:], frames[:, :-1], out=residual[:, 1:])       # down the rows
    residual[:, :, 1:] -= residual[:, :, :-1].copy()                       # then along them
    residual[..., 0] -= residual[..., 1]
    residual[..., 2] -= residual[..., 1]
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(residual.data)


def decode_chunk(data: bytes, codec: str, count: int, height: int, width: int) -> np.ndarray:
    """The bytes of a stored chunk -> count x height x width x 3 uint8 frames, bit-exact."""
    if codec == RAW:
        return np.frombuffer(data, dtype=np.uint8).reshape(count, height, width, 3)
    if codec != ZSTD_GRADIENT:
        raise ValueError(f"unknown frame chunk codec '{codec}': written by a newer reelgraph?")
    import zstandard

    raw = zstandard.ZstdDecompressor().decompress(data, max_output_size=count * height * width * 3)
    frames = np.frombuffer(bytearray(raw), dtype=np.uint8).reshape(count, height, width, 3)
    frames[..., 0] += frames[..., 1]
    frames[..., 2] += frames[..., 1]
    np.add.accumulate(frames, axis=2, out=frames)
    np.add.accumulate(frames, axis=1, out=frames)
    return frames
