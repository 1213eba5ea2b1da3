"""camera.move: a known camera path over real photographs gives a known picture, to the pixel."""
from __future__ import annotations

import inspect
from itertools import islice

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError
from skimage import data

from reelgraph.nodes import NodeError
from reelgraph.nodes.motion.camera import CameraMove

# A 256 x 128 crop of a real photograph: twice as wide as the 128 x 128 frames filmed from it.
WIDE = data.astronaut()[100:228, 128:384]


def picture(array: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(array))


def film(harness, pictures, **params) -> list[np.ndarray]:
    outputs = harness.run("camera.move", params, images=[picture(p) for p in pictures])
    return list(outputs["frames"])


def test_frames_have_the_requested_count_fps_and_size(harness):
    outputs = harness.run("camera.move", {"seconds": 1.5, "fps": 12, "width": 96, "height": 64},
                          images=[picture(data.chelsea()), picture(data.coffee())])
    frames = outputs["frames"]
    assert (frames.count, frames.fps, frames.width, frames.height) == (18, 12, 96, 64)
    assert outputs["frames.meta"]["count"] == 18
    assert all(frame.shape == (64, 96, 3) and frame.dtype == np.uint8 for frame in frames)


def test_frame_size_defaults_to_the_first_picture(harness):
    frames = film(harness, [WIDE], seconds=0.25, fps=4)
    assert frames[0].shape == (128, 256, 3)


def test_a_pure_pan_shows_exactly_the_shifted_crop(harness):
    # Pan from a quarter of the picture's width left of centre to a quarter right: 128 px in 8 steps.
    frames = film(harness, [WIDE], path=[{"pan": [-0.25, 0]}, {"pan": [0.25, 0]}], easing="linear",
                  seconds=1, fps=9, width=128, height=128)
    assert len(frames) == 9
    for index, frame in enumerate(frames):
        np.testing.assert_array_equal(frame, WIDE[:, 16 * index:16 * index + 128])


def test_a_half_pixel_pan_is_sub_pixel_accurate(harness):
    # The middle frame sits half a picture pixel right of the first: bilinear gives the mean of
    # the two whole-pixel crops around it.
    frames = film(harness, [WIDE], path=[{"pan": [0, 0]}, {"pan": [1 / 256, 0]}], easing="linear",
                  resample="bilinear", seconds=1, fps=3, width=128, height=128)
    expected = (WIDE[:, 64:192].astype(float) + WIDE[:, 65:193]) / 2
    assert np.abs(frames[1] - expected).max() <= 1
    np.testing.assert_array_equal(frames[2], WIDE[:, 65:193])


def test_ease_in_starts_slowly_and_speeds_up(harness):
    # Ease-in moves by u^2 of the way: 0, 1/16, 1/4, 9/16, 1 of 128 px at u = 0, 1/4 ... 1.
    frames = film(harness, [WIDE], path=[{"pan": [-0.25, 0]}, {"pan": [0.25, 0]}], easing="ease-in",
                  seconds=1, fps=5, width=128, height=128)
    for frame, shift in zip(frames, [0, 8, 32, 72, 128]):
        np.testing.assert_array_equal(frame, WIDE[:, shift:shift + 128])


def test_keyframe_positions_place_the_poses_in_time(harness):
    # The camera reaches the right edge at 1/4 of the move and stays there.
    frames = film(harness, [WIDE], path=[{"pan": [-0.25, 0]}, {"pan": [0.25, 0], "at": 0.25}],
                  easing="linear", seconds=1, fps=5, width=128, height=128)
    for frame in frames[1:]:
        np.testing.assert_array_equal(frame, WIDE[:, 128:256])


def test_zoom_2_shows_the_centre_magnified_twice(harness):
    photo = data.astronaut()[::4, ::4]  # 128 x 128, covering a 64 x 64 frame at half scale
    frames = film(harness, [photo], path=[{"zoom": 2}], seconds=0.25, fps=4, width=64, height=64)
    np.testing.assert_array_equal(frames[0], photo[32:96, 32:96])


def test_rotate_turns_the_picture_counter_clockwise(harness):
    photo = data.astronaut()[::8, ::8]  # 64 x 64
    frames = film(harness, [photo], path=[{"rotate": 90}], seconds=0.25, fps=4)
    assert np.abs(frames[0].astype(int) - np.rot90(photo)).max() <= 1


def test_pictures_share_the_time_and_crossfade_at_the_boundary(harness):
    first, second = data.chelsea()[:64, :64], data.coffee()[:64, :64]
    # 11 frames over 2.2 s: frame 5 sits exactly on the boundary between the two 1.1 s slots.
    frames = film(harness, [first, second], path=[{"zoom": 1}], seconds=2.2, fps=5, crossfade=0.44)
    np.testing.assert_array_equal(frames[0], first)
    assert np.abs(frames[5] - (first.astype(float) + second) / 2).max() <= 1
    np.testing.assert_array_equal(frames[10], second)


def test_without_crossfade_pictures_cut(harness):
    first, second = data.chelsea()[:64, :64], data.coffee()[:64, :64]
    frames = film(harness, [first, second], path=[{"zoom": 1}], seconds=2.2, fps=5)
    np.testing.assert_array_equal(frames[4], first)
    np.testing.assert_array_equal(frames[6], second)


def test_a_long_sequence_renders_nothing_until_read(harness):
    node = CameraMove()
    params = CameraMove.Params(seconds=2000 / 24, fps=24, width=1920, height=1080)
    frames = node.run(harness.context(), params, images=[picture(data.rocket())])["frames"]
    assert frames.count == 2000
    assert inspect.isgenerator(frames.source())
    assert harness.events == []  # no frame rendered yet
    first_two = list(islice(frames, 2))
    assert [frame.shape for frame in first_two] == [(1080, 1920, 3)] * 2


def test_progress_reaches_the_frame_count(harness):
    film(harness, [WIDE], seconds=1, fps=10, width=32, height=32)
    assert harness.events[-1].done == harness.events[-1].total == 10


def test_a_crossfade_longer_than_a_slot_is_a_node_error(harness):
    with pytest.raises(NodeError) as error:
        film(harness, [WIDE, WIDE, WIDE], seconds=3, crossfade=1.5)
    assert error.value.param == "crossfade"


def test_no_pictures_is_a_node_error(harness):
    with pytest.raises(NodeError) as error:
        harness.run("camera.move", {}, images=[])
    assert error.value.port == "images"


def test_keyframes_out_of_order_fail_validation():
    with pytest.raises(ValidationError, match="keyframe 2 is placed before keyframe 1"):
        CameraMove.Params(path=[{"zoom": 1}, {"zoom": 1.2, "at": 0.8}, {"zoom": 1.4, "at": 0.5}])
