"""image.load reads every image mode correctly or refuses it, and refuses files past the pixel caps
before decoding them: no silently wrong pixels, no raw Pillow exception."""
from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelgraph.nodes import NodeError
from tests.conftest import reelgraph_cli


def pixels(result) -> np.ndarray:
    image = result["image"]
    assert image.mode == "RGB"
    return np.asarray(image).astype(int)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def grey_png(path: Path, width: int, height: int, *, rows: int | None = None) -> Path:
    """A valid 8-bit grey PNG of zeros built row by row (a 12,000 x 12,000 one is ~140 KB), or,
    with `rows`, one whose header declares the size but whose data stops early."""
    compressor, row, data = zlib.compressobj(9), b"\0" * (width + 1), []
    for _ in range(height if rows is None else rows):
        data.append(compressor.compress(row))
    data.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", b"".join(data))
                     + png_chunk(b"IEND", b""))
    return path


def test_a_16_bit_grey_png_is_scaled_not_clipped(harness):
    samples = np.linspace(0, 65535, 64 * 8).astype(np.uint16).reshape(8, 64)
    Image.fromarray(samples).save(harness.workspace.root / "grey16.png")  # mode I;16
    loaded = pixels(harness.run("image.load", {"paths": ["grey16.png"]}))
    expected = np.rint(samples / 257.0)
    assert np.abs(loaded[..., 0] - expected).max() <= 1  # v1 gave 255 for every sample above 255
    assert (loaded[..., 0] == loaded[..., 2]).all()


def test_a_16_bit_rgb_png_keeps_its_colours(harness):
    import cv2

    bgr = np.zeros((4, 4, 3), np.uint16)
    bgr[..., 0], bgr[..., 1], bgr[..., 2] = 2570, 32896, 65535  # written as B, G, R
    cv2.imwrite(str(harness.workspace.root / "rgb16.png"), bgr)
    assert tuple(pixels(harness.run("image.load", {"paths": ["rgb16.png"]}))[0, 0]) == (255, 128, 10)


def test_a_float_tiff_in_0_to_1_is_scaled(harness):
    samples = np.linspace(0, 1, 32 * 4, dtype=np.float32).reshape(4, 32)
    Image.fromarray(samples).save(harness.workspace.root / "float.tif")  # mode F
    loaded = pixels(harness.run("image.load", {"paths": ["float.tif"]}))
    assert np.abs(loaded[..., 1] - np.rint(samples * 255)).max() <= 1  # v1: 0 or 1, i.e. black


def test_a_float_tiff_outside_0_to_1_is_refused(harness):
    Image.fromarray(np.full((4, 4), 7.5, np.float32)).save(harness.workspace.root / "hdr.tif")
    with pytest.raises(NodeError) as caught:
        harness.run("image.load", {"paths": ["hdr.tif"]})
    assert caught.value.param == "paths[0]" and "hdr.tif" in str(caught.value) and "7.5" in str(caught.value)


def test_a_palette_image_with_transparency_shows_the_background(harness):
    palette = Image.new("P", (4, 4), 0)
    palette.putpalette([255, 0, 255, 0, 128, 0] + [0] * 762)  # index 0: magenta, transparent
    palette.putpixel((1, 1), 1)
    palette.save(harness.workspace.root / "logo.png", transparency=0)
    white = pixels(harness.run("image.load", {"paths": ["logo.png"]}))
    assert tuple(white[0, 0]) == (255, 255, 255) and tuple(white[1, 1]) == (0, 128, 0)  # v1: magenta
    black = pixels(harness.run("image.load", {"paths": ["logo.png"], "background": "#000000"}))
    assert tuple(black[0, 0]) == (0, 0, 0)


def test_half_transparent_rgba_is_composited(harness):
    Image.new("RGBA", (2, 2), (200, 0, 0, 128)).save(harness.workspace.root / "half.png")
    assert tuple(pixels(harness.run("image.load", {"paths": ["half.png"], "background": "#000000"}))[0, 0]) \
        == (100, 0, 0)  # v1 dropped alpha: (200, 0, 0)


