"""The seed sweep example through the CLI: four seeds drawn, reviewed on a labelled contact sheet,
one picked and filmed; changing the pick executes only what follows it (the sweep and the sheet
come from the cache)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import REPO, reelgraph_cli
from tests.media import ffprobe
from tests.test_review import ink, label_strip
from tests.node_harness import tiny_model_builder

SEEDS = [1234, 42, 7, 99]          # examples/seed_sweep.yaml's matrix
BRANCHES = [f"kf[seed={seed}]" for seed in SEEDS]


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    shutil.copy(REPO / "examples" / "seed_sweep.yaml", tmp_path / "seed_sweep.yaml")
    tiny_model_builder().build_tiny_models(tmp_path / "models", ["tiny-sd"])
    from reelgraph.nodes.provenance.credentials import create_local_ca

    create_local_ca(tmp_path / ".reelgraph" / "keys")  # what `reelgraph keys init` writes: the video is signed
    return tmp_path


def run_sweep(folder: Path, *overrides: str) -> dict:
    args = [item for override in overrides for item in ("--set", override)]
    result = reelgraph_cli("run", "seed_sweep.yaml", "--json", "--out", "out", *args, cwd=folder,
                           env={"OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
                                "REELGRAPH_C2PA_KEY": "", "REELGRAPH_C2PA_CERT": ""})  # tiny models: threads only contend
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def statuses(result: dict) -> dict[str, str]:
    return {node: record["status"] for node, record in result["nodes"].items()}


def test_a_sweep_is_reviewed_on_a_sheet_and_a_new_pick_runs_only_what_follows_it(sweep):
    first = run_sweep(sweep)
    assert statuses(first) == {node: "succeeded" for node in [*BRANCHES, "sheet", "pick", "camera", "encode", "video"]}

    # The sheet: four 160-px cells in a row, each labelled with its own seed and the prompt.
    sheet = Image.open(sweep / "out" / "sheet.image.png").convert("RGB")
    cells = json.loads((sweep / "out" / "sheet.cells.json").read_text())
    assert [cell["label"] for cell in cells] == [f"seed {seed}\na lighthouse at dusk" for seed in SEEDS]
    assert sheet.size == (4 * 160 + 5 * 8, 8 + 160 + cells[0]["label_height"] + 8)
    strips = [label_strip(sheet, cell) for cell in cells]
    assert all(ink(strip).sum() > 200 for strip in strips)
    assert len({strip.tobytes() for strip in strips}) == 4       # each label says its own seed

    # The pick is seed 1234's keyframe, byte for byte, filmed into the video.
    nodes = first["nodes"]
    assert nodes["pick"]["outputs"]["image"] == nodes["kf[seed=1234]"]["outputs"]["image"]
    video = ffprobe(sweep / "out" / "video.video.mp4", count_frames=True).video
    assert (video.width, video.height, video.frames) == (160, 160, 24)

    # A director picks seed 7: nothing is drawn again, only the pick and what follows it run.
    second = run_sweep(sweep, "pick.value=7")
    assert statuses(second) == {**{branch: "cached" for branch in BRANCHES}, "sheet": "cached",
                                "pick": "succeeded", "camera": "succeeded", "encode": "succeeded", "video": "succeeded"}
    assert second["nodes"]["sheet"]["outputs"] == nodes["sheet"]["outputs"]
    assert second["nodes"]["pick"]["outputs"]["image"] == nodes["kf[seed=7]"]["outputs"]["image"]
    assert second["nodes"]["video"]["outputs"]["video"] != nodes["video"]["outputs"]["video"]
