"""Plain data read back from the database: what callers of the repository get."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Node run statuses. Only `succeeded` and `cached` count as done; `cached` reuses outputs of an
# earlier node run with the same cache key.
PENDING, RUNNING, SUCCEEDED, FAILED, CACHED, SKIPPED = (
    "pending", "running", "succeeded", "failed", "cached", "skipped")
DONE_STATUSES = (SUCCEEDED, CACHED)
# Run statuses beyond the node ones: waiting in the studio's queue, stopped on request (cancel),
# stopped by a signal (SIGINT/SIGTERM; `reelgraph resume` continues it).
QUEUED, CANCELLED, INTERRUPTED = "queued", "cancelled", "interrupted"


@dataclass(frozen=True)
class ArtifactInfo:
    sha256: str
    kind: str
    mime: str
    size: int
    uri: str
    meta: dict = field(default_factory=dict)
    producer_node_run_id: int | None = None

    def to_json(self) -> dict:
        return {"sha256": self.sha256, "kind": self.kind, "mime": self.mime, "size": self.size,
                "uri": self.uri, "meta": self.meta, "producer_node_run_id": self.producer_node_run_id}


@dataclass(frozen=True)
class NodeRunInfo:
    id: int
    run_id: str
    node_id: str
    base_id: str
    type: str
    type_version: int
    cache_key: str
    params: dict
    inputs: dict                 # port -> [upstream node id, upstream port]
    bindings: dict
    resources: dict
    status: str
    attempts: int
    host: str | None
    worker: str | None
    gpu: str | None
    cached_from: int | None
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    error_code: str | None
    error: str | None
    traceback: str | None
    outputs: dict[str, str] = field(default_factory=dict)  # port -> artifact sha256


@dataclass(frozen=True)
class RunInfo:
    id: str
    graph_id: str
    graph_name: str
    engine: str
    status: str
    workspace: str
    store_uri: str
    overrides: list
    targets: list
    matrix: dict
    external_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    owner: str | None = None     # host/worker/boot:ID of the process executing it
    claimed_by: str | None = None  # the studio queue worker that claimed it (its heartbeat governs it)

    def to_json(self) -> dict:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {"run_id": self.id, "status": self.status, "graph": self.graph_name,
                "graph_id": self.graph_id, "engine": self.engine, "external_id": self.external_id,
                "created_at": iso(self.created_at), "started_at": iso(self.started_at),
                "finished_at": iso(self.finished_at), "error": self.error}
