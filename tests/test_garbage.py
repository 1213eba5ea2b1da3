"""store gc / store du / runs pin: nothing a kept run references is ever deleted, and runs that
start or run while gc works still finish."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from reelgraph.flows.api import run_document
from reelgraph.flows.store_maintenance import collect_garbage, disk_usage, manifest_children
from reelgraph.graph import GraphBuilder
from reelgraph.nodes.ports import port_kind
from reelgraph.storage import repository as repo
from reelgraph.storage.garbage import GcPolicy, set_pinned
from reelgraph.storage.records import RUNNING
from tests.conftest import reelgraph_cli

KEEP_NEWEST = GcPolicy(keep_last=1, keep_days=None, grace_seconds=0)


def pan(zoom: float, gate: Path | None = None) -> dict:
    """A photo filmed with a camera move: an image list, and frames in a manifest with chunks."""
    g = GraphBuilder(f"pan-{zoom}")
    photos = g.add("photos", "image.load", paths=["assets/coffee.png"])
    camera = g.add("camera", "camera.move", inputs={"images": photos.images}, path=[{"zoom": 1.0}, {"zoom": zoom}],
                   seconds=1, fps=6, width=96, height=54)
    if gate is not None:
        g.add("gate", "testpack.gate", inputs={"frames": camera.frames}, started=str(gate / "started"),
              release=str(gate / "release"))
    return g.document()


def run_blobs(runtime, result: dict) -> set[str]:
    """Every blob a run's outputs consist of, manifests' chunks and image lists' images included."""
    children = manifest_children(runtime)
    blobs = set()
    for node in result["nodes"].values():
        for sha in node["outputs"].values():
            kind = repo.get_artifacts(runtime.db, [sha])[sha].kind
            blobs |= {sha, *children(kind, sha)}
    return blobs


def all_blobs(runtime) -> set[str]:
    return {sha for sha, _, _ in runtime.store.iter_blobs()}


def readable(runtime, result: dict) -> bool:
    """Every output decodes, frame by frame (chunks verified against their hashes on read)."""
    for node in result["nodes"].values():
        for sha in node["outputs"].values():
            artifact = repo.get_artifacts(runtime.db, [sha])[sha]
            value = port_kind(artifact.kind).codec.decode(sha, artifact.meta, runtime.store)
            if artifact.kind == "frames":
                assert all(isinstance(frame, np.ndarray) for frame in value)
    return True


@pytest.fixture
def two_runs(runtime, workspace):
    old = run_document(runtime, pan(1.2), workspace_root=workspace)
    new = run_document(runtime, pan(1.4), workspace_root=workspace)
    assert old["status"] == new["status"] == "succeeded"
    return old, new


def test_gc_deletes_only_what_no_kept_run_references(runtime, two_runs):
    old, new = two_runs
    old_blobs, new_blobs = run_blobs(runtime, old), run_blobs(runtime, new)
    assert old_blobs & new_blobs  # the photo is shared: it must survive
    report = collect_garbage(runtime, KEEP_NEWEST)
    assert report.kept_runs == [new["run_id"]] and report.dropped_runs == [old["run_id"]]
    assert set(report.deleted) == old_blobs - new_blobs
    assert report.freed_bytes == sum(report.deleted.values()) > 0
    assert all_blobs(runtime) == new_blobs  # the new run's chunks and images included
    assert readable(runtime, new)


def test_a_dry_run_lists_the_same_blobs_and_deletes_none(runtime, two_runs):
    before = all_blobs(runtime)
    planned = collect_garbage(runtime, KEEP_NEWEST, dry_run=True)
    assert planned.deleted and all_blobs(runtime) == before
    assert collect_garbage(runtime, KEEP_NEWEST).deleted == planned.deleted


def test_pinned_and_running_runs_keep_their_outputs(runtime, two_runs):
    old, _ = two_runs
    set_pinned(runtime.db, old["run_id"], True)
    assert collect_garbage(runtime, KEEP_NEWEST).deleted == {}
    set_pinned(runtime.db, old["run_id"], False)
    repo.set_run_status(runtime.db, old["run_id"], RUNNING)  # as if resumed
    assert collect_garbage(runtime, KEEP_NEWEST).deleted == {}
    assert readable(runtime, old)


