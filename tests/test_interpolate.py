"""frames.interpolate: in-between frames of real photographs under known motion."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image
from skimage import data

from reelgraph.nodes import NodeError
from reelgraph.nodes.motion.interpolate import FramesInterpolate
from reelgraph.nodes.values import Frames


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return 10 * math.log10(255**2 / np.mean((a.astype(float) - b.astype(float)) ** 2))


def camera_move(harness, photo: np.ndarray, count: int, path: list[dict],
                size: int = 128) -> list[np.ndarray]:
    """`count` frames of a smooth camera move over a photograph, rendered by camera.move."""
    outputs = harness.run("camera.move", {"path": path, "easing": "linear", "seconds": count, "fps": 1,
                                          "width": size, "height": size},
                          images=[Image.fromarray(photo)])
    return list(outputs["frames"])


def interpolate(harness, frames: list[np.ndarray], fps: float = 12, **params) -> Frames:
    return harness.run("frames.interpolate", params, frames=Frames.from_arrays(frames, fps))["frames"]


def test_flow_recreates_the_middle_frame_of_a_camera_move_better_than_blending(harness):
    # Pan, push in and roll at once; the interpolators see frames 0 and 2 and must recreate 1.
    path = [{"zoom": 1.3, "pan": [-0.015, 0.01], "rotate": -1},
            {"zoom": 1.36, "pan": [0.015, -0.01], "rotate": 1}]
    truth = camera_move(harness, data.astronaut(), 3, path)
    flow = list(interpolate(harness, [truth[0], truth[2]]))[1]
    blend = list(interpolate(harness, [truth[0], truth[2]], method="blend"))[1]
    assert psnr(flow, truth[1]) > 35  # 38.4 dB when written; blending: 17.3 dB
    assert psnr(flow, truth[1]) > psnr(blend, truth[1]) + 15


def test_flow_keeps_a_moving_cut_out_whole_over_a_background(harness):
    # A photo cut-out (the cat's face) slides 12 px right over the astronaut photo, which pans 4 px.
    background, cutout = data.astronaut()[::4, ::4], data.chelsea()[40:104, 150:214]

    def scene(u: float) -> np.ndarray:
        frame = np.roll(background, -round(2 * u), axis=1)[:, :112].copy()
        left = 20 + round(6 * u)
        frame[32:96, left:left + 64] = cutout
        return frame

    truth = [scene(u) for u in (0, 1, 2)]
    flow = list(interpolate(harness, [truth[0], truth[2]]))[1]
    blend = list(interpolate(harness, [truth[0], truth[2]], method="blend"))[1]
    assert psnr(flow, truth[1]) > psnr(blend, truth[1]) + 5


def test_factor_multiplies_frame_count_and_rate_and_keeps_the_input_frames(harness):
    photos = [np.ascontiguousarray(p[:96, :96]) for p in (data.astronaut(), data.coffee(), data.chelsea(),
                                                         data.rocket(), data.astronaut()[96:, 96:])]
    frames = interpolate(harness, photos, fps=12, factor=3, method="blend")
    assert (frames.count, frames.fps) == (15, 36)
    output = list(frames)
    assert len(output) == 15
    for index, photo in enumerate(photos):
        np.testing.assert_array_equal(output[3 * index], photo)
    # Past the last input frame there is nothing to move towards: it is held.
    np.testing.assert_array_equal(output[13], photos[-1])
    np.testing.assert_array_equal(output[14], photos[-1])


def test_target_fps_converts_the_rate_and_keeps_the_duration(harness):
    truth = camera_move(harness, data.coffee(), 10, [{"pan": [-0.05, 0]}, {"pan": [0.05, 0]}], size=64)
    frames = interpolate(harness, truth, fps=24, target_fps=60)
    assert (frames.count, frames.fps) == (25, 60)
    assert frames.count / frames.fps == pytest.approx(len(truth) / 24)
    assert len(list(frames)) == 25


def test_target_fps_below_the_input_rate_drops_frames_evenly(harness):
    truth = camera_move(harness, data.coffee(), 10, [{"pan": [-0.05, 0]}, {"pan": [0.05, 0]}], size=64)
    frames = interpolate(harness, truth, fps=30, target_fps=15)
    output = list(frames)
    assert (frames.count, len(output)) == (5, 5)
    for index, frame in enumerate(output):
        np.testing.assert_array_equal(frame, truth[2 * index])


def test_blend_mixes_the_neighbours(harness):
    first, second = data.astronaut()[:64, :64], data.coffee()[:64, :64]
    middle = list(interpolate(harness, [first, second], method="blend"))[1]
    assert np.abs(middle - (first.astype(float) + second) / 2).max() <= 1


def test_a_scene_cut_is_not_morphed(harness):
    first, second = data.astronaut()[::4, ::4], data.coffee()[:128, :128]
    output = list(interpolate(harness, [first, second], factor=4))
    for frame, expected in zip(output[:4], [first, first, second, second]):
        np.testing.assert_array_equal(frame, expected)


def test_input_frames_are_streamed_not_gathered(harness):
    photo = data.rocket()
    frames = camera_move(harness, photo, 12, [{"pan": [-0.1, 0]}, {"pan": [0.1, 0]}], size=64)
    pulled = []

    def source():
        for frame in frames:
            pulled.append(frame)
            yield frame

    streamed = Frames(fps=12, width=64, height=64, source=source, count=len(frames))
    node, params = FramesInterpolate(), FramesInterpolate.Params(factor=2)
    for index, _ in enumerate(node.run(harness.context(), params, frames=streamed)["frames"]):
        # Output frame i lies between input frames i // 2 and i // 2 + 1: no more has been read.
        assert len(pulled) <= index // 2 + 2


def test_progress_counts_frame_pairs(harness):
    truth = camera_move(harness, data.coffee(), 5, [{"pan": [-0.05, 0]}, {"pan": [0.05, 0]}], size=64)
    harness.events.clear()
    list(interpolate(harness, truth))
    assert [(event.done, event.total) for event in harness.events] == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_frames_too_small_for_optical_flow_are_a_node_error(harness):
    tiny = [data.astronaut()[:8, :8], data.coffee()[:8, :8]]
    with pytest.raises(NodeError) as error:
        interpolate(harness, tiny)
    assert error.value.param == "method"
    assert "blend" in error.value.hint
