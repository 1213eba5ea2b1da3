"""A graph across a two-node Ray cluster (ray.cluster_utils.Cluster: two raylets on this machine),
reached by address as a real cluster would be; the cluster has no GPU at all."""
from __future__ import annotations

import logging

import pytest

from reelgraph.flows.api import run_document
from reelgraph.flows.runtime import open_runtime
from reelgraph.storage import repository as repo

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def two_node_cluster():
    from ray.cluster_utils import Cluster

    from reelgraph.flows.ray_support import shutdown_ray

    shutdown_ray()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "num_gpus": 0})
    cluster.add_node(num_cpus=1, num_gpus=0)
    cluster.wait_for_nodes()
    yield cluster
    shutdown_ray()
    cluster.shutdown()


def test_a_graph_runs_across_both_nodes_and_gpu_work_falls_back_to_cpu(two_node_cluster, sqlite_url, tmp_path,
                                                                       caplog):
    runtime = open_runtime(sqlite_url, str(tmp_path / "store"))
    document = {"reelgraph": 1, "name": "spread", "nodes": {
        **{f"s{i}": {"type": "util.sleep", "params": {"seconds": 1.5, "label": str(i)}} for i in range(4)},
        "gpu": {"type": "util.gpu_sleep", "params": {"seconds": 0.1}},
        "join": {"type": "util.noop", "inputs": {"value": "s0.value"}},
    }}
    with caplog.at_level(logging.WARNING, logger="reelgraph.flows.ray_engine"):
        result = run_document(runtime, document, engine="ray", address=two_node_cluster.address,
                              workspace_root=tmp_path)
    assert result["status"] == "succeeded", result
    ray_nodes = {n.worker.split("-pid-")[0] for n in repo.list_node_runs(runtime.db, result["run_id"])}
    assert len(ray_nodes) == 2
    assert "no GPU" in caplog.text