def test_a_run_started_during_gc_keeps_what_it_reuses_and_finishes(runtime, workspace, two_runs):
    old, _ = two_runs
    started = {}

    def start_a_run_between_reading_and_deleting():
        # The same graph as the run gc is about to drop: every node is a cache hit on its blobs.
        started["result"] = run_document(runtime, pan(1.2), workspace_root=workspace)

    report = collect_garbage(runtime, KEEP_NEWEST, before_delete=start_a_run_between_reading_and_deleting)
    again = started["result"]
    assert again["status"] == "succeeded" and again["run_id"] in report.kept_runs
    assert {n["status"] for n in again["nodes"].values()} == {"cached"}
    assert run_blobs(runtime, again) <= all_blobs(runtime) and readable(runtime, again)
    assert report.deleted == {}  # everything the old run held is held by the new one


def test_a_run_executing_during_gc_keeps_its_blobs_and_finishes(runtime, workspace, two_runs, tmp_path):
    gate = tmp_path / "gate"
    gate.mkdir()
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(
        result=run_document(runtime, pan(1.6, gate), workspace_root=workspace)))
    worker.start()
    try:
        poll = threading.Event()
        while not (gate / "started").exists() and worker.is_alive():  # the run is now inside `gate`
            poll.wait(0.01)
        assert (gate / "started").exists()
        running = (gate / "started").read_text()
        report = collect_garbage(runtime, GcPolicy(keep_last=0, keep_days=None, grace_seconds=0))
        assert running in report.kept_runs and set(report.dropped_runs) == {r["run_id"] for r in two_runs}
    finally:
        (gate / "release").write_text("go")
        worker.join(timeout=120)
    result = outcome["result"]
    assert result["status"] == "succeeded" and result["nodes"]["gate"]["status"] == "succeeded"
    assert run_blobs(runtime, result) <= all_blobs(runtime) and readable(runtime, result)


def test_blobs_written_recently_are_spared_and_rewriting_an_old_blob_refreshes_it(runtime, two_runs):
    stray = runtime.store.put_bytes(b"written by a node whose outputs are not recorded yet")
    report = collect_garbage(runtime, GcPolicy(keep_last=1, keep_days=None, grace_seconds=600))
    assert report.deleted == {} and report.spared_new >= 1 and runtime.store.exists(stray)
    old_blob = next(iter(collect_garbage(runtime, KEEP_NEWEST, dry_run=True).deleted))
    path = runtime.store.path_for(old_blob)
    os.utime(path, (1, 1))  # written long ago
    runtime.store.put_bytes(runtime.store.read_bytes(old_blob))  # the same bytes, produced again now
    assert not runtime.store.delete_if_older(old_blob, cutoff=path.stat().st_mtime - 1)
    assert runtime.store.exists(old_blob)


def test_cli_pins_gcs_and_shows_usage(runtime, two_runs, tmp_path):
    old, new = two_runs
    db, store = ["--db", runtime.db.url], ["--store", runtime.store.uri]
    usage = json.loads(reelgraph_cli("store", "du", "--json", *db, *store, cwd=tmp_path).stdout)
    by_run = {u["run_id"]: u for u in usage["runs"]}
    assert set(by_run) == {old["run_id"], new["run_id"]}
    assert 0 < by_run[old["run_id"]]["unique_bytes"] < by_run[old["run_id"]]["bytes"]  # the photo is shared
    pinned = reelgraph_cli("runs", "pin", old["run_id"][:8], *db, cwd=tmp_path)
    assert pinned.returncode == 0 and "pinned" in pinned.stdout
    gc = ["store", "gc", "--keep-last", "1", "--grace-minutes", "0", *db, *store]
    assert json.loads(reelgraph_cli(*gc, "--json", cwd=tmp_path).stdout)["freed_bytes"] == 0
    assert reelgraph_cli("runs", "unpin", old["run_id"], *db, cwd=tmp_path).returncode == 0
    printed = reelgraph_cli(*gc, "--dry-run", cwd=tmp_path)
    assert printed.returncode == 0 and "would free" in printed.stdout
    freed = reelgraph_cli(*gc, cwd=tmp_path)
    assert freed.returncode == 0 and "freed" in freed.stdout and "deleted" in freed.stdout
    usage, total, unreferenced = disk_usage(runtime)
    assert {u.run_id: u.bytes for u in usage}[old["run_id"]] < by_run[old["run_id"]]["bytes"]
