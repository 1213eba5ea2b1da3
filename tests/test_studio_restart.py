"""The queue survives the server: `reelgraph ui` killed with SIGKILL while runs wait, started
again on the same database, finishes every run (the one in flight is resumed, not lost)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reelgraph.storage import event_repository as events
from reelgraph.storage import open_database
from reelgraph.storage import repository as repo
from tests.studio_harness import TOKEN, wait_until

RUNS = 8


def _start_ui(cwd: Path, graphs: Path, db_url: str, store: Path) -> tuple[subprocess.Popen, httpx.Client]:
    command = [str(Path(sys.executable).parent / "reelgraph"), "ui", "--port", "0", "--workers", "1",
               "--graphs", str(graphs), "--db", db_url, "--store", str(store)]
    env = {**os.environ, "REELGRAPH_UI_TOKEN": TOKEN, "REELGRAPH_HEARTBEAT_SECONDS": "0.5"}
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:  # the server prints its login URL once it is listening
        if "login URL:" in line:
            base = line.split("login URL:")[1].strip().split("/login")[0]
            break
    else:
        raise AssertionError(f"reelgraph ui exited with {process.wait()} before printing its URL")
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    wait_until(lambda: client.get("/api/v1/queue").status_code == 200, 30, what="the server to answer")
    return process, client


@pytest.mark.slow
def test_queued_runs_survive_a_killed_server(tmp_path):
    graphs = tmp_path / "graphs"
    graphs.mkdir()
    log = tmp_path / "executions.log"
    (graphs / "tick.yaml").write_text(
        "reelgraph: 1\nname: tick\nnodes:\n"
        f"  tick: {{type: testpack.count, params: {{log: '{log}', seconds: 0.3}}}}\n")
    db_url, store = f"sqlite:///{tmp_path / 'reelgraph.db'}", tmp_path / "store"

    first, client = _start_ui(tmp_path, graphs, db_url, store)
    try:
        client.post("/api/v1/queue/pause")
        run_ids = [client.post("/api/v1/runs", json={"path": "tick.yaml", "overrides": [f"tick.label=run{i}"]}
                               ).json()["run_id"] for i in range(RUNS)]
        client.post("/api/v1/queue/resume")
        wait_until(lambda: any(client.get(f"/api/v1/runs/{r}").json()["status"] == "succeeded" for r in run_ids),
                   60, what="a first run to finish")
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        first.stdout.close()
        client.close()

    db = open_database(db_url)
    statuses = {r: repo.get_run(db, r).status for r in run_ids}
    assert "queued" in statuses.values(), statuses  # the kill left runs waiting

    second, client = _start_ui(tmp_path, graphs, db_url, store)
    try:
        wait_until(lambda: {repo.get_run(db, r).status for r in run_ids} == {"succeeded"}, 120, interval=0.2,
                   what="every run to finish after the restart")
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)
        second.stdout.close()
        client.close()
    finished = [e.run_id for e in events.events_after(db, 0, limit=100_000) if e.kind == "run_finished"]
    assert sorted(finished) == sorted(run_ids)  # each run finished once
    assert len(log.read_text().splitlines()) >= RUNS  # each executed (the one in flight maybe twice)
    db.dispose()


def test_reelgraph_worker_takes_runs_from_the_database_and_stops_on_sigint(tmp_path):
    from reelgraph.flows.api import create_run_from
    from reelgraph.flows.runtime import open_runtime
    from reelgraph.storage import queue_repository as queue

    db_url, store = f"sqlite:///{tmp_path / 'reelgraph.db'}", str(tmp_path / "store")
    runtime = open_runtime(db_url, store)
    document = {"reelgraph": 1, "name": "tick", "nodes": {
        "tick": {"type": "testpack.count", "params": {"log": str(tmp_path / "log"), "label": "elsewhere"}}}}
    run_id, _, _ = create_run_from(runtime, document, workspace_root=tmp_path)
    queue.enqueue(runtime.db, run_id)
    command = [str(Path(sys.executable).parent / "reelgraph"), "worker", "--db", db_url, "--store", store]
    worker = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: repo.get_run(runtime.db, run_id).status == "succeeded", 120, interval=0.1,
                   what="the worker to finish the run")
    finally:
        worker.send_signal(signal.SIGINT)
        output = worker.communicate(timeout=60)[0]
    assert worker.returncode == 0, output
    assert queue.get_entry(runtime.db, run_id).claimed_by.endswith("/w0")
    runtime.db.dispose()
