"""quality.temporal: temporal-consistency metrics rank real sequences the way a viewer would, and
the gate fails the branch it guards."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from reelgraph.flows.api import run_document
from reelgraph.nodes import NodeError
from reelgraph.nodes.values import Frames
from reelgraph.storage import repository as repo
from tests.node_harness import NodeHarness


@pytest.fixture(scope="module")
def smooth_pan() -> list[np.ndarray]:
    """A steady camera pan over a real photograph, filmed by camera.move: 24 frames of 96 x 64."""
    with tempfile.TemporaryDirectory() as root:
        params = {"path": [{"zoom": 1.3, "pan": [-0.1, 0]}, {"zoom": 1.3, "pan": [0.1, 0]}], "easing": "linear",
                  "seconds": 2, "fps": 12, "width": 96, "height": 64}
        outputs = NodeHarness(Path(root)).run("camera.move", params, images=[Image.fromarray(data.coffee())])
        return [frame.copy() for frame in outputs["frames"]]


def measure(harness, frames: list[np.ndarray], **params) -> dict:
    return harness.run("quality.temporal", params, frames=Frames.from_arrays(frames, fps=12))["report"]


def shuffled(frames: list[np.ndarray]) -> list[np.ndarray]:
    order = np.random.default_rng(3).permutation(len(frames))
    return [frames[i] for i in order]


def flickering(frames: list[np.ndarray]) -> list[np.ndarray]:
    """The same frames, alternately 12% brighter and 10% darker: the look of unstable exposure."""
    gains = [1.12 if index % 2 else 0.9 for index in range(len(frames))]
    return [np.clip(frame * gain, 0, 255).astype(np.uint8) for frame, gain in zip(frames, gains)]


def test_a_smooth_pan_beats_the_same_frames_shuffled_on_every_metric(harness, smooth_pan):
    smooth, jumbled = measure(harness, smooth_pan), measure(harness, shuffled(smooth_pan))
    assert smooth["warp_error"]["mean"] < jumbled["warp_error"]["mean"]
    assert smooth["ssim"]["mean"] > jumbled["ssim"]["mean"]
    assert smooth["flicker"] < jumbled["flicker"]
    assert smooth["score"] > jumbled["score"]


def test_a_smooth_pan_beats_the_same_frames_with_flicker_on_every_metric(harness, smooth_pan):
    smooth, flicker = measure(harness, smooth_pan), measure(harness, flickering(smooth_pan))
    assert smooth["warp_error"]["mean"] < flicker["warp_error"]["mean"]
    assert smooth["ssim"]["mean"] > flicker["ssim"]["mean"]
    assert smooth["flicker"] < flicker["flicker"]
    assert smooth["score"] > flicker["score"]


def test_a_smooth_pan_passes_the_default_thresholds(harness, smooth_pan):
    report = measure(harness, smooth_pan)
    assert report["passed"] and report["failures"] == []
    assert report["frames"] == 24 and report["pairs"] == 23
    assert report["warp_error"]["mean"] < 0.02 and report["occluded"]["mean"] < 0.2


def test_flicker_is_caught_by_the_flicker_threshold(harness, smooth_pan):
    report = measure(harness, flickering(smooth_pan))
    assert not report["passed"]
    assert "flicker" in {failure["metric"] for failure in report["failures"]}


def test_frames_pass_through_unchanged(harness, smooth_pan):
    outputs = harness.run("quality.temporal", {}, frames=Frames.from_arrays(smooth_pan, fps=12))
    passed = list(outputs["frames"])
    assert outputs["frames"].fps == 12 and len(passed) == len(smooth_pan)
    assert all(np.array_equal(a, b) for a, b in zip(passed, smooth_pan))


def test_the_gate_names_the_metric_its_value_and_the_threshold(harness, smooth_pan):
    with pytest.raises(NodeError) as raised:
        measure(harness, shuffled(smooth_pan), gate=True)
    message = str(raised.value)
    assert raised.value.code == "quality_gate_failed"
    assert "ssim" in message and "below min_ssim 0.3" in message


def test_one_frame_is_not_a_sequence(harness, smooth_pan):
    with pytest.raises(NodeError, match="at least two frames"):
        measure(harness, smooth_pan[:1])


def gated_graph(min_ssim: float) -> dict:
    return {"reelgraph": 1, "name": "gated", "nodes": {
        "photo": {"type": "image.load", "params": {"paths": ["assets/coffee.png"]}},
        "pan": {"type": "camera.move", "inputs": {"images": "photo.images"},
                "params": {"path": [{"zoom": 1.2, "pan": [-0.05, 0]}, {"zoom": 1.2, "pan": [0.05, 0]}],
                           "seconds": 1, "fps": 8, "width": 64, "height": 48}},
        "check": {"type": "quality.temporal", "inputs": {"frames": "pan.frames"},
                  "params": {"gate": True, "min_ssim": min_ssim}},
        "video": {"type": "video.encode", "inputs": {"frames": "check.frames"}, "params": {"preset": "ultrafast"}},
    }}


def test_a_failing_gate_fails_its_branch_and_the_run_records_why(runtime, workspace):
    result = run_document(runtime, gated_graph(min_ssim=0.99), workspace_root=workspace)
    check, video = result["nodes"]["check"], result["nodes"]["video"]
    assert result["status"] == "failed"
    assert check["status"] == "failed" and "min_ssim 0.99" in check["error"] and "ssim" in check["error"]
    assert video["status"] == "skipped"


def test_a_passing_gate_records_its_report_as_an_artifact(runtime, workspace):
    result = run_document(runtime, gated_graph(min_ssim=0.1), workspace_root=workspace)
    assert result["status"] == "succeeded"
    report_sha = result["nodes"]["check"]["outputs"]["report"]
    artifact = repo.get_artifacts(runtime.db, [report_sha])[report_sha]
    assert artifact.kind == "json" and artifact.mime == "application/json"
    report = json.loads(runtime.store.read_bytes(report_sha))
    assert report["passed"] and report["frames"] == 8
