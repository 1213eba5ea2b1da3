"""Reviewing a sweep: image.grid's contact sheet, images.pick / frames.pick, the seed sweep example."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from reelgraph.nodes import NodeError
from reelgraph.nodes.l10n.fonts import FontChooser
from reelgraph.nodes.l10n.text_layout import layout_line
from reelgraph.nodes.values import Frames

COLORS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30), (30, 200, 200)]
BACKGROUND = (32, 32, 32)   # image.grid's default "#202020"
SEEDS = [11, 22, 33, 44]


def solid(color, size=(40, 30)) -> Image.Image:
    return Image.new("RGB", size, color)


def generation(seed: int, prompt: str = "a lighthouse at dusk") -> dict:
    # keyframe.generate's `generation` record, as gathered from one branch
    return {"model": "models/tiny-sd", "steps": 2, "seeds": [seed], "prompt": prompt}


def ink(strip: np.ndarray, background=BACKGROUND) -> np.ndarray:
    """Pixels of a label strip that are not background: where text was drawn."""
    return np.abs(strip.astype(int) - np.array(background)).sum(axis=2) > 60


def label_strip(sheet: Image.Image, cell: dict) -> np.ndarray:
    pixels = np.asarray(sheet)
    return pixels[cell["label_y"]:cell["label_y"] + cell["label_height"], cell["x"]:cell["x"] + cell["width"]]


# --- image.grid ---------------------------------------------------------------------------------

def test_sheet_lays_images_out_in_columns_with_spacing(harness):
    out = harness.run("image.grid", {"columns": 2, "spacing": 4}, images=[solid(c) for c in COLORS])
    sheet, cells = out["image"], out["cells"]
    assert sheet.size == (2 * 40 + 3 * 4, 3 * 30 + 4 * 4)   # 5 images in 2 columns: 3 rows, no labels
    assert [(cell["x"], cell["y"]) for cell in cells] == [(4, 4), (48, 4), (4, 38), (48, 38), (4, 72)]
    pixels = np.asarray(sheet)
    for cell, color in zip(cells, COLORS):
        assert tuple(pixels[cell["y"] + 15, cell["x"] + 20]) == color
    assert tuple(pixels[1, 1]) == BACKGROUND and tuple(pixels[80, 70]) == BACKGROUND   # margin, empty slot


def test_labels_from_generation_records_show_seed_and_prompt(harness):
    images = [solid(c, (160, 120)) for c in COLORS[:4]]
    out = harness.run("image.grid", {"columns": 4}, images=images, labels=[generation(s) for s in SEEDS])
    sheet, cells = out["image"], out["cells"]
    assert [cell["label"] for cell in cells] == [f"seed {s}\na lighthouse at dusk" for s in SEEDS]
    assert sheet.height == 8 + 120 + cells[0]["label_height"] + 8 and cells[0]["label_height"] > 2 * 16
    strips = [label_strip(sheet, cell) for cell in cells]
    for strip in strips:
        assert ink(strip).sum() > 200                   # the label is drawn...
        assert not ink(strip)[:, :2].any()              # ...inside its cell, not over the edge
    assert not np.array_equal(strips[0], strips[1])     # and each says its own seed


def test_label_text_is_as_wide_as_its_shaped_text(harness):
    # Readable without OCR: the ink of "seed 22" spans the measured width of the line at that size.
    out = harness.run("image.grid", {"label_size": 24}, images=[solid(COLORS[0], (300, 60))],
                      labels=[{"seeds": [22]}])
    mask = ink(label_strip(out["image"], out["cells"][0]))
    columns = np.flatnonzero(mask.any(axis=0))
    rows = np.flatnonzero(mask.any(axis=1))
    expected = layout_line("seed 22", size=24, fonts=FontChooser(bold=False)).width
    assert abs((columns[-1] - columns[0] + 1) - expected) <= 4
    assert 14 <= rows[-1] - rows[0] + 1 <= 30                # one line of 24 px glyphs
    assert abs((columns[0] + columns[-1]) / 2 - 150) <= 3     # centred under the image


def test_written_labels_come_before_the_gathered_ones_and_long_ones_are_cut(harness):
    long_prompt = "a lighthouse at dusk " * 20
    out = harness.run("image.grid", {"labels": ["keep", "maybe"], "label_lines": 2},
                      images=[solid(c, (120, 80)) for c in COLORS[:2]],
                      labels=[generation(1, long_prompt), generation(2, long_prompt)])
    cells = out["cells"]
    assert cells[0]["label"].startswith("keep\nseed 1\n")
    two_lines = harness.run("image.grid", {"labels": ["keep\nseed 1", "maybe\nseed 2"]},
                            images=[solid(c, (120, 80)) for c in COLORS[:2]])
    assert cells[0]["label_height"] == two_lines["cells"][0]["label_height"]   # cut after label_lines


def test_cell_width_scales_every_image_to_one_size(harness):
    out = harness.run("image.grid", {"cell_width": 80, "spacing": 0, "columns": 2},
                      images=[solid(COLORS[0], (40, 30)), solid(COLORS[1], (160, 120))])
    assert out["image"].size == (160, 60)
    pixels = np.asarray(out["image"])
    assert tuple(pixels[59, 0]) == COLORS[0] and tuple(pixels[59, 159]) == COLORS[1]


def test_light_background_gets_dark_text(harness):
    out = harness.run("image.grid", {"background": "white"}, images=[solid(COLORS[0], (120, 60))],
                      labels=["hello"])
    strip = label_strip(out["image"], out["cells"][0])
    assert strip.min() < 80 and tuple(strip[0, 0]) == (255, 255, 255)


@pytest.mark.parametrize(("params", "inputs", "where"), [
    ({"labels": ["one"]}, {}, "param 'labels'"),
    ({}, {"labels": ["one"]}, "port 'labels'"),
    ({"background": "not-a-colour"}, {}, "param 'background'"),
])
def test_grid_errors_name_what_to_fix(harness, params, inputs, where):
    with pytest.raises(NodeError) as error:
        harness.run("image.grid", params, images=[solid(COLORS[0]), solid(COLORS[1])], **inputs)
    assert str(error.value).startswith(where) and error.value.hint


def test_grid_of_nothing_says_what_to_gather(harness):
    with pytest.raises(NodeError, match="no images") as error:
        harness.run("image.grid", {}, images=[])
    assert error.value.port == "images" and "[seed=*]" in error.value.hint


# --- images.pick / frames.pick ----------------------------------------------------------------------

def branches():
    return [solid(color) for color in COLORS[:4]]


def picked_color(out) -> tuple:
    return out["image"].getpixel((0, 0))


def test_pick_by_index(harness):
    out = harness.run("images.pick", {"index": 2}, images=branches())
    assert picked_color(out) == COLORS[2]
    assert out["picked"] == {"index": 2, "value": None, "variable": None}


def test_pick_without_index_or_value_takes_the_first(harness):
    assert picked_color(harness.run("images.pick", {}, images=branches())) == COLORS[0]


def test_pick_by_matrix_value(harness):
    out = harness.run("images.pick", {"value": 33, "values": SEEDS, "variable": "seed"}, images=branches())
    assert picked_color(out) == COLORS[2]
    assert out["picked"] == {"index": 2, "value": 33, "variable": "seed"}


def test_pick_by_value_matches_a_string_against_numbers(harness):
    # `--set pick.value="44"` or a record id written as text still finds the branch
    out = harness.run("images.pick", {"value": "44", "values": SEEDS}, images=branches())
    assert picked_color(out) == COLORS[3]


def test_frames_pick_returns_the_picked_clip(harness):
    clips = [Frames.from_arrays([np.full((8, 8, 3), value, np.uint8)] * 3, fps=12) for value in (10, 90, 170)]
    out = harness.run("frames.pick", {"value": "b", "values": ["a", "b", "c"], "variable": "take"}, frames=clips)
    frames = list(out["frames"])
    assert len(frames) == 3 and int(frames[0].mean()) == 90
    assert out["picked"]["index"] == 1


@pytest.mark.parametrize(("node_type", "port"), [("images.pick", "images"), ("frames.pick", "frames")])
def test_an_empty_gather_names_each_picks_own_port(harness, node_type, port):
    # the pick nodes share their run; each error must still name the node's own input
    with pytest.raises(NodeError, match="nothing to pick") as error:
        harness.run(node_type, {}, **{port: []})
    assert error.value.port == port and f".{port}" in error.value.hint


@pytest.mark.parametrize(("params", "param", "hint"), [
    ({"index": 4}, "index", "pick 0 to 3"),
    ({"value": 55, "values": SEEDS, "variable": "seed"}, "value", "11, 22, 33, 44"),
    ({"value": 11}, "values", "matrix"),
    ({"value": 11, "values": [11, 22]}, "values", "matrix"),
    ({"index": 1, "value": 22, "values": SEEDS}, "index", "pick.index=null"),
])
def test_bad_pick_names_the_param_and_says_what_to_pick(harness, params, param, hint):
    with pytest.raises(NodeError) as error:
        harness.run("images.pick", params, images=branches())
    assert error.value.param == param and hint in error.value.hint


def test_bad_value_names_the_variable(harness):
    with pytest.raises(NodeError, match="no branch has seed=55"):
        harness.run("images.pick", {"value": 55, "values": SEEDS, "variable": "seed"}, images=branches())

