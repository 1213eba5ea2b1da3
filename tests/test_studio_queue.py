"""The render queue in the database: concurrent workers each take a run exactly once (SQLite and
PostgreSQL), priorities and pause hold, runs of a dead worker go back to the queue."""
from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from reelgraph.flows.api import create_run_from
from reelgraph.flows.studio.worker import QueueWorker
from reelgraph.storage import event_repository as events
from reelgraph.storage import queue_repository as queue
from reelgraph.storage import repository as repo
from tests.studio_harness import gated_document, wait_until

RUNS, WORKERS = 200, 4


def _counting_graph(log: Path) -> dict:
    """One node that appends a line to `log` each time it really executes."""
    return {"reelgraph": 1, "name": "tick", "nodes": {"tick": {"type": "testpack.count", "params": {"log": str(log)}}}}


def _queue_runs(runtime, document: dict, count: int, workspace: Path) -> list[str]:
    run_ids = []
    for index in range(count):
        run_id, _, _ = create_run_from(runtime, document, workspace_root=workspace, overrides=[f"tick.label=run{index}"])
        queue.enqueue(runtime.db, run_id)
        run_ids.append(run_id)
    return run_ids


def test_four_workers_execute_each_of_200_queued_runs_exactly_once(runtime, tmp_path):
    log = tmp_path / "executions.log"
    run_ids = _queue_runs(runtime, _counting_graph(log), RUNS, tmp_path)
    claims: list[tuple[str, str]] = []
    claims_lock = threading.Lock()
    stop = threading.Event()

    def claimed_by(name):
        def record(run_id):
            with claims_lock:
                claims.append((run_id, name))
        return record

    workers = [QueueWorker(runtime, name=f"w{i}", on_claim=claimed_by(f"w{i}")) for i in range(WORKERS)]
    threads = [threading.Thread(target=w.run_forever, args=(stop, 0.05)) for w in workers]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: all(repo.get_run(runtime.db, r).status == "succeeded" for r in run_ids[-5:])
                   and not queue.list_entries(runtime.db), timeout=400, interval=0.2, what="the queue to drain")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert sorted(run_id for run_id, _ in claims) == sorted(run_ids)  # every run claimed, none twice
    assert len({name for _, name in claims}) > 1  # the work really was shared
    assert {repo.get_run(runtime.db, r).status for r in run_ids} == {"succeeded"}
    executed = Counter(line.split()[0] for line in log.read_text().splitlines())
    assert len(executed) == 1 and sum(executed.values()) == RUNS  # the node ran once per run
    running = Counter(e.run_id for e in events.events_after(runtime.db, 0, limit=100_000)
                      if e.kind == "run_status" and e.data["status"] == "running")
    finished = Counter(e.run_id for e in events.events_after(runtime.db, 0, limit=100_000) if e.kind == "run_finished")
    assert running == finished == Counter({run_id: 1 for run_id in run_ids})


def test_a_paused_queue_is_not_claimed_and_priority_goes_first(runtime, tmp_path):
    first, second = _queue_runs(runtime, _counting_graph(tmp_path / "log"), 2, tmp_path)
    queue.set_paused(runtime.db, True)
    assert queue.claim_next(runtime.db, "w") is None
    queue.set_paused(runtime.db, False)
    assert queue.set_priority(runtime.db, second, 5)
    assert queue.position(runtime.db, second) == 1 and queue.position(runtime.db, first) == 2
    assert queue.claim_next(runtime.db, "w") == second
    assert queue.claim_next(runtime.db, "w") == first
    assert queue.claim_next(runtime.db, "w") is None
    assert not queue.set_priority(runtime.db, first, 9)  # running now: no longer reorderable


def test_a_run_whose_worker_stopped_heartbeating_is_queued_again_and_resumed(runtime, tmp_path):
    (run_id,) = _queue_runs(runtime, _counting_graph(tmp_path / "log"), 1, tmp_path)
    assert queue.claim_next(runtime.db, "dead-worker") == run_id
    assert queue.requeue_stale(runtime.db, stale_after=3600) == []  # its heartbeat is fresh
    assert queue.requeue_stale(runtime.db, stale_after=-1) == [run_id]
    assert repo.get_run(runtime.db, run_id).status == "queued"
    assert QueueWorker(runtime, name="alive").run_one()
    assert repo.get_run(runtime.db, run_id).status == "succeeded"
    assert queue.get_entry(runtime.db, run_id).claimed_by == "alive"


def test_a_worker_stopped_mid_run_puts_the_run_back_in_the_queue(runtime, tmp_path):
    started, release = tmp_path / "gate.started", tmp_path / "gate.release"
    run_id, _, _ = create_run_from(runtime, gated_document(started, release), workspace_root=tmp_path)
    queue.enqueue(runtime.db, run_id)
    stop = threading.Event()
    thread = threading.Thread(target=QueueWorker(runtime, name="leaving").run_forever, args=(stop, 0.05))
    thread.start()
    wait_until(started.exists, 60, what="the gate node to start")
    stop.set()  # what SIGINT does to `reelgraph worker`, and shutdown to `reelgraph ui`
    thread.join(timeout=60)
    assert repo.get_run(runtime.db, run_id).status == "queued"
    last = events.events_after(runtime.db, 0, run_id=run_id)[-1]
    assert last.kind == "run_status" and last.data["status"] == "queued"
    release.touch()
    assert QueueWorker(runtime, name="next").run_one()
    assert repo.get_run(runtime.db, run_id).status == "succeeded"


def test_graph_paths_stay_inside_the_graphs_folder(tmp_path):
    from reelgraph.flows.studio.graph_files import BadPath, resolve

    (tmp_path / "graphs").mkdir()
    (tmp_path / "graphs" / "escape").symlink_to(tmp_path)
    root = tmp_path / "graphs"
    assert resolve(root, "shots/a.yaml") == root.resolve() / "shots" / "a.yaml"
    for bad in ("../a.yaml", "/etc/a.yaml", "shots/../../a.yaml", ".hidden/a.yaml", "a.py", "escape/a.yaml", ""):
        with pytest.raises(BadPath):
            resolve(root, bad)
