"""Fusion: a line of cheap CPU nodes runs as one task, its records batched per chain
(flows/fusion.py chooses the chains, flows/chains.py runs them), on every engine, with the same
records, events, failures, retries and stops as nodes run one by one."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from reelgraph_testpack import Fail, Retried, WaitForFile
from sqlalchemy import event

from reelgraph.flows.api import create_run_from, resume_run, run_document
from reelgraph.flows.events import NodeFinished, NodeStarted
from reelgraph.flows.fusion import cheap_nodes
from reelgraph.flows.scheduling import DagState
from reelgraph.storage import chain_repository
from reelgraph.storage import repository as repo
from reelgraph.storage.records import PENDING, RUNNING
from tests.test_run_control import wait_for


def line(count: int, salt: str = "", **overrides: dict) -> dict:
    """n0 -> n1 -> ... util.noop nodes, each passing n0's label on; `overrides` replace nodes."""
    nodes = {}
    for index in range(count):
        node = {"type": "util.noop", "params": {"label": f"start{salt}" if index == 0 else f"{index}{salt}"}}
        if index:
            node["inputs"] = {"value": f"n{index - 1}.value"}
        nodes[f"n{index}"] = {**node, **overrides.get(f"n{index}", {})}
    return {"reelgraph": 1, "name": "line", "nodes": nodes}


def statuses(result: dict) -> dict[str, str]:
    return {node_id: node["status"] for node_id, node in result["nodes"].items()}


def leases_held(runtime) -> int:
    from sqlalchemy import func, select

    with runtime.db.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(repo.leases))


@pytest.fixture
def commits(runtime):
    counted = []
    listener = lambda connection: counted.append(1)  # noqa: E731
    event.listen(runtime.db.engine, "commit", listener)
    yield counted
    event.remove(runtime.db.engine, "commit", listener)


def test_a_cheap_line_runs_fused_with_its_records_batched(runtime, workspace, commits, monkeypatch):
    events: list = []
    fused = run_document(runtime, line(30), workspace_root=workspace, on_event=events.append)
    fused_commits = len(commits)
    assert set(statuses(fused).values()) == {"succeeded"}
    node_runs = repo.list_node_runs(runtime.db, fused["run_id"])
    assert all(n.attempts == 1 and n.started_at <= n.finished_at for n in node_runs)
    for before, after in zip(node_runs, node_runs[1:]):  # each node's own times, in order
        assert before.finished_at <= after.started_at
    last = repo.node_outputs_of(runtime.db, fused["run_id"], ["n29"])["n29"]["value"]
    assert runtime.store.read_bytes(last.sha256) == b'"start"'  # values really flowed down the line
    started = [e.node_id for e in events if isinstance(e, NodeStarted)]
    finished = [e.node_id for e in events if isinstance(e, NodeFinished) and e.status == "succeeded"]
    assert started == finished == [f"n{i}" for i in range(30)]
    assert all(e.outputs for e in events if isinstance(e, NodeFinished))
    assert leases_held(runtime) == 0

    monkeypatch.setenv("REELGRAPH_FUSE", "0")
    commits.clear()
    single = run_document(runtime, line(30, salt="-single"), workspace_root=workspace)
    assert set(statuses(single).values()) == {"succeeded"}
    assert fused_commits * 4 < len(commits), (fused_commits, len(commits))


def test_a_failure_mid_line_is_recorded_and_skips_the_rest(runtime, workspace, monkeypatch):
    monkeypatch.setattr(Fail, "cheap", True)
    document = line(6, n2={"type": "testpack.fail", "params": {"message": "bad take"}})
    document["nodes"]["aside"] = {"type": "util.noop", "inputs": {"value": "n1.value"}}
    result = run_document(runtime, document, workspace_root=workspace)
    assert result["status"] == "failed"
    assert statuses(result) == {"n0": "succeeded", "n1": "succeeded", "n2": "failed", "n3": "skipped",
                                "n4": "skipped", "n5": "skipped", "aside": "succeeded"}
    failed = repo.get_node_run(runtime.db, result["run_id"], "n2")
    assert "bad take" in failed.error and failed.attempts == 1
    assert [repo.get_node_run(runtime.db, result["run_id"], f"n{i}").attempts for i in (3, 4, 5)] == [0, 0, 0]
    assert leases_held(runtime) == 0


