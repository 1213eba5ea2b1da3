"""A run's events and its cancel belong to that run: two runs at once in one process each see
only their own events, and cancelling a run stops it mid-node so that resume finishes it."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from reelgraph.flows.api import resume_run, run_document
from reelgraph.flows.events import NodeFinished, NodeStarted
from reelgraph.flows.runtime import open_runtime
from reelgraph.nodes import ProgressEvent
from reelgraph.storage import repository as repo

ENGINES = ["local", "ray"]


def wait_for(path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.02)


@pytest.fixture
def engine_runtime(request, sqlite_url, tmp_path):
    if request.param == "ray":
        request.getfixturevalue("ray_session")
    runtime = open_runtime(sqlite_url, str(tmp_path / "store"))
    yield request.param, runtime
    runtime.db.dispose()


def gated_graph(name: str, started: Path, release: Path) -> dict:
    return {"reelgraph": 1, "name": name, "nodes": {
        f"{name}_source": {"type": "util.value", "params": {"value": name}},
        f"{name}_gate": {"type": "testpack.wait_for_file", "inputs": {"value": f"{name}_source.value"},
                         "params": {"started": str(started), "release": str(release), "label": name}},
        f"{name}_after": {"type": "util.noop", "inputs": {"value": f"{name}_gate.value"}}}}


@pytest.mark.parametrize("engine_runtime", ENGINES, indirect=True)
def test_two_runs_at_once_each_get_only_their_own_events(engine_runtime, tmp_path):
    engine, runtime = engine_runtime
    # each run's gate waits for the other's to start: both are provably running at the same time
    documents = {name: gated_graph(name, tmp_path / f"{name}.started", tmp_path / f"{other}.started")
                 for name, other in (("alpha", "beta"), ("beta", "alpha"))}
    events: dict[str, list] = {name: [] for name in documents}
    results: dict[str, dict] = {}

    def one_run(name: str) -> None:
        results[name] = run_document(runtime, documents[name], engine=engine, workspace_root=tmp_path,
                                     on_event=events[name].append)

    threads = [threading.Thread(target=one_run, args=(name,)) for name in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    for name, result in results.items():
        assert result["status"] == "succeeded"
        assert {event.node_id.split("_")[0] for event in events[name]} == {name}  # nothing of the other run
        finished = {e.node_id: e for e in events[name] if isinstance(e, NodeFinished)}
        assert set(finished) == set(result["nodes"])
        assert {e.node_id for e in events[name] if isinstance(e, NodeStarted)} == set(result["nodes"])
        assert any(isinstance(e, ProgressEvent) for e in events[name])
        for node_id, node in result["nodes"].items():  # the outputs travel with the event
            assert finished[node_id].outputs == node["outputs"] and node["outputs"]


@pytest.mark.parametrize("engine_runtime", ENGINES, indirect=True)
def test_cancel_stops_a_running_node_and_resume_finishes_the_run(engine_runtime, tmp_path):
    engine, runtime = engine_runtime
    started, release = tmp_path / "gate.started", tmp_path / "gate.release"
    document = gated_graph("solo", started, release)
    cancel, events, outcome = threading.Event(), [], {}
    runner = threading.Thread(target=lambda: outcome.update(run_document(
        runtime, document, engine=engine, workspace_root=tmp_path, on_event=events.append, cancel=cancel)))
    runner.start()
    wait_for(started)  # the gate is executing, reporting progress
    cancel.set()
    runner.join(timeout=120)
    assert not runner.is_alive()
    assert outcome["status"] == "cancelled"
    assert {n: v["status"] for n, v in outcome["nodes"].items()} == {
        "solo_source": "succeeded", "solo_gate": "pending", "solo_after": "pending"}
    gate = repo.get_node_run(runtime.db, outcome["run_id"], "solo_gate")
    assert repo.lease_holder(runtime.db, gate.cache_key) is None  # freed at once, not left to expire
    assert NodeFinished("solo_gate", "cancelled") in events

    release.write_text("go")
    resumed = resume_run(runtime, outcome["run_id"], engine)
    assert resumed["status"] == "succeeded"
    assert resumed["nodes"]["solo_source"]["attempts"] == 1  # reused, not run again
    assert resumed["nodes"]["solo_gate"]["attempts"] == 2
