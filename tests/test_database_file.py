"""The database file a user can see: it holds the history when a command ends, a damaged one or an
unreachable server is one message naming the URL and what to do, and `db backup` copies it."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import reelgraph_cli

GRAPH = {"reelgraph": 1, "name": "tiny", "nodes": {
    "a": {"type": "util.noop", "params": {"label": "a"}},
    "b": {"type": "util.noop", "inputs": {"value": "a.value"}}}}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "graph.json").write_text(json.dumps(GRAPH))
    return tmp_path


def recorded_runs(db_file: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db_file) as connection:
        return connection.execute("SELECT graphs.name, runs.status FROM runs JOIN graphs ON graphs.id = runs.graph_id").fetchall()


def test_the_db_file_alone_holds_the_run_when_the_command_ends(project):
    assert reelgraph_cli("run", "graph.json", cwd=project).returncode == 0
    db_file = project / ".reelgraph" / "reelgraph.db"
    wal = db_file.with_name("reelgraph.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed into the .db
    copy = project / "copy.db"
    shutil.copyfile(db_file, copy)  # what a user backing up the .db gets; before: an empty history
    assert recorded_runs(copy) == [("tiny", "succeeded")]


def damage(db_file: Path, how: str) -> None:
    if how == "not_sqlite":
        db_file.write_text("these are my notes, not a database\n" * 100)
    else:
        data = db_file.read_bytes()
        db_file.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize("how", ["truncated", "not_sqlite"])
def test_a_damaged_sqlite_file_is_one_message_naming_it(project, how):
    assert reelgraph_cli("run", "graph.json", cwd=project).returncode == 0
    db_file = project / ".reelgraph" / "reelgraph.db"
    damage(db_file, how)
    result = reelgraph_cli("runs", "list", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert str(db_file) in result.stderr and "not a usable SQLite database" in result.stderr
    assert "reelgraph db backup" in result.stderr and "move it aside" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 4  # was 137 lines of SQLAlchemy
    as_json = reelgraph_cli("runs", "list", "--json", cwd=project)
    assert json.loads(as_json.stdout)["status"] == "error"  # exactly one object on stdout


def test_an_unreachable_postgresql_is_one_message_naming_it(project):
    result = reelgraph_cli("runs", "list", "--db", "postgresql://reel:secret@127.0.0.1:9/nowhere", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "127.0.0.1:9/nowhere" in result.stderr and "server is running" in result.stderr
    assert "secret" not in result.stderr  # the password stays hidden


def test_db_backup_copies_the_history(project):
    assert reelgraph_cli("run", "graph.json", cwd=project).returncode == 0
    made = reelgraph_cli("db", "backup", "saved.db", "--json", cwd=project)
    assert made.returncode == 0, made.stderr
    assert recorded_runs(Path(json.loads(made.stdout)["backup"])) == [("tiny", "succeeded")]
    again = reelgraph_cli("db", "backup", "saved.db", cwd=project)
    assert again.returncode == 1 and "exists already" in again.stderr and "Traceback" not in again.stderr
