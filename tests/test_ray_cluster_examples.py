"""Every example graph on a Ray cluster shaped as teams run one: a head without GPUs and a worker
with one (simulated) GPU, one CPU each (ray.cluster_utils.Cluster: two raylets on this machine,
reached by address). keyframes_tiny, the one with GPU nodes, is in test_ray_gpu_cluster.py.
A node asking for more than any single node offers fails at once, naming node and resource."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reelgraph.flows.api import run_document
from reelgraph.flows.runtime import open_runtime
from reelgraph.storage import repository as repo
from tests.conftest import REPO
from tests.test_examples import SMALL_CAMPAIGN, SMALL_EXPLAINER

ray = pytest.importorskip("ray")

REDUCED = {
    "hello.yaml": [],
    "explainer.yaml": SMALL_EXPLAINER,
    "campaign.yaml": SMALL_CAMPAIGN,
    "directing.yaml": ["launch.seconds=0.5", "clean.seconds=2"],
}
SIGNERS = {"explainer.yaml": ["video"], "campaign.yaml": ["video"],
           "directing.yaml": ["launch_video", "flickering_video", "refined_video"]}


def signed_with(keys: dict, graph: str) -> list[str]:
    """The signing key as params (files every Ray worker on this machine reads): provenance.sign
    runs in the cluster's workers, which never see this process's environment."""
    return [f"{node}.{param}={keys[name]}" for node in SIGNERS.get(graph, [])
            for param, name in (("key", "key"), ("certificate", "chain"))]


@pytest.fixture(scope="module")
def one_gpu_worker_cluster():
    from ray.cluster_utils import Cluster

    from reelgraph.flows.ray_support import shutdown_ray

    shutdown_ray()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "num_gpus": 0})
    cluster.add_node(num_cpus=1, num_gpus=1)
    cluster.wait_for_nodes()
    yield cluster
    shutdown_ray()
    cluster.shutdown()


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("cluster") / "examples"
    shutil.copytree(REPO / "examples", target, ignore=shutil.ignore_patterns("models", "out"))
    return target


def local_keys(examples: Path) -> dict:
    """A signing key and chain inside the examples' folder (paths must stay in the workspace)."""
    from reelgraph.nodes.provenance.credentials import create_local_ca

    return {name: Path(path).relative_to(examples) for name, path in create_local_ca(examples / "keys").items()}


@pytest.fixture(scope="module")
def keys(examples) -> dict:
    return local_keys(examples)


@pytest.mark.parametrize("graph", sorted(REDUCED))
def test_every_example_succeeds_across_the_cluster(graph, one_gpu_worker_cluster, examples, keys, sqlite_url,
                                                  tmp_path):
    runtime = open_runtime(sqlite_url, str(tmp_path / "store"))
    result = run_document(runtime, examples / graph, engine="ray", overrides=REDUCED[graph] + signed_with(keys, graph),
                          address=one_gpu_worker_cluster.address)
    assert result["status"] == "succeeded", {n: v.get("error") for n, v in result["nodes"].items() if v.get("error")}
    assert all(v["status"] == "succeeded" for v in result["nodes"].values())
    workers = {n.worker for n in repo.list_node_runs(runtime.db, result["run_id"])}
    assert all(worker.startswith("ray-node-") for worker in workers), workers  # ran in the cluster's workers


def two_gpu_graph() -> dict:
    return {"reelgraph": 1, "name": "too-big", "nodes": {
        "big": {"type": "testpack.needs", "params": {"gpus": 2, "cpus": 0}},
        "after": {"type": "util.noop", "inputs": {"value": "big.value"}},
        "small": {"type": "testpack.needs", "params": {"gpus": 1, "cpus": 0}},
    }}


@pytest.mark.parametrize("engine", ["ray", "prefect-ray"])
def test_a_node_needing_more_gpus_than_any_node_has_fails_at_once_naming_it(engine, request, one_gpu_worker_cluster,
                                                                          sqlite_url, tmp_path):
    if engine == "prefect-ray":
        request.getfixturevalue("prefect_server")
    runtime = open_runtime(sqlite_url, str(tmp_path / "store"))
    result = run_document(runtime, two_gpu_graph(), engine=engine, address=one_gpu_worker_cluster.address,
                          workspace_root=tmp_path)
    nodes = result["nodes"]
    assert result["status"] == "failed"
    assert (nodes["big"]["status"], nodes["after"]["status"], nodes["small"]["status"]) == (
        "failed", "skipped", "succeeded")
    assert "cannot place big: it asks for GPU=2 on one node, and the largest node has GPU=1" in nodes["big"]["error"]
    node_run = {n.node_id: n for n in repo.list_node_runs(runtime.db, result["run_id"])}["big"]
    assert node_run.error_code == "unplaceable"


@pytest.mark.parametrize("given, expected", [
    ({"RAY_AUTH_TOKEN_PATH": "token"}, "token"),   # a token named explicitly: send it
    ({"RAY_AUTH_TOKEN": "0" * 64}, "token"),
    ({"RAY_AUTH_TOKEN_PATH": "token", "RAY_AUTH_MODE": "disabled"}, "disabled"),  # an explicit mode wins
    ({"HOME": "."}, "None"),  # a bare ~/.ray/auth_token (any local ray.init leaves one) is no sign
])
def test_an_address_run_sends_the_cluster_token_when_one_is_given(given, expected, tmp_path):
    """`ray start --head` turns token auth on (Ray 2.60) and ray.init(address=...) sends no token
    unless RAY_AUTH_MODE=token: a token given explicitly turns it on. (In a fresh process: Ray's
    auth mode is process-wide, and token mode against a cluster without auth breaks it.)"""
    (tmp_path / ".ray").mkdir()
    for token in (tmp_path / "token", tmp_path / ".ray" / "auth_token"):
        token.write_text("0" * 64)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    env.update({k: str(tmp_path / v) if v in ("token", ".") else v for k, v in given.items()})
    code = ("import os; from reelgraph.flows.ray_support import pass_cluster_token; pass_cluster_token(); "
            "from ray._raylet import AuthenticationMode, get_authentication_mode; "
            "print(os.environ.get('RAY_AUTH_MODE'), get_authentication_mode() == AuthenticationMode.TOKEN)")
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert shown.stdout.split() == [expected, str(expected == "token")], shown.stderr
