"""Codecs: how a port kind's value becomes an artifact and back (which kind uses which codec, with
which MIME type, is in `nodes.ports.PORT_KINDS`).

An artifact is the sha256 of its bytes plus metadata. Composite values (a list of images, a frame
sequence) are stored as a small JSON manifest that lists the blobs it is made of; the manifest's
hash is the artifact's hash, so equal contents give equal hashes on every machine.
"""
from __future__ import annotations

import io
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reelgraph.nodes.context import BlobStore
from reelgraph.nodes.frame_chunks import DEFAULT_CHUNK_CODEC, RAW, decode_chunk, encode_chunk
from reelgraph.nodes.hashing import canonical_json
from reelgraph.nodes.values import Frames, MediaFile, Subtitles

# Frames are grouped into chunks of about this many bytes: large enough to amortise the store's
# per-blob cost, small enough that a reader holds one chunk at a time.
FRAME_CHUNK_BYTES = 32 * 1024**2


@dataclass(frozen=True)
class Encoded:
    sha256: str
    size: int
    mime: str
    meta: dict = field(default_factory=dict)


class Codec(ABC):
    def __init__(self, mime: str) -> None:
        self.mime = mime  # the artifact's MIME type, from the port kind's spec

    @abstractmethod
    def encode(self, value: Any, store: BlobStore) -> Encoded: ...

    @abstractmethod
    def decode(self, sha256: str, meta: dict, store: BlobStore) -> Any: ...

    def children(self, sha256: str, store: BlobStore) -> list[str]:
        """The blobs a manifest artifact lists (none for single-blob kinds)."""
        return []


class TextCodec(Codec):
    def encode(self, value: str, store: BlobStore) -> Encoded:
        if not isinstance(value, str):
            raise TypeError(f"a text port needs a str, got {type(value).__name__}")
        data = value.encode()
        return Encoded(store.put_bytes(data), len(data), self.mime, {"chars": len(value)})

    def decode(self, sha256: str, meta: dict, store: BlobStore) -> str:
        return store.read_bytes(sha256).decode()


class JsonCodec(Codec):
    def encode(self, value: Any, store: BlobStore) -> Encoded:
        data = canonical_json(value)
        return Encoded(store.put_bytes(data), len(data), self.mime)

    def decode(self, sha256: str, meta: dict, store: BlobStore) -> Any:
        return json.loads(store.read_bytes(sha256))


class EmbeddingCodec(Codec):
    def encode(self, value: dict, store: BlobStore) -> Encoded:
        from safetensors.torch import save

        data = save({name: tensor.contiguous() for name, tensor in sorted(value.items())})
        shapes = {name: list(tensor.shape) for name, tensor in value.items()}
        return Encoded(store.put_bytes(data), len(data), self.mime, {"shapes": shapes})

    def decode(self, sha256: str, meta: dict, store: BlobStore) -> dict:
        from safetensors.torch import load

        return load(store.read_bytes(sha256))


