"""Frame chunks in the store: compressed losslessly, read back bit for bit, old raw chunks still read."""
from __future__ import annotations

import json

import numpy as np
import pytest

from reelgraph.nodes.frame_chunks import RAW, ZSTD_GRADIENT, decode_chunk, encode_chunk
from reelgraph.nodes.hashing import canonical_json
from reelgraph.nodes.ports import PORT_KINDS, PortKind
from reelgraph.nodes.values import Frames
from reelgraph.storage.artifact_store import LocalArtifactStore

FRAMES = PORT_KINDS[PortKind.FRAMES].codec


def photo_pan(count: int, width: int = 320, height: int = 180) -> list[np.ndarray]:
    """A camera pan over a real photograph: what the store holds most of."""
    from skimage.data import astronaut

    photo = astronaut()
    return [np.ascontiguousarray(photo[40 + i:40 + i + height, 60 + 2 * i:60 + 2 * i + width]) for i in range(count)]


@pytest.fixture
def store(tmp_path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "store")


def stored_bytes(store: LocalArtifactStore, sha: str) -> int:
    return sum(store.size(child) for child in FRAMES.children(sha, store))


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 7, 5), (4, 90, 161), (2, 256, 256)])
def test_a_chunk_round_trips_bit_exact_whatever_its_values(shape):
    frames = np.random.default_rng(sum(shape)).integers(0, 256, (*shape, 3), dtype=np.uint8)
    frames[0, 0, 0] = (255, 0, 255)  # the wrap-around corners of the modular arithmetic
    data = encode_chunk(frames, ZSTD_GRADIENT)
    assert np.array_equal(decode_chunk(data, ZSTD_GRADIENT, *shape), frames)


def test_frames_round_trip_bit_exact_through_the_store_across_chunks(store, monkeypatch):
    monkeypatch.setattr("reelgraph.nodes.codecs.FRAME_CHUNK_BYTES", 320 * 180 * 3 * 4)  # 4 frames a chunk
    frames = photo_pan(10)
    encoded = FRAMES.encode(Frames.from_arrays(frames, fps=24), store)
    manifest = json.loads(store.read_bytes(encoded.sha256))
    assert manifest["codec"] == ZSTD_GRADIENT and [c["frames"] for c in manifest["chunks"]] == [4, 4, 2]
    decoded = FRAMES.decode(encoded.sha256, encoded.meta, store)
    assert decoded.count == 10 and all(np.array_equal(a, b) for a, b in zip(decoded, frames, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(decoded, frames, strict=True))  # re-iterable


def test_photographic_frames_take_less_than_half_the_raw_bytes(store):
    frames = photo_pan(8)
    encoded = FRAMES.encode(Frames.from_arrays(frames, fps=24), store)
    assert stored_bytes(store, encoded.sha256) * 2 < sum(frame.nbytes for frame in frames)


def test_a_manifest_of_raw_chunks_written_before_compression_still_reads(store):
    frames = photo_pan(5)
    chunks = [{"sha256": store.put_bytes(np.stack(frames[:3]).tobytes()), "frames": 3},
              {"sha256": store.put_bytes(np.stack(frames[3:]).tobytes()), "frames": 2}]
    old = {"fps": 12, "width": 320, "height": 180, "count": 5, "chunks": chunks}  # no "codec": raw
    sha = store.put_bytes(canonical_json(old))
    decoded = FRAMES.decode(sha, {}, store)
    assert all(np.array_equal(a, b) for a, b in zip(decoded, frames, strict=True))
    assert FRAMES.children(sha, store) == [c["sha256"] for c in chunks]
    assert np.array_equal(decode_chunk(encode_chunk(np.stack(frames), RAW), RAW, 5, 180, 320), np.stack(frames))


def test_a_chunk_codec_this_version_does_not_know_is_named(store):
    with pytest.raises(ValueError, match="unknown frame chunk codec 'brotli'"):
        decode_chunk(b"", "brotli", 1, 1, 1)


def test_frames_that_are_a_transposed_view_round_trip():
    """A video model's frames can be a view in another memory order (channels-first, transposed)."""
    rng = np.random.default_rng(3)
    channels_first = rng.integers(0, 256, size=(3, 3, 16, 24), dtype=np.uint8)
    frames = channels_first.transpose(0, 2, 3, 1)           # N x H x W x 3, not C-contiguous
    assert not frames.flags.c_contiguous
    data = encode_chunk(frames, ZSTD_GRADIENT)
    assert np.array_equal(decode_chunk(data, ZSTD_GRADIENT, 3, 16, 24), frames)
