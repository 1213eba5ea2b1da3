"""The node runner and the local engine, on SQLite and PostgreSQL."""
from __future__ import annotations

from pathlib import Path

from reelgraph.flows.api import create_run_from, execute_run, resume_run, run_document
from reelgraph.flows.results import run_result
from reelgraph.storage import repository as repo

REPO = Path(__file__).resolve().parent.parent
HELLO = REPO / "examples" / "hello.yaml"


def statuses(result: dict) -> dict[str, str]:
    return {node_id: node["status"] for node_id, node in result["nodes"].items()}


def graph(nodes: dict, **extra) -> dict:
    return {"reelgraph": 1, "name": "test", "nodes": nodes, **extra}


def test_hello_runs_then_comes_entirely_from_cache(runtime):
    first = run_document(runtime, HELLO)
    assert first["status"] == "succeeded"
    assert set(statuses(first).values()) == {"succeeded"}
    second = run_document(runtime, HELLO)
    assert set(statuses(second).values()) == {"cached"}
    assert {n: v["outputs"] for n, v in second["nodes"].items()} == {n: v["outputs"] for n, v in first["nodes"].items()}
    for node_run in repo.list_node_runs(runtime.db, second["run_id"]):
        assert node_run.attempts == 0 and node_run.cached_from is not None


def test_set_reexecutes_exactly_the_node_and_its_downstream(runtime, workspace):
    document = graph({
        "photos": {"type": "image.load", "params": {"paths": ["assets/coffee.png"]}},
        "thumb": {"type": "image.resize", "inputs": {"image": "photos.image"}, "params": {"width": 64}},
        "small": {"type": "image.resize", "inputs": {"image": "thumb.image"}, "params": {"width": 32}},
        "other": {"type": "image.resize", "inputs": {"image": "photos.image"}, "params": {"width": 48}},
    })
    run_document(runtime, document, workspace_root=workspace)
    again = run_document(runtime, document, workspace_root=workspace, overrides=["thumb.width=80"])
    assert statuses(again) == {"photos": "cached", "thumb": "succeeded", "small": "succeeded", "other": "cached"}


def test_outputs_are_real_artifacts(runtime, workspace):
    result = run_document(runtime, graph({
        "photos": {"type": "image.load", "params": {"paths": ["assets/coffee.png"]}},
        "thumb": {"type": "image.resize", "inputs": {"image": "photos.image"},
                  "params": {"width": 40, "height": 30, "fit": "stretch"}}}), workspace_root=workspace)
    sha = result["nodes"]["thumb"]["outputs"]["image"]
    artifact = repo.get_artifacts(runtime.db, [sha])[sha]
    assert (artifact.kind, artifact.mime, artifact.meta["width"], artifact.meta["height"]) == ("image", "image/png", 40, 30)
    from PIL import Image

    with Image.open(runtime.store.local_path(sha)) as image:
        assert image.size == (40, 30)


def test_a_failing_node_fails_only_its_downstream(runtime, tmp_path):
    document = graph({
        "source": {"type": "util.value", "params": {"value": 1}},
        "broken": {"type": "testpack.fail", "inputs": {"value": "source.value"}, "params": {"message": "boom"}},
        "after": {"type": "util.noop", "inputs": {"value": "broken.value"}},
        "after2": {"type": "util.noop", "inputs": {"value": "after.value"}},
        "independent": {"type": "util.sleep", "inputs": {"value": "source.value"}, "params": {"seconds": 0.2}},
    })
    result = run_document(runtime, document, workspace_root=tmp_path)
    assert result["status"] == "failed"
    assert statuses(result) == {"source": "succeeded", "broken": "failed", "after": "skipped", "after2": "skipped",
                                "independent": "succeeded"}
    broken = repo.get_node_run(runtime.db, result["run_id"], "broken")
    assert "boom" in broken.error and broken.error_code == "node_failed" and "NodeError" in broken.traceback
    assert "broken" in repo.get_node_run(runtime.db, result["run_id"], "after").error
    assert repo.get_run(runtime.db, result["run_id"]).status == "failed"


