"""Scheduled renders: a graph rendered on a cron schedule through a Prefect deployment.

    reelgraph schedule examples/campaign.yaml --cron "0 6 * * 1" --set matrix.locale=en,es
    reelgraph serve            # runs the schedules (a Prefect runner; keep it running)

Each schedule is a deployment of one flow, `reelgraph-render`, whose parameters name the graph,
the `--set` overrides, the engine, the database and the store; reelgraph keeps its own list of
schedules too, so `serve` knows what to serve and `schedules list/remove` work without the UI.
The flow is found by module path, so any machine with reelgraph installed can run it.
"""
from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.deployments.runner import EntrypointType, RunnerDeployment

from reelgraph.flows.api import run_document
from reelgraph.flows.runtime import Runtime, open_runtime
from reelgraph.graph import load_plan
from reelgraph.storage import schedules as schedule_records

FLOW_NAME = "reelgraph-render"


@flow(name=FLOW_NAME, persist_result=False, log_prints=True)
def render_graph(graph_path: str, overrides: list[str] | None = None, engine: str = "local",
                 database_url: str | None = None, store: str | None = None) -> dict[str, Any]:
    """Render a graph once: the body of every scheduled run."""
    runtime = open_runtime(database_url, store)
    result = run_document(runtime, graph_path, engine=engine, overrides=overrides or [])
    summary = {"run_id": result["run_id"], "status": result["status"]}
    if result["status"] != "succeeded":
        failed = [node for node, info in result["nodes"].items() if info["status"] == "failed"]
        raise RuntimeError(f"reelgraph run {result['run_id']} failed at {', '.join(failed)}")
    return summary


def _deployment(schedule: dict, runtime: Runtime) -> RunnerDeployment:
    return render_graph.to_deployment(
        name=schedule["name"], cron=schedule["cron"], entrypoint_type=EntrypointType.MODULE_PATH,
        description=f"reelgraph: render {schedule['graph_path']} on '{schedule['cron']}'",
        tags=["reelgraph"],
        parameters={"graph_path": schedule["graph_path"], "overrides": list(schedule["overrides"]),
                    "engine": schedule["engine"], "database_url": runtime.db.url,
                    "store": runtime.store.uri})


def create_schedule(runtime: Runtime, graph_path: str | Path, *, cron: str, name: str | None = None,
                    overrides: list[str] | None = None, engine: str = "local") -> dict:
    """Validate the graph, register the deployment with Prefect, record the schedule."""
    path = Path(graph_path).resolve()
    plan = load_plan(path, overrides=overrides or [])  # raises GraphInvalid before anything is made
    schedule = {"id": uuid.uuid4().hex, "name": name or plan.name, "graph_path": str(path), "cron": cron,
                "overrides": list(overrides or []), "engine": engine}
    deployment_id = _deployment(schedule, runtime).apply()
    schedule_records.add_schedule(runtime.db, schedule_id=schedule["id"], name=schedule["name"], graph_path=str(path),
                      cron=cron, overrides=schedule["overrides"], engine=engine, deployment_id=str(deployment_id))
    return {**schedule, "deployment_id": str(deployment_id), "deployment": f"{FLOW_NAME}/{schedule['name']}"}


def remove_schedule(runtime: Runtime, name: str) -> bool:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    async def delete() -> None:
        async with get_client() as client:
            try:
                deployment = await client.read_deployment_by_name(f"{FLOW_NAME}/{name}")
            except ObjectNotFound:
                return
            await client.delete_deployment(deployment.id)

    asyncio.run(delete())
    return schedule_records.delete_schedule(runtime.db, name)


def serve_schedules(runtime: Runtime, *, run_once: bool = False) -> int:
    """Run every recorded schedule's deployment until interrupted (or one poll with run_once)."""
    from prefect.runner import Runner

    schedules = schedule_records.list_schedules(runtime.db)
    if not schedules:
        return 0
    runner = Runner(name="reelgraph-serve", query_seconds=2 if run_once else None)
    deployments = [_deployment(schedule, runtime) for schedule in schedules]  # built outside the loop:
    # inside a running event loop, Prefect's to_deployment turns into a coroutine

    async def start() -> None:
        for deployment in deployments:
            await runner.aadd_deployment(deployment)
        await runner.start(run_once=run_once)

    asyncio.run(start())
    return len(schedules)
