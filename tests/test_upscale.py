"""frames.upscale: Lanczos resampling, and learned upscalers loaded safely and run in tiles."""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pydantic
import pytest
import skimage.data
import torch
from safetensors.torch import save_file
from skimage.metrics import peak_signal_noise_ratio
from spandrel.architectures.Compact import Compact

from reelgraph.nodes import Frames, NodeError, PathOutsideWorkspace
from reelgraph.nodes.model_cache import process_model_cache
from reelgraph.nodes.upscale.node import FramesUpscale


def photo_frames(count: int = 2, *, step: int = 8) -> Frames:
    """Frames of a real photograph (64 x 64 at step 8), shifting down a little each frame."""
    photo = skimage.data.astronaut()[::step, ::step]
    frames = [np.ascontiguousarray(np.roll(photo, 3 * i, axis=0)) for i in range(count)]
    return Frames.from_arrays(frames, 24.0)


def tiny_upscaler(scale: int = 2) -> Compact:
    """A real Real-ESRGAN compact network (SRVGGNetCompact) with few channels and random weights."""
    torch.manual_seed(0)
    return Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=scale).eval()


def save_safetensors(network: torch.nn.Module, path: Path) -> Path:
    save_file({name: tensor.contiguous() for name, tensor in network.state_dict().items()}, path)
    return path


def upscale(harness, frames: Frames, **params) -> np.ndarray:
    output = harness.run("frames.upscale", params, frames=frames)["frames"]
    return np.stack(list(output))


# --- Lanczos -------------------------------------------------------------------------------------

def test_lanczos_scale_multiplies_the_size_and_keeps_count_and_fps(harness):
    output = harness.run("frames.upscale", {"scale": 2.5}, frames=photo_frames(3))["frames"]
    assert (output.width, output.height, output.count, output.fps) == (160, 160, 3, 24.0)
    assert np.stack(list(output)).shape == (3, 160, 160, 3)


def test_lanczos_width_alone_keeps_the_aspect_ratio(harness):
    frames = Frames.from_arrays([np.ascontiguousarray(skimage.data.chelsea()[::4, ::4])], 24.0)  # 75 x 113
    assert upscale(harness, frames, width=226).shape == (1, 150, 226, 3)


def test_lanczos_restores_a_downscaled_photo(harness):
    photo = skimage.data.chelsea()[:, :448]  # 300 x 448
    small = cv2.resize(photo, (224, 150), interpolation=cv2.INTER_AREA)
    restored = upscale(harness, Frames.from_arrays([small], 24.0), scale=2)[0]
    # Nearest-neighbour scores 32.5 dB here, bilinear 33.1 dB.
    assert peak_signal_noise_ratio(photo, restored) > 33.5


# --- learned upscalers -----------------------------------------------------------------------------

def test_model_output_is_the_models_scale_times_the_input(harness, tmp_path):
    save_safetensors(tiny_upscaler(scale=4), tmp_path / "x4.safetensors")
    output = upscale(harness, photo_frames(2), method="model", weights="x4.safetensors")
    assert output.shape == (2, 256, 256, 3)


def test_tiled_output_equals_the_model_run_on_the_whole_frame(harness, tmp_path):
    network = tiny_upscaler()
    save_safetensors(network, tmp_path / "x2.safetensors")
    frame = np.ascontiguousarray(skimage.data.coffee()[::6, ::6])  # 67 x 100: tiles of 24 leave ragged edges
    with torch.inference_mode():
        whole = network(torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255)
    expected = (whole[0].clamp(0, 1).permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
    tiled = upscale(harness, Frames.from_arrays([frame], 24.0), method="model", weights="x2.safetensors",
                    tile=24, overlap=8)[0]
    assert tiled.shape == expected.shape == (134, 200, 3)
    assert np.abs(tiled.astype(int) - expected).max() <= 1  # float rounding only, no seams


def test_model_output_is_resampled_to_a_requested_width(harness, tmp_path):
    save_safetensors(tiny_upscaler(scale=2), tmp_path / "x2.safetensors")
    output = upscale(harness, photo_frames(1), method="model", weights="x2.safetensors", width=100)
    assert output.shape == (1, 100, 100, 3)


def test_weights_load_once_for_every_frame_and_run(harness, tmp_path):
    save_safetensors(tiny_upscaler(), tmp_path / "x2.safetensors")
    loads_before = process_model_cache.loads
    for _ in range(2):
        upscale(harness, photo_frames(3), method="model", weights="x2.safetensors")
    assert process_model_cache.loads - loads_before == 1


def test_a_pth_holding_only_tensors_loads(harness, tmp_path):
    torch.save({"params": tiny_upscaler().state_dict()}, tmp_path / "x2.pth")  # BasicSR's layout
    assert upscale(harness, photo_frames(1), method="model", weights="x2.pth").shape == (1, 128, 128, 3)


class _MakesADirectoryWhenUnpickled:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return os.mkdir, (str(self.target),)


def test_a_pth_that_would_run_code_is_refused_and_the_code_never_runs(harness, tmp_path):
    marker = tmp_path / "code-ran"
    torch.save({"params": tiny_upscaler().state_dict(), "extra": _MakesADirectoryWhenUnpickled(marker)},
               tmp_path / "trojan.pth")
    with pytest.raises(NodeError) as error:
        upscale(harness, photo_frames(1), method="model", weights="trojan.pth")
    assert (error.value.code, error.value.param) == ("unsafe_weights", "weights")
    assert not marker.exists()
    torch.load(tmp_path / "trojan.pth", weights_only=False)  # the unsafe way: the payload is real
    assert marker.exists()


def test_weights_of_an_unknown_architecture_are_refused(harness, tmp_path):
    save_file({"encoder.weight": torch.zeros(4, 4)}, tmp_path / "mystery.safetensors")
    with pytest.raises(NodeError) as error:
        upscale(harness, photo_frames(1), method="model", weights="mystery.safetensors")
    assert "does not recognise" in error.value.message


def test_weights_outside_the_workspace_are_refused(harness, tmp_path):
    with pytest.raises(PathOutsideWorkspace):
        upscale(harness, photo_frames(1), method="model", weights="/etc/passwd.safetensors")


def test_the_model_method_needs_weights():
    with pytest.raises(pydantic.ValidationError, match="needs a weights file"):
        FramesUpscale.Params(method="model")


def test_progress_is_reported_per_frame(harness):
    upscale(harness, photo_frames(3), scale=2)
    assert [(event.done, event.total) for event in harness.events] == [(1, 3), (2, 3), (3, 3)]