def test_cmyk_is_converted_with_the_multiplicative_formula(harness):
    Image.new("CMYK", (2, 2), (128, 0, 0, 128)).save(harness.workspace.root / "print.tif")
    assert tuple(pixels(harness.run("image.load", {"paths": ["print.tif"]}))[0, 0]) == (63, 127, 127)


def test_the_exif_orientation_is_applied(harness):
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 10, 20))  # red on the left as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display", what a phone writes for a portrait shot
    image.save(harness.workspace.root / "phone.jpg", exif=exif, quality=95)
    loaded = pixels(harness.run("image.load", {"paths": ["phone.jpg"]}))
    assert loaded.shape == (40, 20, 3)  # portrait, as displayed; v1 gave 20 x 40
    assert loaded[2, 10, 0] > 200 and loaded[38, 10, 2] > 200  # red on top, blue below


def test_32_bit_integer_samples_are_refused_with_what_to_do(harness):
    Image.fromarray(np.full((4, 4), 70000, np.int32)).save(harness.workspace.root / "depth.tif")
    with pytest.raises(NodeError, match="32-bit integer samples.*export it as an 8- or 16-bit"):
        harness.run("image.load", {"paths": ["depth.tif"]})


def test_an_image_past_the_per_image_cap_is_refused_before_decoding(harness):
    grey_png(harness.workspace.root / "huge.png", 12_000, 12_000, rows=3)  # valid header, data cut short
    with pytest.raises(NodeError) as caught:
        harness.run("image.load", {"paths": ["huge.png"]})
    message = str(caught.value)
    assert caught.value.param == "paths[0]" and caught.value.code == "image_too_large"
    assert "12,000 x 12,000 = 144,000,000 pixels" in message and "REELGRAPH_MAX_IMAGE_PIXELS" in message


def test_the_per_image_cap_is_a_setting(harness, monkeypatch):
    grey_png(harness.workspace.root / "small.png", 40, 30)
    monkeypatch.setenv("REELGRAPH_MAX_IMAGE_PIXELS", "1000")
    with pytest.raises(NodeError, match="1,200 pixels, more than the 1,000 allowed per image"):
        harness.run("image.load", {"paths": ["small.png"]})
    monkeypatch.setenv("REELGRAPH_MAX_IMAGE_PIXELS", "1200")
    assert pixels(harness.run("image.load", {"paths": ["small.png"]})).shape == (30, 40, 3)


def test_the_images_of_one_node_share_a_cap(harness, monkeypatch):
    for name in ("a.png", "b.png", "c.png"):
        grey_png(harness.workspace.root / name, 40, 30)
    monkeypatch.setenv("REELGRAPH_MAX_NODE_PIXELS", "3000")
    with pytest.raises(NodeError) as caught:
        harness.run("image.load", {"paths": ["a.png", "b.png", "c.png"]})
    assert caught.value.param == "paths[2]" and "3,600 pixels" in str(caught.value)
    assert "REELGRAPH_MAX_NODE_PIXELS" in str(caught.value)


def test_a_declared_decompression_bomb_names_the_file(harness, monkeypatch):
    monkeypatch.setenv("REELGRAPH_MAX_IMAGE_PIXELS", str(10**12))  # past Pillow's own guard too
    grey_png(harness.workspace.root / "bomb.png", 1_000_000, 1_000_000, rows=1)
    with pytest.raises(NodeError) as caught:
        harness.run("image.load", {"paths": ["bomb.png"]})
    assert caught.value.param == "paths[0]" and "bomb.png" in str(caught.value)


def test_a_truncated_png_fails_the_run_naming_node_param_and_file(tmp_path):
    data = (Path(__file__).parent.parent / "examples" / "assets" / "coffee.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "graph.json").write_text(json.dumps({"reelgraph": 1, "name": "cut", "nodes": {
        "photo": {"type": "image.load", "params": {"paths": ["cut.png"]}}}}))
    result = reelgraph_cli("run", "graph.json", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "photo" in result.stdout and "param 'paths[0]'" in result.stdout
    assert "'cut.png' is damaged or truncated" in result.stdout
