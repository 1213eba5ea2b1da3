"""The seed sweep example: four seeds drawn, reviewed on a contact sheet, one picked; changing the
pick executes only what is downstream of it (the sweep and the sheet come from the cache)."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from PIL import Image

from reelgraph.flows.api import run_document

REPO = Path(__file__).resolve().parent.parent


def load_builder():
    spec = importlib.util.spec_from_file_location("build_tiny_models", REPO / "examples" / "build_tiny_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def sweep_workspace(tmp_path) -> Path:
    import torch

    torch.set_num_threads(1)  # tiny models gain nothing from threads on a shared machine
    load_builder().build_tiny_models(tmp_path / "models")
    shutil.copy(REPO / "examples" / "seed_sweep.yaml", tmp_path / "seed_sweep.yaml")
    return tmp_path


def test_a_new_pick_runs_only_what_follows_the_pick(runtime, sweep_workspace):
    path = sweep_workspace / "seed_sweep.yaml"
    first = run_document(runtime, path)
    assert first["status"] == "succeeded"
    assert {node["status"] for node in first["nodes"].values()} == {"succeeded"}
    assert sorted(n for n in first["nodes"] if n.startswith("kf")) == [
        "kf[seed=1234]", "kf[seed=42]", "kf[seed=7]", "kf[seed=99]"]
    sheet = Image.open(runtime.store.local_path(first["nodes"]["sheet"]["outputs"]["image"]))
    assert sheet.width >= 4 * 160
    second = run_document(runtime, path, overrides=["pick.value=7"])
    assert second["status"] == "succeeded"
    assert {n for n, node in second["nodes"].items() if node["status"] != "cached"} == {"pick", "hero"}
    assert second["nodes"]["pick"]["outputs"] != first["nodes"]["pick"]["outputs"]
    assert second["nodes"]["sheet"]["outputs"] == first["nodes"]["sheet"]["outputs"]
