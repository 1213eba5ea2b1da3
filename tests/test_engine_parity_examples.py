"""The same bits on every engine for the example graphs (reduced sizes): every node's artifact
hashes are identical on local, ray and prefect; and the torch thread setting that makes it so
holds per node thread in the local engine's pool. keyframes_tiny is in test_engine_parity.py."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from reelgraph.flows.api import run_document
from reelgraph.flows.devices import pin_torch_threads
from reelgraph.flows.runtime import open_runtime
from tests.conftest import REPO
from tests.test_examples import SMALL_CAMPAIGN, SMALL_EXPLAINER
from tests.test_ray_cluster_examples import local_keys, signed_with

ENGINES = ["local", "ray", "prefect"]


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("parity") / "examples"
    shutil.copytree(REPO / "examples", target, ignore=shutil.ignore_patterns("models", "out"))
    return target


@pytest.mark.parametrize("graph, overrides", [("explainer.yaml", SMALL_EXPLAINER), ("campaign.yaml", SMALL_CAMPAIGN)])
def test_an_example_gives_the_same_artifacts_on_every_engine(graph, overrides, examples, prefect_server, ray_session,
                                                            tmp_path):
    """Up to the encode: a C2PA signature holds its signing time, so it differs on every run."""
    overrides = overrides + signed_with(local_keys(examples), graph)  # validation wants a key
    outputs = {}
    for engine in ENGINES:
        runtime = open_runtime(f"sqlite:///{tmp_path / f'{engine}.db'}", str(tmp_path / f"store-{engine}"))
        result = run_document(runtime, examples / graph, engine=engine, overrides=overrides, targets=["encode"])
        assert result["status"] == "succeeded", (engine, {n: v["error"] for n, v in result["nodes"].items() if v["error"]})
        outputs[engine] = {node_id: node["outputs"] for node_id, node in result["nodes"].items()}
    differing = {engine: sorted(n for n in outputs["local"] if outputs[engine][n] != outputs["local"][n])
                 for engine in ENGINES[1:]}
    assert differing == {"ray": [], "prefect": []}


def test_concurrent_node_threads_keep_their_own_torch_thread_count():
    """The local engine runs nodes in threads of one process: a 1-CPU node beside a 2-CPU node
    must still run its ops on one thread, whichever thread set its count last or ran first."""
    torch = pytest.importorskip("torch")
    counts: dict[int, int] = {}
    both_set, both_ran = threading.Barrier(2), threading.Barrier(2)

    def node(cpus: int) -> None:
        pin_torch_threads({"cpus": cpus})
        both_set.wait()
        weights = torch.randn(128, 128)
        (weights @ weights).sum()  # this thread's first parallel op
        both_ran.wait()
        counts[cpus] = torch.get_num_threads()

    threads = [threading.Thread(target=node, args=(cpus,)) for cpus in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts == {1: 1, 2: 2}
