"""Previews of artifacts the editor shows: the first frame of a frame sequence, a video's poster,
16-bit images scaled (not clipped), cached per width."""
from __future__ import annotations

import subprocess

import numpy as np
from PIL import Image

from reelgraph.flows.studio.previews import preview_path
from reelgraph.nodes import PortKind
from reelgraph.nodes.ports import encode_value
from reelgraph.nodes.values import Frames
from reelgraph.storage import open_store
from reelgraph.storage.records import ArtifactInfo


def _artifact(sha: str, kind: str, mime: str) -> ArtifactInfo:
    return ArtifactInfo(sha256=sha, kind=kind, mime=mime, size=0, uri="")


def test_a_frame_sequence_previews_as_its_first_frame(tmp_path):
    store = open_store(tmp_path / "store")
    red, blue = np.zeros((40, 80, 3), np.uint8), np.zeros((40, 80, 3), np.uint8)
    red[..., 0], blue[..., 2] = 255, 255
    encoded = encode_value(PortKind.FRAMES, Frames.from_arrays([red, blue], fps=2), store)
    path = preview_path(store, _artifact(encoded.sha256, "frames", encoded.mime), 32, tmp_path / "previews")
    with Image.open(path) as image:
        assert image.size == (32, 16)
        r, g, b = image.convert("RGB").getpixel((16, 8))
        assert r > 200 and b < 60
    assert preview_path(store, _artifact(encoded.sha256, "frames", encoded.mime), 32, tmp_path / "previews") == path


def test_a_video_previews_as_a_poster_frame(tmp_path):
    store = open_store(tmp_path / "store")
    video = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=green:s=96x64:d=1", "-pix_fmt", "yuv420p",
                    "-c:v", "libx264", str(video)], check=True)
    sha = store.put_file(video)
    path = preview_path(store, _artifact(sha, "video", "video/mp4"), 48, tmp_path / "previews")
    with Image.open(path) as image:
        assert image.size == (48, 32)
        r, g, b = image.convert("RGB").getpixel((24, 16))
        assert g > 100 and r < 60 and b < 60


def test_a_16_bit_image_is_scaled_not_clipped(tmp_path):
    store = open_store(tmp_path / "store")
    source = tmp_path / "depth.png"
    Image.fromarray(np.full((8, 8), 30000, np.uint16)).save(source)
    sha = store.put_file(source)
    path = preview_path(store, _artifact(sha, "image", "image/png"), 16, tmp_path / "previews")
    with Image.open(path) as image:
        assert image.convert("L").getpixel((4, 4)) > 200  # the brightest value maps to white, not 255-clipped noise
