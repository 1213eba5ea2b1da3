"""Failures of the world, each real: a missing Debian tool, ffmpeg refusing its input, a model that
does not load, a full disk. The node fails with a message saying what to do, the run ends
failed, and the database stays consistent: no node left running, and every recorded artifact's
bytes (and, for frames and image lists, every chunk they name) are in the store, intact.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from reelgraph.flows.api import run_document
from reelgraph.flows.runtime import open_runtime
from reelgraph.nodes import Frames, MediaFile, NodeError
from reelgraph.storage.models import ArtifactRecord
from tests.conftest import REPO
from tests.node_harness import tiny_model_builder

FINISHED = {"succeeded", "failed", "skipped", "cached"}
MANIFEST_MIMES = {"application/vnd.reelgraph.frames+json", "application/vnd.reelgraph.images+json"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    root.mkdir()
    shutil.copy(REPO / "examples" / "assets" / "coffee.png", root / "coffee.png")
    shutil.copy(REPO / "examples" / "campaign" / "script.yaml", root / "script.yaml")
    return root


@pytest.fixture
def no_tools_on_path(tmp_path: Path, monkeypatch) -> None:
    """PATH is an empty folder: ffmpeg, espeak-ng and apertium are nowhere to be found."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def document(**nodes: dict) -> dict:
    return {"reelgraph": 1, "name": "world", "nodes": nodes}


FILMED = {
    "photo": {"type": "image.load", "params": {"paths": ["coffee.png"]}},
    "camera": {"type": "camera.move", "inputs": {"images": "photo.images"},
               "params": {"seconds": 1, "fps": 4, "width": 32, "height": 32}},
}


def assert_consistent(runtime, result: dict) -> None:
    """The run failed cleanly: every node finished one way or another, every artifact is whole."""
    assert result["status"] == "failed"
    assert {node["status"] for node in result["nodes"].values()} <= FINISHED, result["nodes"]
    with runtime.db.engine.connect() as connection:
        artifacts = connection.execute(select(ArtifactRecord.sha256, ArtifactRecord.mime)).all()
    for sha256, mime in artifacts:
        runtime.store.verify(sha256)
        if mime in MANIFEST_MIMES:
            manifest = json.loads(runtime.store.read_bytes(sha256))
            for blob in [chunk["sha256"] for chunk in manifest.get("chunks", [])] + manifest.get("images", []):
                runtime.store.verify(blob)
    for node in result["nodes"].values():
        if node["status"] == "succeeded":
            assert set(node["outputs"].values()) <= {sha for sha, _ in artifacts}


def failed_node(result: dict, node_id: str) -> dict:
    node = result["nodes"][node_id]
    assert node["status"] == "failed", node
    return node


# --- a missing Debian tool -------------------------------------------------------------------

MISSING_TOOLS = {
    "ffmpeg": (document(**FILMED, video={"type": "video.encode", "inputs": {"frames": "camera.frames"}}),
               "video", "apt-get install -y ffmpeg"),
    "espeak-ng": (document(tr={"type": "l10n.translate", "params": {"script": "script.yaml", "target": "en",
                                                                   "backend": "none"}},
                           vo={"type": "l10n.voiceover", "inputs": {"script": "tr.script"}}),
                  "vo", "apt-get install espeak-ng"),
    "apertium": (document(tr={"type": "l10n.translate", "params": {"script": "script.yaml", "target": "es",
                                                                  "backend": "apertium"}}),
                 "tr", "apt-get install apertium"),
}


@pytest.mark.parametrize("tool", sorted(MISSING_TOOLS))
def test_a_missing_debian_tool_fails_the_node_with_the_install_command(tool, runtime, workspace, no_tools_on_path):
    graph, node_id, install = MISSING_TOOLS[tool]
    result = run_document(runtime, graph, workspace_root=workspace)
    node = failed_node(result, node_id)
    assert tool in node["error"] and install in node["error"]
    assert all(other["status"] == "succeeded" for other_id, other in result["nodes"].items() if other_id != node_id)
    assert_consistent(runtime, result)


# --- ffmpeg failing ----------------------------------------------------------------------------

def test_ffmpeg_refusing_unreadable_audio_gives_its_message_and_leaves_no_partial_file(harness):
    junk = harness.workspace.root / "voice.wav"
    junk.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio at all")
    frames = Frames.from_arrays([np.full((32, 32, 3), 90, np.uint8)] * 4, fps=4)
    with pytest.raises(NodeError) as error:
        harness.run("video.encode", {}, frames=frames, audio=MediaFile(junk, "audio/wav", {"language": "es"}))
    assert error.value.code == "ffmpeg_failed"
    assert "voice.wav: Invalid data found when processing input" in error.value.message
    assert error.value.hint == "the message above is ffmpeg's own; check the inputs it names"
    assert not list(harness.store.tmp.glob("*.mp4"))


