"""Run events as rows: the worker's per-run sink appends them, SSE streams read them by id.

Readers page through `id > last_seen`, so ids must become visible in order. SQLite serialises
writers, so a row with a smaller id is always committed first. PostgreSQL hands out sequence
values before commit: two writers could commit ids 6 then 5, and a reader that already moved
past 6 would never see 5. Each insert there takes an EXCLUSIVE lock on the table (it blocks
other writers until commit, never readers), which makes commit order the id order. Events are a
few per node, so the serialisation costs nothing measurable.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func, insert, select, text

from reelgraph.storage.db import Database
from reelgraph.storage.models import RunEventRecord
from reelgraph.storage.repository import now

run_events = RunEventRecord.__table__


@dataclass(frozen=True)
class RunEvent:
    id: int
    run_id: str | None
    kind: str
    data: dict
    created_at: datetime

    def to_json(self) -> dict:
        created = self.created_at if self.created_at.tzinfo else self.created_at.replace(tzinfo=UTC)  # SQLite: naive UTC
        return {"id": self.id, "run_id": self.run_id, "kind": self.kind, "created_at": created.isoformat(),
                **self.data}


def append_event(db: Database, run_id: str | None, kind: str, data: dict) -> int:
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("LOCK TABLE run_events IN EXCLUSIVE MODE"))
        return connection.execute(insert(run_events).values(
            run_id=run_id, kind=kind, data=data, created_at=now()).returning(run_events.c.id)).scalar_one()


def events_after(db: Database, after_id: int = 0, *, run_id: str | None = None, limit: int = 1000) -> list[RunEvent]:
    """Events with an id above `after_id`, oldest first; only one run's when `run_id` is given."""
    condition = run_events.c.id > after_id
    if run_id is not None:
        condition = and_(condition, run_events.c.run_id == run_id)
    with db.engine.connect() as connection:
        rows = connection.execute(select(run_events).where(condition).order_by(run_events.c.id).limit(limit))
        return [RunEvent(row.id, row.run_id, row.kind, row.data, row.created_at) for row in rows]


def last_event_id(db: Database) -> int:
    with db.engine.connect() as connection:
        return connection.scalar(select(func.max(run_events.c.id))) or 0


def last_event_of_run(db: Database, run_id: str) -> RunEvent | None:
    with db.engine.connect() as connection:
        row = connection.execute(select(run_events).where(run_events.c.run_id == run_id)
                                 .order_by(run_events.c.id.desc()).limit(1)).first()
    return RunEvent(row.id, row.run_id, row.kind, row.data, row.created_at) if row else None
