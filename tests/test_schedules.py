"""Cron schedules as Prefect deployments: listed by Prefect with the right cron and parameters,
and one run of it triggered and executed end to end by `reelgraph serve`."""
from __future__ import annotations

import asyncio
import json
import shutil

from tests.conftest import REPO, reelgraph_cli


def test_a_schedule_is_a_prefect_deployment_that_serve_runs(prefect_server, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    shutil.copytree(REPO / "examples" / "assets", tmp_path / "assets")
    shutil.copy(REPO / "examples" / "hello.yaml", tmp_path / "hello.yaml")
    env = {"PREFECT_API_URL": prefect_server}
    created = reelgraph_cli("schedule", "hello.yaml", "--cron", "0 6 * * 1", "--name", "weekly-hello",
                            "--set", "thumb.width=64", "--json", cwd=tmp_path, env=env)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["deployment"] == "reelgraph-render/weekly-hello"

    async def read_deployment():
        async with get_client() as client:
            return await client.read_deployment_by_name("reelgraph-render/weekly-hello")

    deployment = asyncio.run(read_deployment())
    assert [s.schedule.cron for s in deployment.schedules] == ["0 6 * * 1"]
    assert deployment.parameters["graph_path"] == str(tmp_path / "hello.yaml")
    assert deployment.parameters["overrides"] == ["thumb.width=64"]
    assert deployment.parameters["engine"] == "local"

    listed = json.loads(reelgraph_cli("schedules", "list", "--json", cwd=tmp_path, env=env).stdout)
    assert [(s["name"], s["cron"]) for s in listed] == [("weekly-hello", "0 6 * * 1")]

    flow_run = run_deployment("reelgraph-render/weekly-hello", timeout=0)  # due now
    served = reelgraph_cli("serve", "--run-once", cwd=tmp_path, env=env, timeout=600)
    assert served.returncode == 0, served.stderr[-2000:]

    async def read_flow_run():
        async with get_client() as client:
            return await client.read_flow_run(flow_run.id)

    assert asyncio.run(read_flow_run()).state.is_completed()
    runs = json.loads(reelgraph_cli("runs", "list", "--json", cwd=tmp_path).stdout)
    assert [(r["graph"], r["status"]) for r in runs] == [("hello", "succeeded")]
    shown = json.loads(reelgraph_cli("runs", "show", runs[0]["run_id"], "--json", cwd=tmp_path).stdout)
    assert shown["nodes"]["thumb"]["status"] == "succeeded"

    removed = reelgraph_cli("schedules", "remove", "weekly-hello", cwd=tmp_path, env=env)
    assert removed.returncode == 0
    assert json.loads(reelgraph_cli("schedules", "list", "--json", cwd=tmp_path, env=env).stdout) == []


def cli_without_prefect_server(*args: str, cwd, prefect_home, api_url: str | None = None):
    """The console script with no Prefect server configured (or `api_url`), timed."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(prefect_home)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    started = time.perf_counter()
    result = subprocess.run([str(Path(sys.executable).parent / "reelgraph"), *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    print(f"reelgraph {' '.join(args)}: {time.perf_counter() - started:.1f} s")
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_schedules_are_added_listed_and_removed_without_a_prefect_server(tmp_path):
    shutil.copy(REPO / "examples" / "hello.yaml", tmp_path / "hello.yaml")
    shutil.copytree(REPO / "examples" / "assets", tmp_path / "assets")
    home = tmp_path / "prefect-home"
    created = cli_without_prefect_server("schedule", "hello.yaml", "--cron", "0 6 * * 1", "--json",
                                         cwd=tmp_path, prefect_home=home)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["deployment_id"] is None  # `serve` makes the deployment
    assert not (home / "prefect.db").exists()  # no temporary server was started (it took 30 s)
    listed = json.loads(cli_without_prefect_server("schedules", "list", "--json", cwd=tmp_path,
                                                   prefect_home=home).stdout)
    assert [(s["name"], s["cron"]) for s in listed] == [("hello", "0 6 * * 1")]
    assert cli_without_prefect_server("schedules", "remove", "hello", cwd=tmp_path, prefect_home=home).returncode == 0
    assert json.loads(cli_without_prefect_server("schedules", "list", "--json", cwd=tmp_path,
                                                 prefect_home=home).stdout) == []
    assert not (home / "prefect.db").exists()


def test_an_unreachable_prefect_server_is_one_message_and_nothing_is_recorded(tmp_path):
    shutil.copy(REPO / "examples" / "hello.yaml", tmp_path / "hello.yaml")
    shutil.copytree(REPO / "examples" / "assets", tmp_path / "assets")
    refused = cli_without_prefect_server("schedule", "hello.yaml", "--cron", "0 6 * * 1", cwd=tmp_path,
                                         prefect_home=tmp_path / "home", api_url="http://127.0.0.1:9/api")
    assert refused.returncode == 1
    assert "cannot reach the Prefect server at http://127.0.0.1:9/api" in refused.stderr
    assert "unset it" in refused.stderr and len(refused.stderr.strip().splitlines()) <= 4
    listed = cli_without_prefect_server("schedules", "list", "--json", cwd=tmp_path, prefect_home=tmp_path / "home")
    assert json.loads(listed.stdout) == []


def test_a_malformed_cron_is_refused_without_a_server(tmp_path):
    shutil.copy(REPO / "examples" / "hello.yaml", tmp_path / "hello.yaml")
    shutil.copytree(REPO / "examples" / "assets", tmp_path / "assets")
    refused = cli_without_prefect_server("schedule", "hello.yaml", "--cron", "every monday", cwd=tmp_path,
                                         prefect_home=tmp_path / "home")
    assert refused.returncode == 2 and "is not a cron expression" in refused.stderr
