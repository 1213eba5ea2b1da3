"""Directing controls on real photographs: masks, in-painting, the motion brush, temporal refinement.

Motion is checked with optical flow measured independently (OpenCV DIS at full resolution), and
refinement with quality.temporal's own metrics, on small frames so the file runs in a minute or two.
The `diffusion` harness and the tiny models are conftest's, shared with test_diffusion.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from reelgraph.nodes import NodeError
from reelgraph.nodes.directing.brush_path import Stroke, StrokeMotion, frame_time
from reelgraph.nodes.directing.masks import MaskDraw
from reelgraph.nodes.directing.shapes import Ellipse, hard_mask, shapes_mask
from reelgraph.nodes.directing.stabilize import camera_path, smooth_path
from reelgraph.nodes.quality.metrics import TemporalMeter

ASTRONAUT = Image.fromarray(data.astronaut()).resize((128, 128), Image.Resampling.LANCZOS)
HOLE = [{"shape": "ellipse", "box": [0.35, 0.3, 0.7, 0.6], "units": "fraction"}]
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def temporal(frames) -> TemporalMeter:
    meter = TemporalMeter(max_side=256)
    for frame in frames:
        meter.add(frame)
    return meter


def psnr(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    mse = np.mean([np.mean((x.astype(float) - y) ** 2) for x, y in zip(a, b, strict=True)])
    return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


# --- masks ---------------------------------------------------------------------------------------

def test_a_feathered_mask_is_exactly_zero_beyond_half_the_feather(harness):
    mask = np.asarray(harness.run("mask.draw", {"shapes": [{"shape": "rectangle", "box": [20, 20, 60, 50]}],
                                               "width": 80, "height": 64, "feather": 8})["mask"])
    assert mask.shape == (64, 80)
    assert mask[35, 40] == 255 and mask[0, 0] == 0
    assert mask[35, 20] > 0 and mask[35, 20] < 255  # on the edge: partly selected
    assert (mask[:, :15] == 0).all() and (mask[:, 65:] == 0).all()  # more than 4 px outside
    assert (mask[24:46, 24:56] == 255).all()  # more than 4 px inside


def test_fractions_and_pixels_draw_the_same_mask_and_subtract_cuts(harness):
    in_pixels = harness.run("mask.draw", {"shapes": [{"shape": "ellipse", "box": [16, 8, 48, 40]},
                                                     {"shape": "rectangle", "box": [16, 8, 32, 40], "subtract": True}],
                                          "width": 64, "height": 48})["mask"]
    in_fractions = harness.run("mask.draw", {"shapes": [
        {"shape": "ellipse", "box": [0.25, 1 / 6, 0.75, 5 / 6], "units": "fraction"},
        {"shape": "rectangle", "box": [0.25, 1 / 6, 0.5, 5 / 6], "units": "fraction", "subtract": True}],
        "width": 64, "height": 48})["mask"]
    np.testing.assert_array_equal(np.asarray(in_pixels), np.asarray(in_fractions))
    assert np.asarray(in_pixels)[24, 40] == 255 and np.asarray(in_pixels)[24, 24] == 0


def test_mask_from_an_alpha_png_file(harness):
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[8:24, 8:24, 3] = 255
    Image.fromarray(rgba, "RGBA").save(harness.workspace.root / "cutout.png")
    mask = np.asarray(harness.run("mask.from_image", {"path": "cutout.png", "threshold": 0.5})["mask"])
    assert mask[16, 16] == 255 and mask[0, 0] == 0 and mask.sum() == 16 * 16 * 255
    with pytest.raises(NodeError) as error:
        harness.run("mask.from_image", {"path": "cutout.png", "feather": 4})
    assert error.value.param == "feather"


# --- image.inpaint -------------------------------------------------------------------------------

def changed_pixels(before: Image.Image, after: Image.Image) -> np.ndarray:
    return (np.asarray(before) != np.asarray(after)).any(-1)


def assert_outside_untouched_inside_changed(before, after, feather):
    mask = shapes_mask(MaskDraw.Params(shapes=HOLE).shapes, before.width, before.height, feather)
    changed = changed_pixels(before, after)
    assert not changed[mask == 0].any(), "a pixel outside the feathered mask changed"
    assert changed[mask == 1].mean() > 0.9, "the masked region was not repainted"


def test_fill_keeps_every_pixel_outside_the_feathered_mask(harness):
    for algorithm in ("telea", "navier-stokes"):
        after = harness.run("image.inpaint", {"method": "fill", "fill_algorithm": algorithm, "shapes": HOLE,
                                              "feather": 8}, image=ASTRONAUT)["image"]
        assert_outside_untouched_inside_changed(ASTRONAUT, after, 8)


@pytest.mark.parametrize("model", ["models/tiny-sd-inpaint", "models/tiny-sd"])
def test_a_model_repaints_inside_and_keeps_every_pixel_outside(diffusion, model):
    after = diffusion.run("image.inpaint", {"method": "model", "model": model, "prompt": "a red helmet",
                                            "steps": 2, "resolution": 64, "shapes": HOLE, "feather": 6},
                          image=ASTRONAUT)["image"]
    assert after.size == ASTRONAUT.size
    assert_outside_untouched_inside_changed(ASTRONAUT, after, 6)


def test_a_mask_of_the_wrong_size_names_the_port_and_the_size(harness):
    mask = harness.run("mask.draw", {"shapes": HOLE, "width": 64, "height": 64})["mask"]
    with pytest.raises(NodeError) as error:
        harness.run("image.inpaint", {"method": "fill"}, image=ASTRONAUT, mask=mask)
    assert error.value.port == "mask" and "128x128" in error.value.hint


# --- motion.brush --------------------------------------------------------------------------------

STILL = Image.fromarray(data.astronaut()).resize((256, 256), Image.Resampling.LANCZOS)
REGION = [{"shape": "ellipse", "box": [60, 40, 140, 120]}]


def dis_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.cvtColor(b, cv2.COLOR_RGB2GRAY), None)


def region_at(hard: np.ndarray, offset: np.ndarray) -> np.ndarray:
    shift = np.float32([[1, 0, offset[0]], [0, 1, offset[1]]])
    return cv2.warpAffine(hard, shift, hard.shape[::-1], flags=cv2.INTER_NEAREST)


def test_the_brushed_region_follows_its_path_and_the_rest_holds_still(harness):
    stroke = {"region": REGION, "path": [[0, 0], [30, 20], [60, 10]], "easing": "ease-in-out", "feather": 6}
    frames = list(harness.run("motion.brush", {"strokes": [stroke], "seconds": 1, "fps": 16},
                              image=STILL)["frames"])
    assert len(frames) == 16
    np.testing.assert_array_equal(frames[0], np.asarray(STILL))  # the clip starts on the still
    motion = StrokeMotion(Stroke(**stroke), 256, 256)
    hard = hard_mask([Ellipse(box=(60, 40, 140, 120))], 256, 256)
    times = [frame_time(index, len(frames)) for index in range(len(frames))]
    swept = np.zeros_like(hard)
    for time in times:
        swept |= region_at(hard, motion.offset(time))
    # Away from the feather: 24 px beyond anywhere the region (or the hole it left) has been.
    outside = cv2.dilate(swept, np.ones((49, 49), np.uint8)) == 0
    assert outside.mean() > 0.3
    for index in range(len(frames) - 1):
        flow = dis_flow(frames[index], frames[index + 1])
        expected = motion.offset(times[index + 1]) - motion.offset(times[index])
        inside = cv2.erode(region_at(hard, motion.offset(times[index])), np.ones((17, 17), np.uint8)) > 0
        measured = np.median(flow[inside], axis=0)
        assert np.linalg.norm(measured - expected) < 0.5, (index, measured, expected)
        assert np.linalg.norm(flow[outside], axis=1).mean() < 0.1
        np.testing.assert_array_equal(frames[index][outside], np.asarray(STILL)[outside])


def test_rotation_and_scale_turn_and_grow_the_region(harness):
    stroke = {"region": [{"shape": "rectangle", "box": [100, 100, 160, 140]}], "path": [[0, 0]], "rotate": 90,
              "scale": 1.5, "feather": 0, "easing": "linear"}
    frames = list(harness.run("motion.brush", {"strokes": [stroke], "seconds": 0.5, "fps": 4}, image=STILL)["frames"])
    # The region's patch at the end is the still's patch turned a quarter and 1.5 times larger.
    patch = np.asarray(STILL)[110:130, 120:140]
    turned = cv2.resize(np.rot90(patch), None, fx=1.5, fy=1.5, interpolation=cv2.INTER_LINEAR)
    centre = frames[-1][120 - 15:120 + 15, 130 - 15:130 + 15]
    assert np.abs(centre.astype(float) - turned).mean() < 12


def test_brush_errors_name_the_param(harness):
    with pytest.raises(NodeError) as error:
        harness.run("motion.brush", {"strokes": []}, image=STILL)
    assert error.value.param == "strokes"
    with pytest.raises(NodeError) as error:
        harness.run("motion.brush", {"strokes": [{"region": REGION, "path": [[0, 0], [300, 0]]}]}, image=STILL)
    assert error.value.param == "strokes[0].path[1]"
    wrong = harness.run("mask.draw", {"shapes": REGION, "width": 64, "height": 64})["mask"]
    with pytest.raises(NodeError) as error:
        harness.run("motion.brush", {"strokes": [{"path": [[0, 0], [10, 0]]}]}, image=STILL, mask=wrong)
    assert error.value.port == "mask"


# --- frames.refine -------------------------------------------------------------------------------

def clean_clip(harness, seconds=2.0, fps=12, size=(192, 128)):
    return harness.run("camera.move", {"path": [{"zoom": 1.1, "pan": [-0.03, 0]}, {"zoom": 1.1, "pan": [0.03, 0]}],
                                       "seconds": seconds, "fps": fps, "width": size[0], "height": size[1],
                                       "easing": "linear"}, images=[Image.fromarray(data.coffee())])["frames"]


def test_deflicker_cuts_flicker_5x_and_warp_error_2x(harness):
    flickering = harness.run("frames.perturb", {"flicker": 0.08, "shake": 2, "seed": 1},
                             frames=clean_clip(harness))["frames"]
    refined = harness.run("frames.refine", {"mode": "deflicker"}, frames=flickering)
    before, after = temporal(flickering), temporal(refined["frames"])
    assert refined["frames"].count == flickering.count
    assert before.flicker / after.flicker >= 5, (before.flicker, after.flicker)
    assert before.warp.mean / after.warp.mean >= 2, (before.warp.mean, after.warp.mean)
    assert any(event.message == "deflickering" for event in harness.events)


@pytest.mark.parametrize("mode", ["deflicker", "stabilize"])
def test_refining_a_clean_clip_does_no_harm(harness, mode):
    clean = clean_clip(harness)
    refined = list(harness.run("frames.refine", {"mode": mode}, frames=clean)["frames"])
    assert psnr(refined, list(clean)) > 40


def test_stabilize_removes_shake_and_keeps_the_pan(harness):
    clean = clean_clip(harness)
    shaky = harness.run("frames.perturb", {"flicker": 0, "shake": 3, "seed": 2}, frames=clean)["frames"]
    steady = list(harness.run("frames.refine", {"mode": "stabilize"}, frames=shaky)["frames"])

    def shake(frames):
        path = camera_path(frames, 192, 128)
        return float(np.std(path[:, :2] - smooth_path(path, 6)[:, :2])), path[-1, 0] - path[0, 0]

    (shake_before, _), (shake_after, pan_after) = shake(list(shaky)), shake(steady)
    assert shake_after < shake_before / 5, (shake_before, shake_after)
    assert abs(pan_after - shake(list(clean))[1]) < 3  # the intended pan survives


def test_diffusion_with_warped_noise_is_steadier_than_independent_noise(diffusion):
    clip = clean_clip(diffusion, seconds=1.0, fps=6, size=(64, 48))
    settings = {"mode": "diffusion", "model": "models/tiny-sd", "prompt": "coffee", "steps": 2, "strength": 0.5,
                "guidance": 1.0, "seed": 3}
    warped = temporal(diffusion.run("frames.refine", {**settings, "noise": "warped"}, frames=clip)["frames"])
    independent = temporal(diffusion.run("frames.refine", {**settings, "noise": "independent"},
                                         frames=clip)["frames"])
    assert warped.warp.mean < independent.warp.mean, (warped.warp.mean, independent.warp.mean)


def test_a_refine_mask_keeps_the_rest_of_every_frame(harness):
    flickering = harness.run("frames.perturb", {"flicker": 0.1, "shake": 0, "seed": 1},
                             frames=clean_clip(harness, seconds=0.5))["frames"]
    shapes = [{"shape": "rectangle", "box": [0, 0, 0.5, 1], "units": "fraction"}]
    refined = list(harness.run("frames.refine", {"mode": "deflicker", "shapes": shapes, "feather": 4},
                               frames=flickering)["frames"])
    for original, changed in zip(flickering, refined):
        np.testing.assert_array_equal(original[:, 100:], changed[:, 100:])


def test_a_motion_mask_holds_video_generate_still_outside_it(diffusion):
    still = Image.fromarray(data.chelsea()).resize((64, 64), Image.Resampling.LANCZOS)
    mask = diffusion.run("mask.draw", {"shapes": [{"shape": "rectangle", "box": [0, 0, 32, 64]}], "feather": 8,
                                       "width": 64, "height": 64})["mask"]
    params = {"model": "models/tiny-svd", "frames": 3, "fps": 6, "steps": 2, "seed": 1}
    frames = list(diffusion.run("video.generate", params, image=still, mask=mask)["frames"])
    outside = np.asarray(mask) == 0
    assert outside[:, 40:].all() and not outside[:, :28].any()
    for frame in frames:
        np.testing.assert_array_equal(frame[outside], np.asarray(still)[outside])
        assert (frame[:, :28] != np.asarray(still)[:, :28]).any()


@pytest.mark.parametrize("mode", ["deflicker", "stabilize"])
def test_refine_streams_one_input_frame_per_output_frame(harness, mode):
    clip = list(clean_clip(harness, seconds=1.0))
    pulled = []

    def source():
        for index, frame in enumerate(clip):
            pulled.append(index)
            yield frame

    from reelgraph.nodes.directing.refine import FramesRefine
    from reelgraph.nodes.values import Frames

    frames = Frames(fps=12, width=192, height=128, source=source, count=len(clip))
    refined = FramesRefine().run(harness.context(), FramesRefine.Params(mode=mode), frames=frames)["frames"]
    pulled.clear()  # stabilize reads the clip once to measure the shake, holding only numbers
    for index, _ in enumerate(refined):
        assert len(pulled) == index + 1  # never reads ahead, so never holds the clip


def test_inpaint_takes_text_encode_embeddings_and_refine_refuses_an_inpainting_model(diffusion):
    embeddings = diffusion.run("text.encode", {"model": "models/tiny-sd-inpaint", "prompt": "a helmet"})["embeddings"]
    after = diffusion.run("image.inpaint", {"method": "model", "model": "models/tiny-sd-inpaint", "steps": 2,
                                            "resolution": 64, "shapes": HOLE}, image=ASTRONAUT,
                          embeddings=embeddings)["image"]
    assert_outside_untouched_inside_changed(ASTRONAUT, after, 8)
    with pytest.raises(NodeError) as error:
        diffusion.run("frames.refine", {"mode": "diffusion", "model": "models/tiny-sd-inpaint", "steps": 4},
                      frames=clean_clip(diffusion, seconds=0.25, size=(64, 64)))
    assert error.value.param == "model" and "in-painting" in error.value.message


def test_inpaint_and_refine_use_the_weights_keyframe_generate_loaded(diffusion):
    """One load per model per process: in-painting and image-to-image are views of the resident
    text-to-image pipeline (from_pipe), not loads of their own."""
    tiny = {"model": "models/tiny-sd", "prompt": "coffee", "steps": 2}
    diffusion.run("keyframe.generate", {**tiny, "width": 64, "height": 64})
    diffusion.run("image.inpaint", {**tiny, "method": "model", "resolution": 64, "shapes": HOLE}, image=ASTRONAUT)
    diffusion.run("frames.refine", {**tiny, "mode": "diffusion", "strength": 0.5},
                  frames=clean_clip(diffusion, seconds=0.25, size=(64, 48)))
    assert diffusion.models.loads == 1
    [key] = diffusion.models._models
    assert key.role == "text_to_image"