# --- a model failing to load -------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory) -> Path:
    builder = tiny_model_builder()
    return builder.build_tiny_model("tiny-sd", tmp_path_factory.mktemp("models"))


def keyframe_of(model: str) -> dict:
    return document(kf={"type": "keyframe.generate",
                        "params": {"model": model, "prompt": "a cup", "width": 64, "height": 64, "steps": 1}})


def test_a_model_folder_without_model_index_fails_with_what_to_point_at(runtime, workspace):
    (workspace / "models" / "half").mkdir(parents=True)
    (workspace / "models" / "half" / "unet").mkdir()
    result = run_document(runtime, keyframe_of("models/half"), workspace_root=workspace)
    node = failed_node(result, "kf")
    assert "has no model_index.json" in node["error"]
    assert "point model at the folder that holds model_index.json" in node["error"]
    assert_consistent(runtime, result)


def test_a_damaged_safetensors_file_in_a_model_fails_the_load_cleanly(runtime, workspace, tiny_sd):
    model = workspace / "models" / "sd"
    shutil.copytree(tiny_sd, model)
    weights = model / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # an interrupted download
    result = run_document(runtime, keyframe_of("models/sd"), workspace_root=workspace)
    node = failed_node(result, "kf")
    assert "cannot load model 'models/sd'" in node["error"]
    assert "check that the folder holds a complete diffusers model" in node["error"]
    assert node["attempts"] == 1  # a NodeError: retrying would fail the same way
    assert_consistent(runtime, result)


def test_a_damaged_model_index_fails_the_load_cleanly(runtime, workspace, tiny_sd):
    model = workspace / "models" / "sd"
    shutil.copytree(tiny_sd, model)
    (model / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline", ')
    result = run_document(runtime, keyframe_of("models/sd"), workspace_root=workspace)
    node = failed_node(result, "kf")
    assert "cannot load model 'models/sd'" in node["error"]
    assert "check that the folder holds a complete diffusers model" in node["error"]
    assert_consistent(runtime, result)


def test_damaged_upscaler_weights_fail_with_what_to_do(runtime, workspace):
    (workspace / "upscaler.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not a header")
    graph = document(**FILMED, big={"type": "frames.upscale", "inputs": {"frames": "camera.frames"},
                                    "params": {"method": "model", "weights": "upscaler.safetensors"}})
    result = run_document(runtime, graph, workspace_root=workspace)
    node = failed_node(result, "big")
    assert "cannot read the weights in 'upscaler.safetensors'" in node["error"]
    assert "the file is damaged or incomplete: download or convert it again" in node["error"]
    assert_consistent(runtime, result)


# --- a full disk -------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 2 MiB filesystem (tmpfs) for the artifact store; the database stays elsewhere."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root with CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> None:
    """Write a ballast file until the filesystem refuses another byte (unbuffered, so the refusal
    comes from the write itself)."""
    descriptor = os.open(disk / "ballast", os.O_WRONLY | os.O_CREAT)
    try:
        for block in (65536, 1):
            try:
                while True:
                    os.write(descriptor, b"\0" * block)
            except OSError:
                pass
    finally:
        os.close(descriptor)


@pytest.fixture
def runtime_on_small_disk(database_url: str, small_disk: Path):
    runtime = open_runtime(database_url, str(small_disk / "store"))
    yield runtime
    runtime.db.dispose()


def test_a_full_disk_while_ffmpeg_writes_fails_the_encode_with_what_to_do(runtime_on_small_disk, small_disk,
                                                                           workspace):
    graph = document(**FILMED, video={"type": "video.encode", "inputs": {"frames": "camera.frames"}})
    first = run_document(runtime_on_small_disk, graph, workspace_root=workspace, targets=["camera"])
    assert first["status"] == "succeeded"
    fill(small_disk)
    result = run_document(runtime_on_small_disk, graph, workspace_root=workspace)
    node = failed_node(result, "video")
    assert "No space left on device" in node["error"]
    assert "free space there, or point --store at a bigger disk" in node["error"]
    assert {result["nodes"][n]["status"] for n in ("photo", "camera")} == {"cached"}
    assert_consistent(runtime_on_small_disk, result)


def test_a_full_disk_while_storing_outputs_fails_the_node_with_what_to_do(runtime_on_small_disk, small_disk,
                                                                          workspace):
    fill(small_disk)
    result = run_document(runtime_on_small_disk, document(photo=FILMED["photo"]), workspace_root=workspace)
    node = failed_node(result, "photo")
    assert "No space left on device" in node["error"] and "free" in node["error"]
    assert_consistent(runtime_on_small_disk, result)
