"""The reelgraph command line, run as a user runs it (a real subprocess, a real database)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import REPO, reelgraph_cli


def hello_workspace(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "examples" / "assets", tmp_path / "assets")
    shutil.copy(REPO / "examples" / "hello.yaml", tmp_path / "hello.yaml")
    return tmp_path


def run_json(*args: str, cwd: Path) -> tuple[int, dict]:
    result = reelgraph_cli(*args, "--json", cwd=cwd)
    return result.returncode, json.loads(result.stdout)


def test_run_twice_then_set_one_param(tmp_path):
    cwd = hello_workspace(tmp_path)
    code, first = run_json("run", "hello.yaml", cwd=cwd)
    assert code == 0 and first["status"] == "succeeded"
    assert set(first) >= {"run_id", "status", "nodes"}
    assert set(first["nodes"]["thumb"]) >= {"status", "cache_key", "outputs", "error"}
    assert (cwd / ".reelgraph" / "reelgraph.db").exists()  # the default database
    code, second = run_json("run", "hello.yaml", cwd=cwd)
    assert {n["status"] for n in second["nodes"].values()} == {"cached"}
    code, third = run_json("run", "hello.yaml", "--set", "thumb.width=64", cwd=cwd)
    assert {n for n, v in third["nodes"].items() if v["status"] != "cached"} == {"thumb"}


def test_exit_codes(tmp_path):
    cwd = hello_workspace(tmp_path)
    (cwd / "fail.yaml").write_text("reelgraph: 1\nname: f\nnodes:\n  x: {type: testpack.fail}\n")
    (cwd / "invalid.yaml").write_text("reelgraph: 1\nname: f\nnodes:\n  x: {type: nope}\n")
    code, failed = run_json("run", "fail.yaml", cwd=cwd)
    assert code == 1 and failed["status"] == "failed" and failed["nodes"]["x"]["status"] == "failed"
    assert "always fails" in failed["nodes"]["x"]["error"]
    code, invalid = run_json("run", "invalid.yaml", cwd=cwd)
    assert code == 2 and invalid["errors"][0]["code"] == "unknown_node_type"


def test_runs_and_artifacts_commands(tmp_path):
    cwd = hello_workspace(tmp_path)
    db = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    store = str(tmp_path / "store-elsewhere")
    result = reelgraph_cli("run", "hello.yaml", "--db", db, "--store", store, "--json", cwd=cwd)
    run = json.loads(result.stdout)
    reelgraph_cli("run", "hello.yaml", "--db", db, "--store", store, cwd=cwd)
    code, runs = run_json("runs", "list", "--db", db, cwd=cwd)
    assert len(runs) == 2 and runs[1]["run_id"] == run["run_id"]  # newest first
    assert {"run_id", "status", "graph", "engine", "created_at", "finished_at"} <= set(runs[0])
    code, shown = run_json("runs", "show", run["run_id"][:8], "--db", db, cwd=cwd)
    assert shown["run_id"] == run["run_id"] and shown["nodes"]["thumb"]["status"] == "succeeded"
    sha = run["nodes"]["thumb"]["outputs"]["image"]
    code, artifact = run_json("artifacts", "show", sha, "--db", db, "--store", store, cwd=cwd)
    assert artifact["kind"] == "image" and Path(artifact["path"]).read_bytes()[:4] == b"\x89PNG"
    assert Path(artifact["path"]).is_relative_to(Path(store).resolve())


def test_resume_from_the_command_line(tmp_path):
    marker = tmp_path / "marker"
    (tmp_path / "g.yaml").write_text(
        f"reelgraph: 1\nname: g\nnodes:\n  f: {{type: testpack.fail_once, params: {{marker: '{marker}'}}}}\n"
        "  n: {type: util.noop, inputs: {value: f.value}}\n")
    code, first = run_json("run", "g.yaml", cwd=tmp_path)
    assert code == 1 and first["nodes"]["n"]["status"] == "skipped"
    code, refused = run_json("resume", first["run_id"], "--engine", "nope", cwd=tmp_path)
    assert code == 2 and "unknown engine 'nope'" in refused["error"]
    code, shown = run_json("runs", "show", first["run_id"], cwd=tmp_path)  # the refusal reset nothing
    assert {n: v["status"] for n, v in shown["nodes"].items()} == {"f": "failed", "n": "skipped"}
    code, resumed = run_json("resume", first["run_id"], cwd=tmp_path)
    assert code == 0 and resumed["run_id"] == first["run_id"]
    assert {n: v["status"] for n, v in resumed["nodes"].items()} == {"f": "succeeded", "n": "succeeded"}


def test_target_and_out(tmp_path):
    cwd = hello_workspace(tmp_path)
    code, result = run_json("run", "hello.yaml", "--target", "thumb", "--out", "out", cwd=cwd)
    assert set(result["nodes"]) == {"photos", "thumb"}
    assert [p.name for p in (cwd / "out").iterdir()] == ["thumb.image.png"]


def test_plan_shows_keys_and_what_would_run(tmp_path):
    cwd = hello_workspace(tmp_path)
    code, before = run_json("plan", "hello.yaml", cwd=cwd)
    assert {n["action"] for n in before["nodes"]} == {"run"}
    assert "caption[locale=es]" in {n["node"] for n in before["nodes"]}
    reelgraph_cli("run", "hello.yaml", cwd=cwd)
    code, after = run_json("plan", "hello.yaml", "--set", "caption.template=other {locale}", cwd=cwd)
    assert {n["node"]: n["action"] for n in after["nodes"]} == {
        "caption[locale=en]": "run", "caption[locale=es]": "run", "photos": "cached", "summary": "cached",
        "thumb": "cached"}
    assert [n["cache_key"] for n in after["nodes"] if n["node"] == "thumb"] == \
           [n["cache_key"] for n in before["nodes"] if n["node"] == "thumb"]


def test_nodes_list_and_show(tmp_path):
    code, listed = run_json("nodes", "list", cwd=tmp_path)
    types = {row["type"] for row in listed}
    assert {"image.load", "image.resize", "text.template", "testpack.fail"} <= types
    code, shown = run_json("nodes", "show", "image.resize", cwd=tmp_path)
    width = shown["params"]["properties"]["width"]
    assert (width["default"], width["minimum"], width["maximum"]) == (512, 1, 8192)
    assert shown["inputs"]["image"]["kind"] == "image" and shown["resources"]["cpus"] == 1
    human = reelgraph_cli("nodes", "show", "image.resize", cwd=tmp_path)
    assert human.returncode == 0 and "width" in human.stdout
    assert reelgraph_cli("nodes", "show", "no.such", cwd=tmp_path).returncode == 1


def test_schemas_export(tmp_path):
    result = reelgraph_cli("schemas", "export", str(tmp_path / "schemas"), cwd=tmp_path)
    assert result.returncode == 0
    graph_schema = json.loads((tmp_path / "schemas" / "graph.schema.json").read_text())
    assert "testpack.fail" in graph_schema["$defs"]["NodeSpec"]["properties"]["type"]["enum"]
    assert (tmp_path / "schemas" / "nodes" / "image.resize.schema.json").exists()
