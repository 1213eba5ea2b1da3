"""Scheduled renders: a graph rendered on a cron schedule.

    reelgraph schedule examples/campaign.yaml --cron "0 6 * * 1" --set matrix.locale=en,es
    reelgraph serve            # runs the schedules (a Prefect runner; keep it running)

A schedule lives in reelgraph's database first: adding, listing and removing one never starts a
Prefect server (that took 30 s, and failed outright on a busy machine). `reelgraph serve` turns
every recorded schedule into a deployment of one flow, `reelgraph-render`, and runs them. When a
Prefect server is configured (PREFECT_API_URL, in the environment or the Prefect profile), the
deployment is also registered there at once, so its UI shows it before `serve` starts.
The Prefect side lives in flows/prefect_schedules.py, imported only when Prefect is needed.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from reelgraph.flows.runtime import Runtime
from reelgraph.graph import load_plan
from reelgraph.storage import schedules as schedule_records

FLOW_NAME = "reelgraph-render"


class ScheduleFailed(Exception):
    """A schedule command that cannot be done, said as one sentence with what to do."""


def quiet_prefect() -> None:
    """Prefect's own logging, set before Prefect is imported: its temporary server prints
    `database is locked` tracebacks at shutdown and a telemetry heartbeat; users see neither.
    Settings a user made win (setdefault)."""
    os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def check_cron(cron: str) -> None:
    """Prefect's own cron check (no server): ValueError with a sentence."""
    from pydantic import ValidationError

    quiet_prefect()
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValidationError:
        raise ValueError(f"'{cron}' is not a cron expression (five fields: minute hour day month weekday, "
                         "e.g. \"0 6 * * 1\")") from None


def configured_prefect_api() -> str | None:
    """The Prefect server a user configured (environment or profile), or None."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    quiet_prefect()
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return str(url) if url else None


def create_schedule(runtime: Runtime, graph_path: str | Path, *, cron: str, name: str | None = None,
                    overrides: list[str] | None = None, engine: str = "local") -> dict:
    """Validate the graph and the cron expression, record the schedule, and register it with a
    configured Prefect server. Raises GraphInvalid, ValueError, ScheduleFailed."""
    path = Path(graph_path).resolve()
    plan = load_plan(path, overrides=overrides or [])  # raises GraphInvalid before anything is made
    check_cron(cron)
    schedule = {"id": uuid.uuid4().hex, "name": name or plan.name, "graph_path": str(path), "cron": cron,
                "overrides": list(overrides or []), "engine": engine}
    api = configured_prefect_api()
    deployment_id = None
    if api:
        from reelgraph.flows.prefect_schedules import register_deployment

        deployment_id = register_deployment(schedule, runtime, api)
    schedule_records.add_schedule(runtime.db, schedule_id=schedule["id"], name=schedule["name"],
                                  graph_path=str(path), cron=cron, overrides=schedule["overrides"], engine=engine,
                                  deployment_id=deployment_id)
    return {**schedule, "deployment_id": deployment_id, "deployment": f"{FLOW_NAME}/{schedule['name']}",
            "prefect_api": api}


def remove_schedule(runtime: Runtime, name: str) -> bool:
    """Remove the record, and its deployment from a configured Prefect server."""
    if not any(row["name"] == name for row in schedule_records.list_schedules(runtime.db)):
        return False
    api = configured_prefect_api()
    if api:
        from reelgraph.flows.prefect_schedules import delete_deployment

        delete_deployment(name, api)
    return schedule_records.delete_schedule(runtime.db, name)


def serve_schedules(runtime: Runtime, *, run_once: bool = False) -> int:
    """Run every recorded schedule until interrupted (or one poll with run_once)."""
    schedules = schedule_records.list_schedules(runtime.db)
    if not schedules:
        return 0
    from reelgraph.flows.prefect_schedules import serve_deployments

    serve_deployments(schedules, runtime, run_once=run_once)
    return len(schedules)
