"""How a chunk of frames becomes bytes in the store, losslessly, and back bit for bit.

The frames manifest names the chunk codec (`"codec"`); a manifest without one holds raw RGB
chunks (what reelgraph wrote before), which still read.

`zstd-gradient` (the default), chosen by measuring raw RGB chunks of the explainer and of
bench.memory against zstd and lz4 alone, QOI and PNG per frame (README, "Compact frames"):
1. colour decorrelation: R-G and B-G (mod 256) instead of R and B; neighbouring channels move
   together, so the differences are small;
2. planes: each channel of each frame as its own H x W plane;
3. the gradient predictor: each pixel minus (left + up - up-left), mod 256: a 2-D difference
   that turns smooth areas (most of a photographic frame) into near-zero bytes;
4. zstd at level 1.
Every step is exact integer arithmetic modulo 256 and each inverse is a cumulative sum, so decoding
is vectorised numpy plus zstd (no per-pixel Python), and bit-exact. 2.6x to 3.5x smaller than raw
on the explainer's frames, at about the cost of PNG level 1's worst case divided by ten.
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

    decorrelated = frames.copy()
    decorrelated[..., 0] -= frames[..., 1]
    decorrelated[..., 2] -= frames[..., 1]
    planes = decorrelated.transpose(0, 3, 1, 2)  # N x 3 x H x W
    residual = np.diff(np.diff(planes, axis=2, prepend=np.uint8(0)), axis=3, prepend=np.uint8(0))
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(np.ascontiguousarray(residual).data)


def decode_chunk(data: bytes, codec: str, count: int, height: int, width: int) -> np.ndarray:
    """The bytes of a stored chunk -> count x height x width x 3 uint8 frames, bit-exact."""
    if codec == RAW:
        return np.frombuffer(data, dtype=np.uint8).reshape(count, height, width, 3)
    if codec != ZSTD_GRADIENT:
        raise ValueError(f"unknown frame chunk codec '{codec}': written by a newer reelgraph?")
    import zstandard

    raw = zstandard.ZstdDecompressor().decompress(data, max_output_size=count * height * width * 3)
    residual = np.frombuffer(raw, dtype=np.uint8).reshape(count, 3, height, width)
    planes = np.cumsum(np.cumsum(residual, axis=2, dtype=np.uint8), axis=3, dtype=np.uint8)
    frames = np.ascontiguousarray(planes.transpose(0, 2, 3, 1))
    frames[..., 0] += frames[..., 1]
    frames[..., 2] += frames[..., 1]
    return frames
