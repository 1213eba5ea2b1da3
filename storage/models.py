"""The database schema: graphs, runs, node runs, artifacts, node outputs, schedules, and the
studio's queue fields, run events and graph revisions.

Alembic migrations (storage/migrations) create these tables; a test checks that the migrations
and these models agree.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        false)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SHA256 = String(64)


class Base(DeclarativeBase):
    pass


class GraphRecord(Base):
    __tablename__ = "graphs"

    id: Mapped[str] = mapped_column(SHA256, primary_key=True)  # sha256 of the canonical document
    name: Mapped[str] = mapped_column(String(256))
    document: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RunRecord(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_queue", "status", "priority", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    graph_id: Mapped[str] = mapped_column(ForeignKey("graphs.id"), index=True)
    engine: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # queued, pending, running, succeeded, failed, cancelled...
    workspace: Mapped[str] = mapped_column(Text)
    store_uri: Mapped[str] = mapped_column(Text)
    overrides: Mapped[list] = mapped_column(JSON)
    targets: Mapped[list] = mapped_column(JSON)
    matrix: Mapped[dict] = mapped_column(JSON)
    external_id: Mapped[str | None] = mapped_column(String(128))  # e.g. the Prefect flow run id
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    # The studio's queue: higher priority first, then oldest; the worker that claimed the run
    # keeps heartbeat_at fresh, so a run whose worker died goes back to the queue.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(String(256))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    submitted_by: Mapped[str | None] = mapped_column(String(256))
    # The process executing the run (host/worker/boot:ID), so a run whose process died on this
    # host is seen as interrupted at once (flows/liveness.py).
    owner: Mapped[str | None] = mapped_column(String(256))
    # `reelgraph runs pin`: store gc keeps everything a pinned run references, whatever its age.
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class NodeRunRecord(Base):
    __tablename__ = "node_runs"
    __table_args__ = (
        UniqueConstraint("run_id", "node_id", name="uq_node_runs_run_node"),
        Index("ix_node_runs_cache_key_status", "cache_key", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    node_id: Mapped[str] = mapped_column(String(512))   # the expanded id, e.g. video[locale=es]
    base_id: Mapped[str] = mapped_column(String(128))   # the id in the document
    type: Mapped[str] = mapped_column(String(128))
    type_version: Mapped[int] = mapped_column(Integer)
    cache_key: Mapped[str] = mapped_column(SHA256)
    params: Mapped[dict] = mapped_column(JSON)
    inputs: Mapped[dict] = mapped_column(JSON)          # port -> [upstream node id, upstream port]
    bindings: Mapped[dict] = mapped_column(JSON)        # matrix values of this instance
    resources: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))     # pending running succeeded failed cached skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    host: Mapped[str | None] = mapped_column(String(256))
    worker: Mapped[str | None] = mapped_column(String(256))
    gpu: Mapped[str | None] = mapped_column(String(64))
    cached_from: Mapped[int | None] = mapped_column(Integer)  # the node run whose outputs were reused
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)


class ArtifactRecord(Base):
    __tablename__ = "artifacts"

    sha256: Mapped[str] = mapped_column(SHA256, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    mime: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    uri: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict] = mapped_column(JSON)
    producer_node_run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NodeOutputRecord(Base):
    __tablename__ = "node_outputs"

    node_run_id: Mapped[int] = mapped_column(ForeignKey("node_runs.id"), primary_key=True)
    port: Mapped[str] = mapped_column(String(128), primary_key=True)
    artifact_sha256: Mapped[str] = mapped_column(ForeignKey("artifacts.sha256"), index=True)


class ScheduleRecord(Base):
    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    graph_path: Mapped[str] = mapped_column(Text)
    cron: Mapped[str] = mapped_column(String(128))
    overrides: Mapped[list] = mapped_column(JSON)
    engine: Mapped[str] = mapped_column(String(32))
    deployment_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CacheLeaseRecord(Base):
    """Who is computing a cache key right now: racing runs wait for the holder instead of
    computing the same node twice. A lease whose holder stops renewing it expires."""

    __tablename__ = "cache_leases"

    cache_key: Mapped[str] = mapped_column(SHA256, primary_key=True)
    node_run_id: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(256))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


EVENT_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite auto-increments INTEGER keys only


class RunEventRecord(Base):
    """One event of a run (or of the queue, run_id NULL), in the order written: the SSE stream's
    `id:` is this row's id, so a client reconnecting with Last-Event-ID resumes exactly."""

    __tablename__ = "run_events"
    __table_args__ = (Index("ix_run_events_run_id_id", "run_id", "id"),)

    id: Mapped[int] = mapped_column(EVENT_ID, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GraphRevisionRecord(Base):
    """Each saved version of a graph file in the studio's graphs folder."""

    __tablename__ = "graph_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    path: Mapped[str] = mapped_column(String(1024), index=True)
    sha256: Mapped[str] = mapped_column(SHA256)
    content: Mapped[str] = mapped_column(Text)
    saved_by: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class QueueSettingRecord(Base):
    """Queue-wide switches (`paused`), shared by every server and worker on the database."""

    __tablename__ = "queue_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
