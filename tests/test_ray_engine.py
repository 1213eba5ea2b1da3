"""The Ray engine on a real local Ray with 4 simulated GPUs (Ray sets CUDA_VISIBLE_DEVICES per
worker; nothing needs a physical GPU to check the scheduling)."""
from __future__ import annotations

import numpy as np
import pytest
from safetensors.numpy import save_file

from reelgraph.flows.api import run_document
from reelgraph.flows.runtime import open_runtime
from reelgraph.storage import repository as repo
from tests.conftest import REPO

ray = pytest.importorskip("ray")


@pytest.fixture
def ray_runtime(ray_session, sqlite_url, tmp_path):
    runtime = open_runtime(sqlite_url, str(tmp_path / "store"))
    yield runtime
    runtime.db.dispose()


def max_overlap(node_runs) -> int:
    """The largest number of node runs that were executing at one instant."""
    moments = sorted([(n.started_at, 1) for n in node_runs] + [(n.finished_at, -1) for n in node_runs],
                     key=lambda m: (m[0], m[1]))
    level = peak = 0
    for _, step in moments:
        level += step
        peak = max(peak, level)
    return peak


def test_ray_gives_the_same_artifacts_as_local(ray_runtime, sqlite_url, tmp_path):
    on_ray = run_document(ray_runtime, REPO / "examples" / "hello.yaml", engine="ray")
    local_runtime = open_runtime(f"sqlite:///{tmp_path / 'local.db'}", str(tmp_path / "local-store"))
    local = run_document(local_runtime, REPO / "examples" / "hello.yaml")
    assert on_ray["status"] == "succeeded"
    assert {n: (v["status"], v["outputs"]) for n, v in on_ray["nodes"].items()} == \
           {n: (v["status"], v["outputs"]) for n, v in local["nodes"].items()}
    workers = {n.worker for n in repo.list_node_runs(ray_runtime.db, on_ray["run_id"])}
    assert all(worker.startswith("ray-node-") for worker in workers)


def test_gpu_nodes_run_four_at_a_time(ray_runtime, tmp_path):
    document = {"reelgraph": 1, "name": "gpus", "nodes": {
        f"g{i}": {"type": "util.gpu_sleep", "params": {"seconds": 1.0, "label": str(i)}} for i in range(8)}}
    run_document(ray_runtime, {**document, "name": "warm"}, engine="ray", workspace_root=tmp_path,
                 overrides=[f"g{i}.seconds=0" for i in range(8)])  # start the GPU workers first
    result = run_document(ray_runtime, document, engine="ray", workspace_root=tmp_path)
    node_runs = repo.list_node_runs(ray_runtime.db, result["run_id"])
    assert result["status"] == "succeeded"
    assert max_overlap(node_runs) == 4
    assert {n.gpu for n in node_runs} == {"0", "1", "2", "3"}


def test_failures_skip_downstream_on_ray(ray_runtime, tmp_path):
    result = run_document(ray_runtime, {"reelgraph": 1, "name": "f", "nodes": {
        "bad": {"type": "testpack.fail"}, "after": {"type": "util.noop", "inputs": {"value": "bad.value"}},
        "fine": {"type": "util.value", "params": {"value": 2}}}}, engine="ray", workspace_root=tmp_path)
    assert {n: v["status"] for n, v in result["nodes"].items()} == {"bad": "failed", "after": "skipped",
                                                                    "fine": "succeeded"}


def test_a_model_loads_once_per_gpu(ray_runtime, tmp_path):
    from reelgraph.flows.api import create_run_from
    from reelgraph.flows.ray_engine import RayEngine

    weights = tmp_path / "model.safetensors"
    save_file({"w": np.ones((4, 4), dtype=np.float32)}, str(weights))
    document = {"reelgraph": 1, "name": "residency", "nodes": {
        f"kf{i}": {"type": "testpack.model_user", "params": {"model": str(weights), "index": i}} for i in range(24)}}
    ray.shutdown()
    ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, namespace="reelgraph", log_to_driver=False)
    run_id, _, _ = create_run_from(ray_runtime, document, workspace_root=tmp_path)
    engine = RayEngine(ray_runtime)
    assert engine.execute(run_id) == "succeeded"
    node_runs = repo.list_node_runs(ray_runtime.db, run_id)
    assert {n.gpu for n in node_runs} == {"0", "1"}  # both GPUs worked
    assert engine.model_loads == 2  # and each loaded the model exactly once
    ray.shutdown()
