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
