"""The same graphs on local, ray, prefect and prefect-ray: identical artifact hashes and the same
node statuses in the database; and what Prefect itself records."""
from __future__ import annotations

import asyncio

import pytest

from reelgraph.flows.api import run_document
from reelgraph.flows.runtime import open_runtime
from reelgraph.storage import repository as repo
from tests.conftest import REPO

ENGINES = ["local", "ray", "prefect", "prefect-ray"]
MATRIX_GRAPH = {
    "reelgraph": 1, "name": "parity", "matrix": {"locale": ["en", "es", "ca"]},
    "nodes": {
        "photos": {"type": "image.load", "params": {"paths": ["assets/coffee.png", "assets/astronaut.png"]}},
        "thumb": {"type": "image.resize", "inputs": {"image": "photos.image"}, "params": {"width": 96, "height": 64}},
        "line": {"type": "text.template", "params": {"template": "{l}: a coffee", "values": {"l": "${locale}"}}},
        "gpu": {"type": "util.gpu_sleep", "params": {"seconds": 0.05, "label": "${locale}"}},
        "broken": {"type": "testpack.fail", "inputs": {"value": "gpu.value"}},
        "after": {"type": "util.noop", "inputs": {"value": "broken.value"}},
    },
}


def recorded(runtime, run_id: str) -> dict:
    return {n.node_id: (n.status, n.cache_key, n.outputs) for n in repo.list_node_runs(runtime.db, run_id)}


@pytest.fixture
def engine_results(prefect_server, ray_session, tmp_path, workspace):
    results = {}
    for engine in ENGINES:
        runtime = open_runtime(f"sqlite:///{tmp_path / f'{engine}.db'}", str(tmp_path / f"store-{engine}"))
        hello = run_document(runtime, REPO / "examples" / "hello.yaml", engine=engine)
        matrix = run_document(runtime, MATRIX_GRAPH, engine=engine, workspace_root=workspace)
        results[engine] = (runtime, hello, matrix)
    return results


def test_every_engine_records_the_same_nodes_and_artifacts(engine_results):
    local_runtime, local_hello, local_matrix = engine_results["local"]
    expected = (recorded(local_runtime, local_hello["run_id"]), recorded(local_runtime, local_matrix["run_id"]))
    assert local_hello["status"] == "succeeded" and local_matrix["status"] == "failed"
    assert {s for s, _, _ in expected[1].values()} == {"cached", "succeeded", "failed", "skipped"}
    for engine in ENGINES[1:]:
        runtime, hello, matrix = engine_results[engine]
        assert (recorded(runtime, hello["run_id"]), recorded(runtime, matrix["run_id"])) == expected, engine
        assert repo.get_run(runtime.db, matrix["run_id"]).engine == engine


def test_prefect_shows_an_ordinary_flow_run_with_a_task_per_node(engine_results):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    runtime, hello, _ = engine_results["prefect"]
    flow_run_id = repo.get_run(runtime.db, hello["run_id"]).external_id
    assert flow_run_id

    async def read():
        async with get_client() as client:
            flow_run = await client.read_flow_run(flow_run_id)
            task_runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id])))
            return flow_run, task_runs

    flow_run, task_runs = asyncio.run(read())
    assert flow_run.state.is_completed()
    assert {t.name for t in task_runs} == set(hello["nodes"])
    assert all(t.state.is_completed() for t in task_runs)


def test_a_failed_run_is_a_failed_flow_run(engine_results):
    from prefect.client.orchestration import get_client

    runtime, _, matrix = engine_results["prefect"]

    async def read():
        async with get_client() as client:
            return await client.read_flow_run(repo.get_run(runtime.db, matrix["run_id"]).external_id)

    assert asyncio.run(read()).state.is_failed()


@pytest.mark.parametrize("engine", ENGINES)
def test_progress_events_reach_the_caller_whatever_the_engine(engine, prefect_server, ray_session, tmp_path):
    from reelgraph.flows.events import NodeFinished, NodeStarted
    from reelgraph.nodes import ProgressEvent

    runtime = open_runtime(f"sqlite:///{tmp_path / 'events.db'}", str(tmp_path / "store"))
    events: list = []
    document = {"reelgraph": 1, "name": "events", "nodes": {
        "sleepy": {"type": "util.sleep", "params": {"seconds": 0.3, "label": engine}}}}
    result = run_document(runtime, document, engine=engine, workspace_root=tmp_path, on_event=events.append)
    assert result["status"] == "succeeded"
    kinds = {type(event) for event in events if getattr(event, "node_id", None) == "sleepy"}
    # every kind arrives; across Ray's relay their order is not guaranteed
    assert kinds == {NodeStarted, ProgressEvent, NodeFinished}, events


def test_keyframes_tiny_gives_the_same_bits_on_every_engine(prefect_server, ray_session, tmp_path, monkeypatch):
    """Diffusion, image-to-video and upscale on tiny models: torch runs each node on the threads
    its declared CPUs give it (one here), deterministically, whatever the engine."""
    import shutil

    from tests.node_harness import tiny_model_builder

    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples, ignore=shutil.ignore_patterns("models", "out"))
    tiny_model_builder().build_tiny_models(examples / "models", ["tiny-sd", "tiny-svd"])
    from tests.test_ray_gpu_cluster import signing_key

    signing_key(monkeypatch, tmp_path / "keys")  # validation wants one; the signature itself is not compared
    hashes = {}
    for engine in ENGINES:
        runtime = open_runtime(f"sqlite:///{tmp_path / f'{engine}.db'}", str(tmp_path / f"store-{engine}"))
        result = run_document(runtime, examples / "keyframes_tiny.yaml", engine=engine, targets=["encode"])
        assert result["status"] == "succeeded", (engine, result)
        hashes[engine] = {node_id: node["outputs"] for node_id, node in result["nodes"].items()}
    differing = {engine: sorted(n for n in hashes["local"] if hashes[engine][n] != hashes["local"][n])
                 for engine in ENGINES}
    assert differing == {engine: [] for engine in ENGINES}