def _png_bytes(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _png_image(data: bytes) -> Any:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image


class ImageCodec(Codec):
    def encode(self, value: Any, store: BlobStore) -> Encoded:
        data = _png_bytes(value)
        meta = {"width": value.width, "height": value.height, "mode": value.mode}
        return Encoded(store.put_bytes(data), len(data), self.mime, meta)

    def decode(self, sha256: str, meta: dict, store: BlobStore) -> Any:
        return _png_image(store.read_bytes(sha256))


class ImagesCodec(Codec):
    def encode(self, value: list, store: BlobStore) -> Encoded:
        if isinstance(value, list) is False or not value:
            raise TypeError("an images port needs a non-empty list of images")
        shas = [store.put_bytes(_png_bytes(image)) for image in value]
        manifest = canonical_json({"images": shas})
        meta = {"count": len(shas), "width": value[0].width, "height": value[0].height}
        return Encoded(store.put_bytes(manifest), len(manifest), self.mime, meta)

    def decode(self, sha256: str, meta: dict, store: BlobStore) -> list:
        return [_png_image(store.read_bytes(sha)) for sha in self.children(sha256, store)]

    def children(self, sha256: str, store: BlobStore) -> list[str]:
        return json.loads(store.read_bytes(sha256))["images"]


class FramesCodec(Codec):
    """A manifest listing chunks of frames, each compressed losslessly (nodes/frame_chunks.py; the
    manifest's "codec" names how, and manifests without one hold raw RGB chunks). A worker thread
    compresses and stores one chunk while the next is produced, and reading prefetches one chunk
    ahead, so on two or more cores the codec costs little wall time; at most two chunks are in
    memory either way."""

    def encode(self, value: Frames, store: BlobStore) -> Encoded:
        frame_bytes = max(1, value.width * value.height * 3)
        chunk_frames = max(1, FRAME_CHUNK_BYTES // frame_bytes)
        chunks, count, codec = [], 0, DEFAULT_CHUNK_CODEC

        def store_chunk(array: np.ndarray) -> dict:
            return {"sha256": store.put_bytes(encode_chunk(array, codec)), "frames": len(array)}

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="frames-encode") as pool:
            pending = None
            for chunk in value.chunks(chunk_frames):
                for frame in chunk:
                    if frame.shape != (value.height, value.width, 3) or frame.dtype != np.uint8:
                        raise ValueError(f"frame {count} has shape {frame.shape} {frame.dtype}, expected "
                                         f"({value.height}, {value.width}, 3) uint8")
                    count += 1
                array = np.stack(chunk)
                if pending is not None:
                    chunks.append(pending.result())
                pending = pool.submit(store_chunk, array)
            if pending is not None:
                chunks.append(pending.result())
        if count == 0:
            raise ValueError("a frame sequence needs at least one frame")
        manifest = {"fps": value.fps, "width": value.width, "height": value.height,
                    "count": count, "codec": codec, "chunks": chunks}
        data = canonical_json(manifest)
        meta = {"fps": value.fps, "width": value.width, "height": value.height, "count": count,
                "duration": count / value.fps}
        return Encoded(store.put_bytes(data), len(data), self.mime, meta)

    def decode(self, sha256: str, meta: dict, store: BlobStore) -> Frames:
        manifest = json.loads(store.read_bytes(sha256))
        width, height = manifest["width"], manifest["height"]
        codec, listed = manifest.get("codec", RAW), manifest["chunks"]

        def load(chunk: dict) -> np.ndarray:
            return decode_chunk(store.read_bytes(chunk["sha256"]), codec, chunk["frames"], height, width)

        def read() -> Iterator[np.ndarray]:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="frames-decode") as pool:
                upcoming = pool.submit(load, listed[0]) if listed else None
                for index in range(len(listed)):
                    current = upcoming.result()
                    upcoming = pool.submit(load, listed[index + 1]) if index + 1 < len(listed) else None
                    yield from current

        return Frames(fps=manifest["fps"], width=width, height=height, source=read, count=manifest["count"])

    def children(self, sha256: str, store: BlobStore) -> list[str]:
        return [chunk["sha256"] for chunk in json.loads(store.read_bytes(sha256))["chunks"]]


class MediaFileCodec(Codec):
    def encode(self, value: MediaFile, store: BlobStore) -> Encoded:
        size = value.path.stat().st_size
        return Encoded(store.put_file(value.path), size, value.mime, dict(value.meta))

    def decode(self, sha256: str, meta: dict, store: BlobStore) -> MediaFile:
        return MediaFile(path=store.local_path(sha256), mime=meta.get("mime", self.mime), meta=dict(meta))


class SubtitlesCodec(Codec):
    def encode(self, value: Subtitles, store: BlobStore) -> Encoded:
        data = canonical_json(value.to_json())
        meta = {"language": value.language, "cues": len(value.cues)}
        return Encoded(store.put_bytes(data), len(data), self.mime, meta)

    def decode(self, sha256: str, meta: dict, store: BlobStore) -> Subtitles:
        return Subtitles.from_json(json.loads(store.read_bytes(sha256)))

