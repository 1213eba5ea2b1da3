"""A two-node Ray cluster as teams run it: a head without GPUs and a worker holding the (simulated)
GPUs, one CPU each (ray.cluster_utils.Cluster: two raylets on this machine, reached by address).
Runs either finish, or fail within the placement timeout naming the node and what it asked for;
they never wait for ever."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reelgraph.flows.api import run_document
from reelgraph.flows.runtime import open_runtime
from reelgraph.storage import repository as repo
from tests.conftest import REPO
from tests.node_harness import tiny_model_builder

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def gpu_worker_cluster():
    from ray.cluster_utils import Cluster

    from reelgraph.flows.ray_support import shutdown_ray

    shutdown_ray()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "num_gpus": 0})
    cluster.add_node(num_cpus=1, num_gpus=2)
    cluster.wait_for_nodes()
    yield cluster
    shutdown_ray()
    cluster.shutdown()


def signing_key(monkeypatch, folder: Path) -> None:
    """keyframes_tiny ends in provenance.sign, which validation wants a key for."""
    from reelgraph.nodes.provenance.credentials import create_local_ca

    paths = create_local_ca(folder)
    monkeypatch.setenv("REELGRAPH_C2PA_KEY", str(paths["key"]))
    monkeypatch.setenv("REELGRAPH_C2PA_CERT", str(paths["chain"]))


def test_keyframes_tiny_finishes_with_gpus_only_on_the_worker(gpu_worker_cluster, sqlite_url, tmp_path,
                                                              monkeypatch):
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples, ignore=shutil.ignore_patterns("models", "out"))
    tiny_model_builder().build_tiny_models(examples / "models", ["tiny-sd", "tiny-svd"])
    signing_key(monkeypatch, tmp_path / "keys")
    runtime = open_runtime(sqlite_url, str(tmp_path / "store"))
    result = run_document(runtime, examples / "keyframes_tiny.yaml", engine="ray", targets=["encode"],
                          address=gpu_worker_cluster.address)  # up to the encode: signing is tested elsewhere
    assert result["status"] == "succeeded", result
    node_runs = {n.node_id: n for n in repo.list_node_runs(runtime.db, result["run_id"])}
    assert node_runs["kf"].gpu in {"0", "1"}  # the GPU nodes went to the worker's GPUs
    assert node_runs["encode"].status == "succeeded"  # asks for 2 CPUs; no node has 2: capped, not stuck


def test_a_run_the_cluster_cannot_place_fails_naming_the_node_and_resource(gpu_worker_cluster, sqlite_url,
                                                                           tmp_path, monkeypatch):
    import reelgraph.flows.ray_engine as ray_engine
    from reelgraph.flows.ray_support import ensure_ray

    ensure_ray(gpu_worker_cluster.address)

    @ray.remote(num_cpus=1)
    class Hog:  # another user's actors holding every CPU of the cluster
        def ready(self) -> bool:
            return True

    hogs = [Hog.remote() for _ in range(2)]
    ray.get([hog.ready.remote() for hog in hogs])
    monkeypatch.setattr(ray_engine, "PLACEMENT_SECONDS", 3.0)
    monkeypatch.setattr(ray_engine, "warm_cpu_workers", lambda config: None)  # it would wait for a CPU too
    try:
        runtime = open_runtime(sqlite_url, str(tmp_path / "store"))
        result = run_document(runtime, {"reelgraph": 1, "name": "starved", "nodes": {
            "lonely": {"type": "util.sleep", "params": {"seconds": 0.1}}}}, engine="ray",
            address=gpu_worker_cluster.address, workspace_root=tmp_path)
    finally:
        for hog in hogs:
            ray.kill(hog)
    assert result["status"] == "failed"
    error = result["nodes"]["lonely"]["error"]
    assert "lonely asks for CPU=1" in error and "nodes offer CPU=1 GPU=0; CPU=1 GPU=2" in error.replace(
        "CPU=1 GPU=2; CPU=1 GPU=0", "CPU=1 GPU=0; CPU=1 GPU=2")