def test_a_retryable_failure_mid_line_gets_its_retries(runtime, workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(Retried, "cheap", True)
    marker = tmp_path / "flaked"
    result = run_document(runtime, line(4, n1={"type": "testpack.retried", "params": {"marker": str(marker)}}),
                          workspace_root=workspace)
    assert set(statuses(result).values()) == {"succeeded"}
    attempts = {n.node_id: n.attempts for n in repo.list_node_runs(runtime.db, result["run_id"])}
    assert attempts == {"n0": 1, "n1": 2, "n2": 1, "n3": 1}


def test_a_stop_mid_line_leaves_the_rest_for_resume(runtime, workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(WaitForFile, "cheap", True)
    started, release = tmp_path / "started", tmp_path / "release"
    document = line(4, n1={"type": "testpack.wait_for_file",
                           "params": {"started": str(started), "release": str(release)}})
    cancel, outcome, events = threading.Event(), {}, []
    runner = threading.Thread(target=lambda: outcome.update(run_document(
        runtime, document, workspace_root=workspace, on_event=events.append, cancel=cancel)))
    runner.start()
    wait_for(started)
    cancel.set()
    runner.join(timeout=120)
    assert outcome["status"] == "cancelled"
    assert statuses(outcome) == {"n0": "succeeded", "n1": "pending", "n2": "pending", "n3": "pending"}
    assert {e.node_id for e in events if isinstance(e, NodeFinished) and e.status == "cancelled"} == {"n1", "n2", "n3"}
    assert leases_held(runtime) == 0

    release.write_text("go")
    resumed = resume_run(runtime, outcome["run_id"], "local")
    assert resumed["status"] == "succeeded"
    attempts = {n.node_id: n.attempts for n in repo.list_node_runs(runtime.db, outcome["run_id"])}
    assert attempts == {"n0": 1, "n1": 2, "n2": 1, "n3": 1}  # n2, n3 never ran before the stop


def test_a_chain_starts_only_up_to_a_key_someone_else_holds(runtime, workspace):
    run_id, _, _ = create_run_from(runtime, line(4), workspace_root=workspace)
    node_runs = repo.list_node_runs(runtime.db, run_id)
    with runtime.db.engine.begin() as connection:
        connection.execute(repo.leases.insert().values(cache_key=node_runs[2].cache_key, node_run_id=999_999,
                                                       holder="elsewhere", expires_at=repo.now()))
    assert chain_repository.start_chain(runtime.db, node_runs, host="h", worker="w", holder="h/w",
                                        lease_seconds=30) == [1, 1]  # their attempt numbers
    after = repo.list_node_runs(runtime.db, run_id)
    assert [(n.status, n.attempts) for n in after] == [(RUNNING, 1), (RUNNING, 1), (PENDING, 0), (PENDING, 0)]


def test_a_chain_whose_node_another_process_started_starts_nothing(runtime, workspace):
    run_id, _, _ = create_run_from(runtime, line(3), workspace_root=workspace)
    node_runs = repo.list_node_runs(runtime.db, run_id)  # the driver's view, now stale
    with runtime.db.engine.begin() as connection:
        connection.execute(repo.node_runs.update().where(repo.node_runs.c.id == node_runs[1].id).values(status=RUNNING))
    assert chain_repository.start_chain(runtime.db, node_runs, host="h", worker="w", holder="h/w",
                                        lease_seconds=30) == []
    after = repo.list_node_runs(runtime.db, run_id)
    assert [(n.status, n.attempts) for n in after] == [(PENDING, 0), (RUNNING, 0), (PENDING, 0)]
    assert leases_held(runtime) == 0  # rolled back with the rest


def test_cheap_means_declared_or_measured_fast_and_never_a_gpu_node(runtime, workspace, monkeypatch):
    sleeps = {"reelgraph": 1, "name": "sleeps", "nodes": {
        "a": {"type": "util.sleep", "params": {"seconds": 0}},
        "b": {"type": "util.sleep", "params": {"seconds": 0}, "inputs": {"value": "a.value"}},
        "g": {"type": "util.gpu_sleep", "params": {"seconds": 0}},
        "v": {"type": "util.value", "params": {"value": 1}}}}
    run_id, _, _ = create_run_from(runtime, sleeps, workspace_root=workspace)
    assert cheap_nodes(runtime, repo.list_node_runs(runtime.db, run_id)) == {"v"}  # util.value is declared cheap
    for label in ("x", "y"):
        sleeps["nodes"]["a"]["params"]["label"] = label
        run_document(runtime, sleeps, workspace_root=workspace)
    assert cheap_nodes(runtime, repo.list_node_runs(runtime.db, run_id)) == {"a", "b", "v"}  # measured fast now
    monkeypatch.setattr(type(runtime.registry.instance("util.gpu_sleep")), "cheap", True)
    assert "g" not in cheap_nodes(runtime, repo.list_node_runs(runtime.db, run_id))
    monkeypatch.setenv("REELGRAPH_FUSE", "0")
    assert cheap_nodes(runtime, repo.list_node_runs(runtime.db, run_id)) == set()


def test_chains_follow_single_children_waiting_on_nothing_else(runtime, workspace):
    document = line(5)
    document["nodes"]["side"] = {"type": "util.noop", "inputs": {"value": "n2.value"}}  # n2 forks
    document["nodes"]["join"] = {"type": "util.sleep", "params": {"seconds": 0},
                                 "inputs": {"value": "n4.value", "after": "other.value"}}
    document["nodes"]["other"] = {"type": "util.noop"}
    run_id, _, _ = create_run_from(runtime, document, workspace_root=workspace)
    state = DagState(repo.list_node_runs(runtime.db, run_id))
    everything = set(state.node_runs)
    assert state.chain("n0", everything, limit=64) == ["n0", "n1", "n2"]  # stops at the fork
    assert state.chain("n3", everything, limit=64) == ["n3", "n4"]  # join also waits on `other`
    assert state.chain("n0", everything, limit=2) == ["n0", "n1"]
    assert state.chain("n0", everything - {"n1"}, limit=64) == ["n0"]


def fan_out(count: int, **overrides: dict) -> dict:
    """`count` independent cheap nodes f0..: lines of one node each."""
    nodes = {f"f{i}": {"type": "util.noop", "params": {"label": f"fan {i}"}} for i in range(count)}
    for node_id, node in overrides.items():
        nodes[node_id] = node
    return {"reelgraph": 1, "name": "fan", "nodes": nodes}


def test_many_ready_cheap_lines_are_packed_into_fewer_tasks(runtime, workspace, monkeypatch):
    from reelgraph.flows.local_engine import LocalEngine

    monkeypatch.setattr(Fail, "cheap", True)
    tasks: list[int] = []
    submit = LocalEngine.submit

    def counted(self, nodes):
        accepted = submit(self, nodes)
        if accepted:
            tasks.append(len(nodes))
        return accepted

    monkeypatch.setattr(LocalEngine, "submit", counted)
    document = fan_out(40, f7={"type": "testpack.fail", "params": {"message": "one bad branch"}},
                       after7={"type": "util.noop", "inputs": {"value": "f7.value"}})
    result = run_document(runtime, document, workspace_root=workspace, cpu_slots=2)
    assert statuses(result).pop("f7") == "failed"
    assert statuses(result)["after7"] == "skipped"
    assert {status for node_id, status in statuses(result).items() if node_id not in ("f7", "after7")} == {"succeeded"}
    assert sum(tasks) == 41 and max(tasks) > 1 and len(tasks) < 20  # packed
    assert len(tasks) >= 4  # yet at least two tasks per slot (2)
    assert leases_held(runtime) == 0


def test_a_stop_inside_a_pack_leaves_every_unfinished_node_for_resume(runtime, workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(WaitForFile, "cheap", True)
    started, release = tmp_path / "started", tmp_path / "release"
    document = fan_out(24, f5={"type": "testpack.wait_for_file", "params": {"started": str(started),
                                                                           "release": str(release)}})
    cancel, outcome = threading.Event(), {}
    runner = threading.Thread(target=lambda: outcome.update(run_document(
        runtime, document, workspace_root=workspace, cancel=cancel, cpu_slots=2)))
    runner.start()
    wait_for(started)
    cancel.set()
    runner.join(timeout=120)
    assert outcome["status"] == "cancelled"
    assert set(statuses(outcome).values()) <= {"succeeded", "pending"} and statuses(outcome)["f5"] == "pending"
    assert leases_held(runtime) == 0
    release.write_text("go")
    resumed = resume_run(runtime, outcome["run_id"], "local")
    assert resumed["status"] == "succeeded"
    assert all(n.attempts == 1 for n in repo.list_node_runs(runtime.db, outcome["run_id"]) if n.node_id != "f5")


def test_pack_keeps_every_slot_busy_and_tasks_bounded():
    from reelgraph.flows.fusion import MAX_CHAIN, Task, pack
    from reelgraph.flows.scheduling import DagState  # noqa: F401  (Task is built from node runs)

    def node(index: int, gpus: float = 0) -> object:
        from reelgraph.storage.records import NodeRunInfo

        fields = {name: None for name in NodeRunInfo.__dataclass_fields__}
        fields.update(node_id=f"n{index}", inputs={}, resources={"gpus": gpus, "cpus": 1}, outputs={})
        return NodeRunInfo(**fields)

    lines = [Task([node(i * 10 + k) for k in range(10)], cheap=True) for i in range(100)]
    gpu = Task([node(5000, gpus=1)], cheap=False)
    packed = pack(lines[:50] + [gpu] + lines[50:], slots=2)
    assert gpu in packed and packed.index(gpu) > 0
    sizes = [len(t.nodes) for t in packed if t is not gpu]
    assert sum(sizes) == 1000 and max(sizes) <= MAX_CHAIN and len(sizes) >= 4
    assert [n.node_id for t in packed if t is not gpu for n in t.nodes] == [n.node_id for t in lines for n in t.nodes]
    few = lines[:4]
    assert pack(few, slots=2) == few  # no more lines than 2 per slot: each its own task


@pytest.mark.parametrize("engine", ["ray", "prefect"])
def test_fused_lines_on_the_distributed_engines(engine, request, sqlite_url, tmp_path, monkeypatch):
    from reelgraph.flows.runtime import open_runtime

    request.getfixturevalue("ray_session" if engine == "ray" else "prefect_server")
    monkeypatch.setattr(Fail, "cheap", True)
    runtime = open_runtime(sqlite_url, str(tmp_path / "store"))
    events: list = []
    good = run_document(runtime, line(12, salt=engine), engine=engine, workspace_root=tmp_path,
                        on_event=events.append)
    assert set(statuses(good).values()) == {"succeeded"}
    assert [e.node_id for e in events if isinstance(e, NodeFinished)] == [f"n{i}" for i in range(12)]
    bad = run_document(runtime, line(5, salt=f"{engine}-bad", n2={"type": "testpack.fail", "params": {}}), engine=engine,
                       workspace_root=tmp_path)
    assert statuses(bad) == {"n0": "succeeded", "n1": "succeeded", "n2": "failed", "n3": "skipped", "n4": "skipped"}
    fan = run_document(runtime, fan_out(30, f3={"type": "testpack.fail", "params": {}}), engine=engine,
                       workspace_root=tmp_path)  # packed lines: one failure, the others go on
    assert statuses(fan).pop("f3") == "failed"
    assert set(statuses(fan).values()) == {"failed", "succeeded"} and list(statuses(fan).values()).count("failed") == 1
    runtime.db.dispose()


def test_the_chain_module_is_what_every_engine_runs():
    """The engines hand tasks to run_chain (one node or many), never to their own copy of a loop."""
    root = Path(__file__).resolve().parent.parent / "flows"
    for engine in ("local_engine.py", "ray_engine.py", "prefect_engine.py"):
        assert "run_chain" in (root / engine).read_text(), engine