def test_resume_reruns_only_what_did_not_succeed(runtime, tmp_path):
    marker, log = tmp_path / "marker", tmp_path / "calls.log"
    document = graph({
        "a": {"type": "testpack.count", "params": {"log": str(log), "label": "a"}},
        "flaky": {"type": "testpack.fail_once", "inputs": {"value": "a.value"}, "params": {"marker": str(marker)}},
        "b": {"type": "testpack.count", "inputs": {"value": "flaky.value"}, "params": {"log": str(log), "label": "b"}},
    })
    first = run_document(runtime, document, workspace_root=tmp_path)
    assert statuses(first) == {"a": "succeeded", "flaky": "failed", "b": "skipped"}
    assert "RuntimeError: transient failure" in first["nodes"]["flaky"]["error"]
    resumed = resume_run(runtime, first["run_id"])
    assert resumed["run_id"] == first["run_id"] and resumed["status"] == "succeeded"
    assert statuses(resumed) == {"a": "succeeded", "flaky": "succeeded", "b": "succeeded"}
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["a", "b"]  # a ran once
    assert repo.get_node_run(runtime.db, first["run_id"], "flaky").attempts == 2


def test_retries_from_the_node_policy(runtime, tmp_path):
    result = run_document(runtime, graph({"r": {"type": "testpack.retried", "params": {"marker": str(tmp_path / "m")}}}),
                          workspace_root=tmp_path)
    assert statuses(result) == {"r": "succeeded"}
    assert repo.get_node_run(runtime.db, result["run_id"], "r").attempts == 2


def test_target_runs_only_what_the_node_needs(runtime, tmp_path):
    document = graph({"a": {"type": "util.value"}, "b": {"type": "util.noop", "inputs": {"value": "a.value"}},
                      "c": {"type": "util.noop", "inputs": {"value": "a.value"}, "params": {"label": "c"}}})
    result = run_document(runtime, document, workspace_root=tmp_path, targets=["b"])
    assert statuses(result) == {"a": "succeeded", "b": "succeeded"}


def test_non_deterministic_nodes_never_hit_the_cache(runtime, tmp_path):
    document = graph({"r": {"type": "testpack.random"}})
    first = run_document(runtime, document, workspace_root=tmp_path)
    second = run_document(runtime, document, workspace_root=tmp_path)
    assert statuses(second) == {"r": "succeeded"}
    assert first["nodes"]["r"]["outputs"] != second["nodes"]["r"]["outputs"]


def test_independent_branches_run_in_parallel(runtime, tmp_path):
    document = graph({f"s{i}": {"type": "util.sleep", "params": {"seconds": 0.5, "label": str(i)}} for i in range(2)})
    result = run_document(runtime, document, workspace_root=tmp_path, cpu_slots=2)
    first, second = (repo.get_node_run(runtime.db, result["run_id"], n) for n in ("s0", "s1"))
    assert first.started_at < second.finished_at and second.started_at < first.finished_at


def test_gpu_slots_serialise_gpu_nodes(runtime, tmp_path):
    document = graph({f"g{i}": {"type": "util.gpu_sleep", "params": {"seconds": 0.3, "label": str(i)}} for i in range(2)})
    result = run_document(runtime, document, workspace_root=tmp_path, cpu_slots=4, gpu_slots=1)
    first, second = sorted((repo.get_node_run(runtime.db, result["run_id"], n) for n in ("g0", "g1")),
                           key=lambda n: n.started_at)
    assert first.finished_at <= second.started_at


def test_a_run_records_what_every_engine_needs(runtime):
    run_id, plan, settled = create_run_from(runtime, HELLO)
    assert settled == 0
    pending = repo.list_node_runs(runtime.db, run_id)
    assert {n.status for n in pending} == {"pending"}
    assert {n.node_id: n.cache_key for n in pending} == {n.id: n.cache_key for n in plan.nodes.values()}
    execute_run(runtime, run_id)
    assert run_result(runtime, run_id)["status"] == "succeeded"
    run = repo.get_run(runtime.db, run_id)
    assert run.started_at <= run.finished_at and run.graph_name == "hello"
