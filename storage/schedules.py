"""Schedule records: reelgraph's own list of cron renders (each also a Prefect deployment)."""
from __future__ import annotations

from sqlalchemy import insert, select

from reelgraph.storage.db import Database
from reelgraph.storage.models import ScheduleRecord
from reelgraph.storage.repository import now

schedules = ScheduleRecord.__table__


def add_schedule(db: Database, *, schedule_id: str, name: str, graph_path: str, cron: str, overrides: list,
                 engine: str, deployment_id: str | None) -> None:
    with db.engine.begin() as connection:
        connection.execute(schedules.delete().where(schedules.c.name == name))  # re-scheduling replaces
        connection.execute(insert(schedules).values(
            id=schedule_id, name=name, graph_path=graph_path, cron=cron, overrides=overrides, engine=engine,
            deployment_id=deployment_id, created_at=now()))


def list_schedules(db: Database) -> list[dict]:
    with db.engine.connect() as connection:
        rows = connection.execute(select(schedules).order_by(schedules.c.name))
        return [dict(row._mapping) for row in rows]


def delete_schedule(db: Database, name: str) -> bool:
    with db.engine.begin() as connection:
        return connection.execute(schedules.delete().where(schedules.c.name == name)).rowcount > 0
