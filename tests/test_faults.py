"""Faults reelgraph must survive without losing work: dead workers, dead orchestrators, corrupted
or missing artifacts, and runs racing for the same work on one database."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reelgraph.flows.api import run_document
from reelgraph.flows.runtime import open_runtime
from reelgraph.storage import repository as repo
from tests.conftest import reelgraph_cli

FAST_HEARTBEAT = {"REELGRAPH_HEARTBEAT_SECONDS": "0.5"}  # stale after 1.5 s


def wait_for(path: Path, process: subprocess.Popen | None = None, timeout: float = 600) -> str:
    """The file's text once a node wrote it. The timeout only bounds a broken test (starting Ray
    on a loaded 2-core machine took over 60 s); a process that exits first fails at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the run exited ({process.returncode}) before {path.name} appeared: "
                                 f"{process.stderr.read()[-2000:] if process.stderr else ''}")
        time.sleep(0.05)
    raise TimeoutError(f"{path} never appeared")


def write_graph(folder: Path, nodes: dict) -> Path:
    path = folder / "graph.json"
    path.write_text(json.dumps({"reelgraph": 1, "name": "faults", "nodes": nodes}))
    return path


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_killing_the_orchestrator_then_resume_finishes_the_run(tmp_path, engine):
    log, pid_file, release = tmp_path / "calls.log", tmp_path / "slow.pid", tmp_path / "release"
    write_graph(tmp_path, {
        "first": {"type": "testpack.count", "params": {"log": str(log), "label": "first"}},
        "slow": {"type": "testpack.count", "inputs": {"value": "first.value"},
                 "params": {"log": str(log), "label": "slow", "pid_file": str(pid_file),
                            "release_file": str(release)}},
        "last": {"type": "testpack.count", "inputs": {"value": "slow.value"}, "params": {"log": str(log)}},
    })
    command = [str(Path(sys.executable).parent / "reelgraph"), "run", "graph.json", "--engine", engine, "--json"]
    process = subprocess.Popen(command, cwd=tmp_path, env={**os.environ, **FAST_HEARTBEAT},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    wait_for(pid_file, process)  # `slow` is executing, and stays so until released
    os.killpg(process.pid, signal.SIGKILL)  # the orchestrator and everything it started
    process.wait()
    runs = json.loads(reelgraph_cli("runs", "list", "--json", cwd=tmp_path).stdout)
    run_id = runs[0]["run_id"]
    shown = json.loads(reelgraph_cli("runs", "show", run_id, "--json", cwd=tmp_path).stdout)
    # its process is gone from this host: seen at once, no heartbeat to wait out
    assert shown["status"] == "interrupted" and shown["nodes"]["slow"]["status"] == "pending"
    release.touch()  # the retry may finish
    result = reelgraph_cli("resume", run_id, "--json", cwd=tmp_path, env=FAST_HEARTBEAT)
    resumed = json.loads(result.stdout)
    assert result.returncode == 0 and resumed["status"] == "succeeded"
    assert resumed["nodes"]["slow"]["attempts"] == 2  # the interrupted attempt, then the retry
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["first", "slow", "last"]  # first: once


def test_resume_refuses_while_the_run_is_alive(tmp_path):
    started, release = tmp_path / "slow.started", tmp_path / "slow.release"
    write_graph(tmp_path, {"slow": {"type": "testpack.wait_for_file", "params": {  # runs until we release it
        "started": str(started), "release": str(release)}}})
    # the default heartbeat (stale after 30 s): a starved heartbeat thread on a loaded machine
    # must not make the live run look dead
    process = subprocess.Popen([str(Path(sys.executable).parent / "reelgraph"), "run", "graph.json"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(started, process)
        run_id = json.loads(reelgraph_cli("runs", "list", "--json", cwd=tmp_path).stdout)[0]["run_id"]
        refused = reelgraph_cli("resume", run_id, cwd=tmp_path)
        assert refused.returncode == 1 and "still being executed" in refused.stderr
    finally:
        release.write_text("go")
        process.wait(timeout=120)
    assert process.returncode == 0  # the live run was not disturbed by the refused resume


def test_a_killed_ray_worker_is_retried_and_the_run_succeeds(ray_session, sqlite_url, tmp_path):
    runtime = open_runtime(sqlite_url, str(tmp_path / "store"))
    pid_file, release = tmp_path / "worker.pid", tmp_path / "release"
    document = {"reelgraph": 1, "name": "worker-death", "nodes": {
        "victim": {"type": "testpack.count", "params": {"log": str(tmp_path / "log"), "pid_file": str(pid_file),
                                                         "release_file": str(release)}},
        "after": {"type": "util.noop", "inputs": {"value": "victim.value"}}}}

    def kill_the_first_worker():
        os.kill(int(wait_for(pid_file)), signal.SIGKILL)  # blocked on `release`: it cannot finish first
        pid_file.unlink()
        release.touch()  # the retry may finish

    killer = threading.Thread(target=kill_the_first_worker)
    killer.start()
    result = run_document(runtime, document, engine="ray", workspace_root=tmp_path)
    killer.join()
    assert result["status"] == "succeeded"
    victim = repo.get_node_run(runtime.db, result["run_id"], "victim")
    assert victim.attempts == 2
    assert len((tmp_path / "log").read_text().splitlines()) == 1  # the killed attempt never finished
    sha = victim.outputs["value"]
    assert json.loads(runtime.store.read_bytes(sha)) == ""  # what it references is whole


def test_a_ray_worker_killed_inside_a_fused_line_runs_the_line_again(ray_session, sqlite_url, tmp_path, monkeypatch):
    """A line of cheap nodes is one Ray task with its records written at its end: the worker dying
    mid-line leaves every node of it running with its lease, and Ray's retry must take them over."""
    from reelgraph_testpack import CountCalls

    monkeypatch.setattr(CountCalls, "cheap", True)  # the driver decides fusion; workers just run the line
    runtime = open_runtime(sqlite_url, str(tmp_path / "store"))
    pid_file, release, log = tmp_path / "worker.pid", tmp_path / "release", tmp_path / "log"
    document = {"reelgraph": 1, "name": "fused-worker-death", "nodes": {
        "first": {"type": "testpack.count", "params": {"log": str(log), "label": "start"}},
        "victim": {"type": "testpack.count", "inputs": {"value": "first.value"},
                   "params": {"log": str(log), "pid_file": str(pid_file), "release_file": str(release)}},
        "after": {"type": "util.noop", "inputs": {"value": "victim.value"}}}}

    def kill_the_first_worker():
        os.kill(int(wait_for(pid_file)), signal.SIGKILL)  # mid-line: `first` ran, nothing is recorded yet
        pid_file.unlink()
        release.touch()

    killer = threading.Thread(target=kill_the_first_worker)
    killer.start()
    result = run_document(runtime, document, engine="ray", workspace_root=tmp_path)
    killer.join()
    assert result["status"] == "succeeded", result
    runs = {n.node_id: n for n in repo.list_node_runs(runtime.db, result["run_id"])}
    assert runs["victim"].attempts == 2 and runs["first"].attempts == 2  # the whole line again
    assert sorted(line.split()[0] for line in log.read_text().splitlines()) == ["first", "first", "victim"]
    assert json.loads(runtime.store.read_bytes(runs["after"].outputs["value"])) == "start"
    runtime.db.dispose()


@pytest.mark.parametrize("damage", ["corrupt", "delete"])
def test_a_damaged_artifact_is_detected_and_its_producer_runs_again(runtime, workspace, damage):
    document = {"reelgraph": 1, "name": "integrity", "nodes": {
        "photos": {"type": "image.load", "params": {"paths": ["assets/coffee.png"]}},
        "thumb": {"type": "image.resize", "inputs": {"image": "photos.image"}, "params": {"width": 64}},
        "small": {"type": "image.resize", "inputs": {"image": "thumb.image"}, "params": {"width": 32}}}}
    first = run_document(runtime, document, workspace_root=workspace)
    sha = first["nodes"]["thumb"]["outputs"]["image"]
    blob = runtime.store.path_for(sha)
    if damage == "corrupt":
        data = bytearray(blob.read_bytes())
        data[len(data) // 2] ^= 0xFF
        blob.write_bytes(bytes(data))
    else:
        blob.unlink()
    second = run_document(runtime, document, workspace_root=workspace, overrides=["small.width=24"])
    assert second["status"] == "succeeded"
    assert second["nodes"]["thumb"]["status"] == "succeeded"  # recomputed, never used damaged
    assert second["nodes"]["thumb"]["outputs"]["image"] == sha  # the same bytes, content-addressed
    assert runtime.store.read_bytes(sha)  # whole again (read_bytes verifies the hash)


@pytest.mark.postgres
def test_eight_racing_runs_on_one_database_compute_shared_work_once(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("the race runs on PostgreSQL")
    log = tmp_path / "shared.log"
    store = str(tmp_path / "store")

    def graph(index: int) -> dict:
        return {"reelgraph": 1, "name": f"race-{index}", "nodes": {
            "shared": {"type": "testpack.count", "params": {"log": str(log), "label": "shared", "seconds": 1}},
            "own": {"type": "util.noop", "inputs": {"value": "shared.value"}, "params": {"label": f"run {index}"}},
            "also_shared": {"type": "util.sleep", "params": {"seconds": 0.5, "label": "common"}}}}

    results: list[dict] = []
    errors: list[BaseException] = []

    def one_run(index: int) -> None:
        try:
            runtime = open_runtime(database_url, store)
            results.append(run_document(runtime, graph(index), workspace_root=tmp_path))
            runtime.db.dispose()
        except BaseException as error:  # surfaced below
            errors.append(error)

    started = time.perf_counter()
    threads = [threading.Thread(target=one_run, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert not errors, errors
    assert len(results) == 8 and {r["status"] for r in results} == {"succeeded"}
    assert len(log.read_text().splitlines()) == 1  # executed once, by whichever run won the lease
    statuses = sorted(r["nodes"]["shared"]["status"] for r in results)
    assert statuses == ["cached"] * 7 + ["succeeded"]
    runtime = open_runtime(database_url, store)
    run_ids = {r["run_id"] for r in results}
    node_runs = [n for run_id in run_ids for n in repo.list_node_runs(runtime.db, run_id)]
    assert len(node_runs) == 24 and len({(n.run_id, n.node_id) for n in node_runs}) == 24
    print(f"8 racing runs: {elapsed:.2f} s, {len(node_runs)} node runs recorded, shared node executed once")
