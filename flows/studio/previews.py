"""Thumbnails of artifacts for the editor: an image, the first image of a list, the first frame
of a frame sequence, a poster frame of a video. Written once per (artifact, width) into a cache
folder: an artifact never changes, so neither does its preview."""
from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from reelgraph.nodes.ports import PortKind, decode_value
from reelgraph.storage import ArtifactStore
from reelgraph.storage.records import ArtifactInfo


class NoPreview(Exception):
    pass


def _first_image(store: ArtifactStore, artifact: ArtifactInfo) -> Image.Image:
    kind = artifact.kind
    if kind == "image" or artifact.mime.startswith("image/"):
        return Image.open(store.local_path(artifact.sha256))
    if kind == "images":
        first = json.loads(store.read_bytes(artifact.sha256))["images"]
        if not first:
            raise NoPreview("the image list is empty")
        return Image.open(store.local_path(first[0]))
    if kind == "frames":
        # Through the frames codec: chunks may be compressed (zstd-gradient) or raw (older runs).
        frames = decode_value(PortKind.FRAMES, PortKind.FRAMES, artifact.sha256,
                              {**artifact.meta, "mime": artifact.mime}, store)
        first = next(iter(frames), None)
        if first is None:
            raise NoPreview("the frame sequence is empty")
        return Image.fromarray(first, "RGB")
    if kind == "video" or artifact.mime.startswith("video/"):
        poster = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(store.local_path(artifact.sha256)), "-frames:v", "1",
             "-f", "image2pipe", "-vcodec", "png", "-"], capture_output=True, timeout=60)
        if poster.returncode != 0 or not poster.stdout:
            raise NoPreview(f"ffmpeg could not read a frame: {poster.stderr.decode(errors='replace')[-300:]}")
        return Image.open(io.BytesIO(poster.stdout))
    raise NoPreview(f"a {kind} artifact has no picture to preview")


def _eight_bit_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit: scale, do not clip (PITFALLS)
        array = np.asarray(image, dtype=np.float64)
        image = Image.fromarray((array * 255.0 / max(float(array.max()), 1.0)).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def preview_path(store: ArtifactStore, artifact: ArtifactInfo, width: int, cache_dir: Path) -> Path:
    target = cache_dir / artifact.sha256[:2] / f"{artifact.sha256}-{width}.jpg"
    if target.exists():
        return target
    image = _eight_bit_rgb(_first_image(store, artifact))
    image.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".{id(image)}.tmp")
    image.save(temporary, "JPEG", quality=85)
    temporary.replace(target)
    return target
