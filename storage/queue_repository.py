"""The studio's render queue, kept in the runs table: enqueue, claim, reorder, cancel, pause.

Claiming is one statement, so two workers can never take the same run:

    UPDATE runs SET status='running', claimed_by=:worker ...
    WHERE id = (SELECT id FROM runs WHERE status='queued' ORDER BY priority DESC, created_at, id
                LIMIT 1 [FOR UPDATE SKIP LOCKED])
      AND status = 'queued'
    RETURNING id

On SQLite the UPDATE holds the database's write lock from its subquery to its end, so a second
worker's claim runs after it and sees the run taken. On PostgreSQL, FOR UPDATE SKIP LOCKED makes
concurrent claims pass over a row another transaction is taking instead of queueing behind it;
the repeated `status = 'queued'` guards a row that changed between the subquery and the update.
Never a SELECT followed by an UPDATE: that is the race this module exists to avoid.

A claimed run carries its worker's heartbeat (runs.heartbeat_at). A run whose heartbeat is stale
belongs to a dead worker and goes back to the queue; the node runs' own leases and heartbeats
keep a resumed run from computing a node twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update

from reelgraph.storage.db import Database
from reelgraph.storage.models import GraphRecord, QueueSettingRecord, RunRecord
from reelgraph.storage.records import CANCELLED, FAILED, INTERRUPTED, PENDING, QUEUED, RUNNING
from reelgraph.storage.repository import now

runs = RunRecord.__table__
graphs = GraphRecord.__table__
settings = QueueSettingRecord.__table__
PAUSED = "paused"
RESUMABLE = (FAILED, CANCELLED, INTERRUPTED)


@dataclass(frozen=True)
class QueueEntry:
    run_id: str
    status: str
    priority: int
    graph: str
    claimed_by: str | None
    cancel_requested: bool
    submitted_by: str | None
    created_at: datetime

    def to_json(self) -> dict:
        return {"run_id": self.run_id, "status": self.status, "priority": self.priority, "graph": self.graph,
                "claimed_by": self.claimed_by, "cancel_requested": self.cancel_requested,
                "submitted_by": self.submitted_by, "created_at": self.created_at.isoformat()}


def _entry(row) -> QueueEntry:
    return QueueEntry(run_id=row.id, status=row.status, priority=row.priority, graph=row.name,
                      claimed_by=row.claimed_by, cancel_requested=bool(row.cancel_requested),
                      submitted_by=row.submitted_by, created_at=row.created_at)


def _entries_query():
    return (select(runs.c.id, runs.c.status, runs.c.priority, runs.c.claimed_by, runs.c.cancel_requested,
                   runs.c.submitted_by, runs.c.created_at, graphs.c.name)
            .join(graphs, graphs.c.id == runs.c.graph_id))


_QUEUE_ORDER = (runs.c.priority.desc(), runs.c.created_at, runs.c.id)


def enqueue(db: Database, run_id: str, *, priority: int = 0, submitted_by: str | None = None) -> None:
    """Put a freshly created (pending) run into the queue."""
    with db.engine.begin() as connection:
        connection.execute(update(runs).where(and_(runs.c.id == run_id, runs.c.status == PENDING)).values(
            status=QUEUED, priority=priority, submitted_by=submitted_by, claimed_by=None, cancel_requested=False))


def position(db: Database, run_id: str) -> int | None:
    """1 for the run the next free worker takes; None when the run is not queued."""
    with db.engine.connect() as connection:
        row = connection.execute(select(runs.c.priority, runs.c.created_at).where(
            and_(runs.c.id == run_id, runs.c.status == QUEUED))).first()
        if row is None:
            return None
        ahead = connection.scalar(select(func.count()).where(and_(runs.c.status == QUEUED, or_(
            runs.c.priority > row.priority,
            and_(runs.c.priority == row.priority, runs.c.created_at < row.created_at),
            and_(runs.c.priority == row.priority, runs.c.created_at == row.created_at, runs.c.id < run_id)))))
    return ahead + 1


def claim_next(db: Database, worker: str) -> str | None:
    """Take the first queued run for `worker` (see the module docstring), unless the queue is paused."""
    pick = select(runs.c.id).where(runs.c.status == QUEUED).order_by(*_QUEUE_ORDER).limit(1)
    if db.engine.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    paused = exists().where(and_(settings.c.name == PAUSED, settings.c.value == "1"))
    moment = now()
    claim = (update(runs)
             .where(and_(runs.c.id == pick.scalar_subquery(), runs.c.status == QUEUED, ~paused))
             .values(status=RUNNING, claimed_by=worker, claimed_at=moment, heartbeat_at=moment,
                     started_at=moment, finished_at=None, error=None)
             .returning(runs.c.id))
    with db.engine.begin() as connection:
        return connection.execute(claim).scalar()


def heartbeat(db: Database, run_ids: list[str]) -> None:
    if run_ids:
        with db.engine.begin() as connection:
            connection.execute(update(runs).where(runs.c.id.in_(run_ids)).values(heartbeat_at=now()))


def requeue_stale(db: Database, stale_after: float) -> list[str]:
    """Runs claimed by a worker that stopped heartbeating go back to the queue (to be resumed)."""
    cutoff = now() - timedelta(seconds=stale_after)
    with db.engine.begin() as connection:
        return list(connection.execute(
            update(runs).where(and_(runs.c.status == RUNNING, runs.c.claimed_by.is_not(None),
                                    runs.c.heartbeat_at < cutoff))
            .values(status=QUEUED, claimed_by=None, heartbeat_at=None).returning(runs.c.id)).scalars())


def release(db: Database, run_id: str) -> None:
    """The worker is done with the run: it keeps claimed_by (who ran it), loses the heartbeat."""
    with db.engine.begin() as connection:
        connection.execute(update(runs).where(runs.c.id == run_id).values(heartbeat_at=None))


def set_priority(db: Database, run_id: str, priority: int) -> bool:
    """Reorder a queued run; False when it is no longer queued."""
    with db.engine.begin() as connection:
        return connection.execute(update(runs).where(and_(runs.c.id == run_id, runs.c.status == QUEUED))
                                  .values(priority=priority)).rowcount == 1


def cancel_queued(db: Database, run_id: str) -> bool:
    """Cancel a run no worker has taken: True when it was queued and now is cancelled."""
    with db.engine.begin() as connection:
        return connection.execute(update(runs).where(and_(runs.c.id == run_id, runs.c.status == QUEUED))
                                  .values(status=CANCELLED, finished_at=now(), cancel_requested=True)).rowcount == 1


def request_cancel(db: Database, run_id: str) -> bool:
    """Ask the worker running the run to stop it; True when the run is running."""
    with db.engine.begin() as connection:
        return connection.execute(update(runs).where(and_(runs.c.id == run_id, runs.c.status == RUNNING))
                                  .values(cancel_requested=True)).rowcount == 1


def cancel_requested(db: Database, run_ids: list[str]) -> set[str]:
    if not run_ids:
        return set()
    with db.engine.connect() as connection:
        return set(connection.scalars(select(runs.c.id).where(
            and_(runs.c.id.in_(run_ids), runs.c.cancel_requested.is_(True)))))


def requeue_for_resume(db: Database, run_id: str, priority: int | None = None) -> bool:
    """A failed, cancelled or interrupted run goes back to the queue; a worker resumes it."""
    values: dict = {"status": QUEUED, "claimed_by": None, "heartbeat_at": None, "cancel_requested": False,
                    "finished_at": None, "error": None}
    if priority is not None:
        values["priority"] = priority
    with db.engine.begin() as connection:
        return connection.execute(update(runs).where(and_(runs.c.id == run_id, runs.c.status.in_(RESUMABLE)))
                                  .values(**values)).rowcount == 1


def get_entry(db: Database, run_id: str) -> QueueEntry | None:
    with db.engine.connect() as connection:
        row = connection.execute(_entries_query().where(runs.c.id == run_id)).first()
    return _entry(row) if row else None


def list_entries(db: Database, statuses: tuple[str, ...] = (QUEUED, RUNNING), limit: int = 500) -> list[QueueEntry]:
    """Queued runs in the order workers take them, then running ones."""
    with db.engine.connect() as connection:
        rows = connection.execute(_entries_query().where(runs.c.status.in_(statuses))
                                  .order_by(*_QUEUE_ORDER).limit(limit)).all()
    entries = [_entry(row) for row in rows]
    return sorted(entries, key=lambda entry: entry.status != QUEUED)  # stable: queue order kept


def is_paused(db: Database) -> bool:
    with db.engine.connect() as connection:
        return connection.scalar(select(settings.c.value).where(settings.c.name == PAUSED)) == "1"


def set_paused(db: Database, paused: bool) -> None:
    value = "1" if paused else "0"
    with db.engine.begin() as connection:
        if connection.execute(update(settings).where(settings.c.name == PAUSED).values(value=value)).rowcount == 0:
            connection.execute(settings.insert().values(name=PAUSED, value=value))
