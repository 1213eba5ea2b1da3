"""Stopping `reelgraph run` mid-node, as users and supervisors do: Ctrl-C (SIGINT), SIGTERM
(systemd, Docker, CI) and SIGKILL. Each time `runs list` never shows the dead run as running, and
`resume` finishes it at once (no heartbeat or lease to wait out) reusing the nodes that finished.
On SQLite and PostgreSQL. The node blocks until the test releases it: nothing races the clock."""
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

from reelgraph.flows.api import resume_run, run_document
from reelgraph.flows.runtime import open_runtime
from tests.conftest import reelgraph_cli


def wait_for(path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.02)


def start_run(tmp_path: Path, database_url: str, *, report_progress: bool = True,
              env: dict | None = None) -> tuple[subprocess.Popen, Path, Path]:
    started, release = tmp_path / "gate.started", tmp_path / "gate.release"
    (tmp_path / "graph.json").write_text(json.dumps({"reelgraph": 1, "name": "interrupts", "nodes": {
        "first": {"type": "testpack.count", "params": {"log": str(tmp_path / "calls.log"), "label": "first"}},
        "gate": {"type": "testpack.wait_for_file", "inputs": {"value": "first.value"},
                 "params": {"started": str(started), "release": str(release), "report_progress": report_progress}},
        "last": {"type": "util.noop", "inputs": {"value": "gate.value"}}}}))
    command = [str(Path(sys.executable).parent / "reelgraph"), "run", "graph.json", "--json", "--db", database_url]
    process = subprocess.Popen(command, cwd=tmp_path, env={**os.environ, **(env or {})}, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    wait_for(started)  # `gate` is executing
    return process, started, release


def the_run_is_over_and_resumes_at_once(tmp_path: Path, database_url: str, release: Path) -> None:
    listed = reelgraph_cli("runs", "list", "--json", "--db", database_url, cwd=tmp_path)
    runs = json.loads(listed.stdout)
    assert [run["status"] for run in runs] == ["interrupted"]
    release.write_text("go")
    runtime = open_runtime(database_url, str(tmp_path / ".reelgraph" / "store"))
    began = time.perf_counter()
    resumed = resume_run(runtime, runs[0]["run_id"])
    elapsed = time.perf_counter() - began
    runtime.db.dispose()
    assert resumed["status"] == "succeeded"
    assert elapsed < 2.0, f"resume took {elapsed:.1f} s"
    assert resumed["nodes"]["first"]["attempts"] == 1  # reused: executed once in all
    assert len((tmp_path / "calls.log").read_text().splitlines()) == 1
    assert resumed["nodes"]["gate"]["attempts"] == 2


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_run_cleanly_and_says_how_to_resume(database_url, tmp_path, signal_number):
    process, _, release = start_run(tmp_path, database_url)
    os.kill(process.pid, signal_number)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal_number
    result = json.loads(stdout)
    assert result["status"] == "interrupted"
    assert {n: v["status"] for n, v in result["nodes"].items()} == {
        "first": "succeeded", "gate": "pending", "last": "pending"}
    assert f"reelgraph resume {result['run_id']}" in stderr
    the_run_is_over_and_resumes_at_once(tmp_path, database_url, release)


def test_sigkill_leaves_a_run_that_is_seen_dead_at_once(database_url, tmp_path):
    process, _, release = start_run(tmp_path, database_url)
    os.killpg(process.pid, signal.SIGKILL)  # no handler runs: the records still say `running`
    process.wait(timeout=60)
    the_run_is_over_and_resumes_at_once(tmp_path, database_url, release)


def test_a_second_ctrl_c_quits_at_once_with_the_same_records(database_url, tmp_path):
    # the node never reports progress, so the first Ctrl-C cannot stop it; the grace period is long
    process, _, release = start_run(tmp_path, database_url, report_progress=False,
                                    env={"REELGRAPH_STOP_GRACE_SECONDS": "600"})
    os.kill(process.pid, signal.SIGINT)
    for line in process.stderr:  # the first one was handled
        if "stopping run" in line:
            break
    os.kill(process.pid, signal.SIGINT)
    process.wait(timeout=60)
    assert process.returncode == 128 + signal.SIGINT
    assert "reelgraph resume" in process.stderr.read()
    the_run_is_over_and_resumes_at_once(tmp_path, database_url, release)


def test_a_lease_whose_process_died_on_this_host_is_taken_at_once(database_url, tmp_path):
    process, _, release = start_run(tmp_path, database_url)
    os.killpg(process.pid, signal.SIGKILL)  # its lease on `gate` has ~30 s left, and nobody renews it
    process.wait(timeout=60)
    release.write_text("go")
    runtime = open_runtime(database_url, str(tmp_path / ".reelgraph" / "store"))
    events: list = []
    began = time.perf_counter()
    again = run_document(runtime, tmp_path / "graph.json", on_event=events.append)  # a fresh run, same work
    elapsed = time.perf_counter() - began
    runtime.db.dispose()
    assert again["status"] == "succeeded" and again["nodes"]["gate"]["status"] == "succeeded"
    assert elapsed < 2.0, f"the fresh run took {elapsed:.1f} s"
    assert not [e for e in events if "lease ends in" in getattr(e, "message", "")]  # no wait on the dead owner


def test_waiting_on_a_live_owner_says_who_and_for_how_long(database_url, tmp_path):
    process, _, release = start_run(tmp_path, database_url)
    runtime = open_runtime(database_url, str(tmp_path / ".reelgraph" / "store"))
    notices: list[str] = []
    noticed = threading.Event()

    def sink(event) -> None:
        if "lease ends in" in getattr(event, "message", ""):
            notices.append(event.message)
            noticed.set()

    second: dict = {}
    racer = threading.Thread(target=lambda: second.update(run_document(runtime, tmp_path / "graph.json",
                                                                       on_event=sink)))
    racer.start()
    try:
        assert noticed.wait(timeout=120)
    finally:
        release.write_text("go")
    racer.join(timeout=120)
    process.communicate(timeout=120)
    runtime.db.dispose()
    assert f"pid-{process.pid}" in notices[0] and "computing the same work" in notices[0]
    assert second["status"] == "succeeded" and second["nodes"]["gate"]["status"] == "cached"


def test_a_node_that_never_reports_progress_is_abandoned_after_the_grace_period(database_url, tmp_path):
    process, _, release = start_run(tmp_path, database_url, report_progress=False,
                                    env={"REELGRAPH_STOP_GRACE_SECONDS": "0.5"})
    os.kill(process.pid, signal.SIGINT)
    stdout, _ = process.communicate(timeout=120)  # exits although the node's thread still runs
    assert process.returncode == 128 + signal.SIGINT
    assert json.loads(stdout)["nodes"]["gate"]["status"] == "pending"
    the_run_is_over_and_resumes_at_once(tmp_path, database_url, release)


def interrupted_run(tmp_path: Path, database_url: str) -> tuple[str, Path, Path]:
    """A run stopped by Ctrl-C while `gate` ran: (its id, gate's started file, gate's release file)."""
    process, started, release = start_run(tmp_path, database_url)
    os.kill(process.pid, signal.SIGINT)
    stdout, _ = process.communicate(timeout=120)
    started.unlink()  # so that the next execution of `gate` announces itself again
    return json.loads(stdout)["run_id"], started, release


def start_resume(tmp_path: Path, database_url: str, run_id: str) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "reelgraph"), "resume", run_id, "--json", "--db", database_url]
    return subprocess.Popen(command, cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def test_ctrl_c_stops_a_resume_as_it_stops_a_run(database_url, tmp_path):
    run_id, started, release = interrupted_run(tmp_path, database_url)
    resuming = start_resume(tmp_path, database_url, run_id)
    wait_for(started)  # the resume is executing `gate`
    os.kill(resuming.pid, signal.SIGINT)
    stdout, stderr = resuming.communicate(timeout=120)
    assert resuming.returncode == 128 + signal.SIGINT
    result = json.loads(stdout)
    assert result["run_id"] == run_id and result["status"] == "interrupted"
    assert {n: v["status"] for n, v in result["nodes"].items()} == {
        "first": "succeeded", "gate": "pending", "last": "pending"}
    assert f"reelgraph resume {run_id}" in stderr
    release.write_text("go")
    finished = reelgraph_cli("resume", run_id[:8], "--json", "--db", database_url, cwd=tmp_path)
    resumed = json.loads(finished.stdout)
    assert finished.returncode == 0 and resumed["status"] == "succeeded"
    assert resumed["nodes"]["gate"]["attempts"] == 3  # the run, the interrupted resume, this one
    assert len((tmp_path / "calls.log").read_text().splitlines()) == 1  # `first` ran once in all


def test_a_resume_waiting_on_another_runs_lease_says_who_it_waits_for(database_url, tmp_path):
    run_id, started, release = interrupted_run(tmp_path, database_url)
    other, _, _ = start_run(tmp_path, database_url)  # a new run of the same graph now computes `gate`
    resuming = start_resume(tmp_path, database_url, run_id)
    said = ""
    try:  # stderr is a pipe, not a terminal: no progress bar, but a wait is always said (wrapped at 80)
        for line in resuming.stderr:
            said += line
            if "lease ends in" in said:
                break
    finally:
        release.write_text("go")
    stdout, _ = resuming.communicate(timeout=120)
    other.communicate(timeout=120)
    said = " ".join(said.split())
    assert "waiting gate: waiting for" in said and f"pid-{other.pid}" in said and "lease ends in" in said
    resumed = json.loads(stdout)
    assert resuming.returncode == 0 and resumed["status"] == "succeeded"
    assert resumed["nodes"]["gate"]["status"] == "cached"  # computed once, by the other run
