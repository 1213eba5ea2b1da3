"""What the CLI hands back: --out refused before a run when it cannot take the outputs, a failed
copy after a run reported in the one JSON object with a non-zero exit, expanded ids in full."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import reelgraph_cli

GRAPH = {"reelgraph": 1, "name": "outs", "matrix": {"locale": ["en", "es"]}, "nodes": {
    "a": {"type": "util.noop", "params": {"label": "a"}},
    "caption": {"type": "util.noop", "inputs": {"value": "a.value"}, "params": {"label": "${locale}"}}}}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "graph.json").write_text(json.dumps(GRAPH))
    return tmp_path


def run_json(project: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    result = reelgraph_cli("run", "graph.json", "--json", *args, cwd=project)
    assert "Traceback" not in result.stderr
    return result, json.loads(result.stdout)  # exactly one JSON document, or this raises


def only_run(project: Path) -> dict:
    [run] = json.loads(reelgraph_cli("runs", "list", "--json", cwd=project).stdout)
    return json.loads(reelgraph_cli("runs", "show", run["run_id"], "--json", cwd=project).stdout)


def test_out_naming_a_file_is_refused_before_the_run_starts(project):
    (project / "results").write_text("not a folder")
    result, answer = run_json(project, "--out", "results")
    assert result.returncode == 1 and "is a file, not a folder" in answer["error"]
    shown = only_run(project)
    assert shown["status"] == "failed" and {n["status"] for n in shown["nodes"].values()} == {"pending"}


def test_out_where_an_output_name_is_a_folder_is_refused_before_the_run_starts(project):
    (project / "results" / "caption_locale=en.value.json").mkdir(parents=True)
    result, answer = run_json(project, "--out", "results")
    assert result.returncode == 1
    assert "caption_locale=en.value.json is a folder" in answer["error"] and "caption[locale=en].value" in answer["error"]
    assert {n["status"] for n in only_run(project)["nodes"].values()} == {"pending"}  # nothing executed


def read_only_folder(path: Path) -> Path:
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        return path
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"root, and cannot mount a read-only tmpfs here: {mounted.stderr.decode().strip()}")
    return path


def test_out_in_a_read_only_folder_is_refused_before_the_run_starts(project):
    folder = read_only_folder(project / "ro")
    try:
        result, answer = run_json(project, "--out", "ro/results")
        assert result.returncode == 1 and "cannot write in" in answer["error"] and "writable folder" in answer["error"]
        assert {n["status"] for n in only_run(project)["nodes"].values()} == {"pending"}
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(folder)], check=False)


def test_a_copy_failing_after_the_run_is_in_the_json_and_fails_the_command(project):
    (project / "results").mkdir()
    (project / "results" / "caption_locale=es.value.json").symlink_to("/nonexistent/folder/file.json")
    result, answer = run_json(project, "--out", "results")
    assert result.returncode == 1
    assert answer["status"] == "succeeded"  # the run itself is fine and its outputs are in the store
    assert "could not copy the outputs into --out results" in answer["export"]["error"]
    text = reelgraph_cli("run", "graph.json", "--out", "results", cwd=project)
    assert text.returncode == 1 and "could not copy the outputs" in text.stderr and "Traceback" not in text.stderr


def test_out_receives_the_final_outputs(project):
    result, answer = run_json(project, "--out", "results")
    assert result.returncode == 0
    assert sorted(Path(p).name for p in answer["export"]["written"]) == [
        "caption_locale=en.value.json", "caption_locale=es.value.json"]


def test_runs_show_prints_expanded_ids_in_full(project):
    assert reelgraph_cli("run", "graph.json", cwd=project).returncode == 0
    [run] = json.loads(reelgraph_cli("runs", "list", "--json", cwd=project).stdout)
    shown = reelgraph_cli("runs", "show", run["run_id"], cwd=project, env={"COLUMNS": "200"})
    assert "caption[locale=en]" in shown.stdout and "caption[locale=es]" in shown.stdout  # was "caption" twice
