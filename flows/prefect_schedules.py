"""The Prefect side of schedules: the `reelgraph-render` flow, its deployments, and `serve`.

Every call that reaches a Prefect server goes through `_prefect_call`, which turns whatever the
client raises (connection refused, timeouts, HTTP errors, the ephemeral server not starting) into
one ScheduleFailed sentence: no Prefect traceback reaches a user.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from reelgraph.flows.schedules import FLOW_NAME, ScheduleFailed, quiet_prefect

quiet_prefect()

from prefect import flow  # noqa: E402 (after quiet_prefect: Prefect reads its logging settings on import)
from prefect.deployments.runner import EntrypointType, RunnerDeployment  # noqa: E402
from prefect.states import Failed  # noqa: E402

from reelgraph.flows.api import run_document  # noqa: E402
from reelgraph.flows.runtime import Runtime, open_runtime  # noqa: E402

T = TypeVar("T")
HEALTH_TIMEOUT_SECONDS = 5


@flow(name=FLOW_NAME, persist_result=False, log_prints=True)
def render_graph(graph_path: str, overrides: list[str] | None = None, engine: str = "local",
                 database_url: str | None = None, store: str | None = None) -> Any:
    """Render a graph once: the body of every scheduled run. A failed render is a Failed state
    with the failed nodes named (raising would print a traceback in `serve`)."""
    runtime = open_runtime(database_url, store)
    try:
        result = run_document(runtime, graph_path, engine=engine, overrides=overrides or [])
    finally:
        runtime.db.dispose()
    if result["status"] != "succeeded":
        failed = [node for node, info in result["nodes"].items() if info["status"] == "failed"]
        return Failed(message=f"reelgraph run {result['run_id']} failed at {', '.join(failed) or 'no node'}; "
                              f"`reelgraph runs show {result['run_id']}` says why")
    return {"run_id": result["run_id"], "status": result["status"]}


def _deployment(schedule: dict, runtime: Runtime) -> RunnerDeployment:
    return render_graph.to_deployment(
        name=schedule["name"], cron=schedule["cron"], entrypoint_type=EntrypointType.MODULE_PATH,
        description=f"reelgraph: render {schedule['graph_path']} on '{schedule['cron']}'",
        tags=["reelgraph"],
        parameters={"graph_path": schedule["graph_path"], "overrides": list(schedule["overrides"]),
                    "engine": schedule["engine"], "database_url": runtime.db.url,
                    "store": runtime.store.uri})


def _check_reachable(api: str) -> None:
    """One quick request before Prefect's client, which retries a dead server for a long time."""
    import httpx

    try:
        httpx.get(api.rstrip("/") + "/health", timeout=HEALTH_TIMEOUT_SECONDS).raise_for_status()
    except httpx.HTTPError as error:
        raise ScheduleFailed(f"cannot reach the Prefect server at {api} ({type(error).__name__}: {error}); "
                             "start it (`prefect server start`), fix PREFECT_API_URL, or unset it to keep "
                             "schedules in reelgraph's database for `reelgraph serve`") from None


def _prefect_call(what: str, api: str | None, call: Callable[[], T]) -> T:
    try:
        return call()
    except ScheduleFailed:
        raise
    except Exception as error:  # Prefect's client and server raise many kinds; the user needs one line
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        where = f" at {api}" if api else ""
        raise ScheduleFailed(f"Prefect{where} could not {what}: {first_line}; check that the server is "
                             "running (`prefect server start`) and PREFECT_API_URL") from None


def register_deployment(schedule: dict, runtime: Runtime, api: str) -> str:
    _check_reachable(api)
    deployment = _deployment(schedule, runtime)
    return str(_prefect_call(f"register the deployment {FLOW_NAME}/{schedule['name']}", api, deployment.apply))


def delete_deployment(name: str, api: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    _check_reachable(api)

    async def delete() -> None:
        async with get_client() as client:
            try:
                deployment = await client.read_deployment_by_name(f"{FLOW_NAME}/{name}")
            except ObjectNotFound:
                return  # recorded here before a server was configured: nothing to delete there
            await client.delete_deployment(deployment.id)

    _prefect_call(f"delete the deployment {FLOW_NAME}/{name}", api, lambda: asyncio.run(delete()))


def serve_deployments(schedules: list[dict], runtime: Runtime, *, run_once: bool = False) -> None:
    """A Prefect runner over every recorded schedule (its deployments created or updated)."""
    from prefect.runner import Runner

    from reelgraph.flows.schedules import configured_prefect_api

    api = configured_prefect_api()
    if api:
        _check_reachable(api)
    runner = Runner(name="reelgraph-serve", query_seconds=2 if run_once else None)
    deployments = [_deployment(schedule, runtime) for schedule in schedules]  # built outside the loop:
    # inside a running event loop, Prefect's to_deployment turns into a coroutine

    async def start() -> None:
        for deployment in deployments:
            await runner.aadd_deployment(deployment)
        await runner.start(run_once=run_once)

    _prefect_call("serve the schedules", api, lambda: asyncio.run(start()))
