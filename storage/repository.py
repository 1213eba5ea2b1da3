"""Repository functions: every read and write of runs, node runs and artifacts goes through here.

Each write is one short transaction, so a crash loses at most the node that was running, and
concurrent writers (threads, Ray workers, several runs) only ever contend for a moment. The hot
paths use SQLAlchemy Core statements, not the ORM unit of work: a cached re-run of a 1,000-node
graph is a handful of bulk statements.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from reelgraph.storage.db import Database
from reelgraph.storage.models import ArtifactRecord, CacheLeaseRecord, GraphRecord, NodeOutputRecord, NodeRunRecord, RunRecord
from reelgraph.storage.records import (CACHED, CANCELLED, DONE_STATUSES, FAILED, INTERRUPTED, PENDING, RUNNING,
                                       SKIPPED, SUCCEEDED, ArtifactInfo, NodeRunInfo, RunInfo)

runs = RunRecord.__table__
node_runs = NodeRunRecord.__table__
artifacts = ArtifactRecord.__table__
node_outputs = NodeOutputRecord.__table__
graphs = GraphRecord.__table__


# The node runner's statements, built once. Building a SQLAlchemy expression (and its cache key)
# costs more than SQLite takes to run it, and these run several times for every node.
_GET_NODE_RUN = select(node_runs).where(
    and_(node_runs.c.run_id == bindparam("run"), node_runs.c.node_id == bindparam("node")))
_OUTPUTS_OF_NODE_RUN = select(node_outputs.c.port, node_outputs.c.artifact_sha256).where(
    node_outputs.c.node_run_id == bindparam("node_run"))
_CACHE_SOURCE = (select(node_runs.c.id, node_outputs.c.port, node_outputs.c.artifact_sha256)
                 .join(node_outputs, node_outputs.c.node_run_id == node_runs.c.id, isouter=True)
                 .where(and_(node_runs.c.cache_key == bindparam("key"), node_runs.c.status == SUCCEEDED))
                 .order_by(node_runs.c.id))
_MARK_RUNNING = (update(node_runs).where(node_runs.c.id == bindparam("node_run"))
                 .values(status=RUNNING, attempts=node_runs.c.attempts + 1, host=bindparam("b_host"),
                         worker=bindparam("b_worker"), gpu=bindparam("b_gpu"), started_at=bindparam("b_now"),
                         heartbeat_at=bindparam("b_now"), finished_at=None, error=None, error_code=None,
                         traceback=None)
                 .returning(node_runs.c.attempts))
_MARK_SUCCEEDED = update(node_runs).where(node_runs.c.id == bindparam("node_run")).values(
    status=SUCCEEDED, finished_at=bindparam("b_now"))
_INSERT_OUTPUTS = insert(node_outputs)
_MARK_CACHED = update(node_runs).where(node_runs.c.id == bindparam("node_run")).values(
    status=CACHED, cached_from=bindparam("b_source"), finished_at=bindparam("b_now"), error=None, error_code=None,
    traceback=None)
_OUTPUTS_OF_NODES = (select(node_runs.c.node_id, node_outputs.c.port, artifacts)
                     .join(node_outputs, node_outputs.c.node_run_id == node_runs.c.id)
                     .join(artifacts, artifacts.c.sha256 == node_outputs.c.artifact_sha256)
                     .where(and_(node_runs.c.run_id == bindparam("run"),
                                 node_runs.c.node_id.in_(bindparam("nodes", expanding=True)))))
_INSERT_IGNORE: dict[str, object] = {}
leases = CacheLeaseRecord.__table__
_TAKE_LEASE = update(leases).where(and_(
    leases.c.cache_key == bindparam("key"),
    or_(leases.c.expires_at < bindparam("b_now"), leases.c.node_run_id == bindparam("node_run")))).values(
    node_run_id=bindparam("node_run"), holder=bindparam("b_holder"), expires_at=bindparam("b_expires"))
_RELEASE_LEASE = leases.delete().where(
    and_(leases.c.cache_key == bindparam("key"), leases.c.node_run_id == bindparam("node_run")))


def now() -> datetime:
    return datetime.now(UTC)


def _insert_ignore(db: Database, table):
    """INSERT ... ON CONFLICT DO NOTHING in the database's own dialect (built once per dialect)."""
    key = f"{db.engine.dialect.name}:{table.name}"
    if key not in _INSERT_IGNORE:
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        _INSERT_IGNORE[key] = dialect.insert(table).on_conflict_do_nothing()
    return _INSERT_IGNORE[key]


# Runs -------------------------------------------------------------------------------------------

def create_run(db: Database, *, run_id: str, graph_id: str, graph_name: str, document: dict,
               engine: str, workspace: str, store_uri: str, overrides: list, targets: list,
               matrix: dict, nodes: Iterable[dict]) -> None:
    """Record the graph (once per hash), the run and one pending node run per planned node."""
    created = now()
    with db.engine.begin() as connection:
        connection.execute(_insert_ignore(db, graphs).values(
            id=graph_id, name=graph_name, document=document, created_at=created))
        connection.execute(insert(runs).values(
            id=run_id, graph_id=graph_id, engine=engine, status=PENDING, workspace=workspace,
            store_uri=store_uri, overrides=overrides, targets=targets, matrix=matrix, created_at=created))
        rows = [{**node, "run_id": run_id, "status": PENDING, "attempts": 0} for node in nodes]
        if rows:
            connection.execute(insert(node_runs), rows)


def set_run_status(db: Database, run_id: str, status: str, *, error: str | None = None,
                   external_id: str | None = None, owner: str | None = None) -> None:
    values: dict = {"status": status}
    if owner is not None:
        values["owner"] = owner
    if status == RUNNING:
        values.update(started_at=now(), finished_at=None, error=None)
    elif status in (SUCCEEDED, FAILED, CANCELLED, INTERRUPTED):
        values.update(finished_at=now(), error=error)
    if external_id is not None:
        values["external_id"] = external_id
    with db.engine.begin() as connection:
        connection.execute(update(runs).where(runs.c.id == run_id).values(**values))


def _run_info(row) -> RunInfo:
    return RunInfo(id=row.id, graph_id=row.graph_id, graph_name=row.name, engine=row.engine,
                   status=row.status, workspace=row.workspace, store_uri=row.store_uri,
                   overrides=row.overrides, targets=row.targets, matrix=row.matrix,
                   external_id=row.external_id, created_at=row.created_at, started_at=row.started_at,
                   finished_at=row.finished_at, error=row.error, owner=row.owner,
                   claimed_by=row.claimed_by)


def _runs_query():
    return select(runs, graphs.c.name).join(graphs, graphs.c.id == runs.c.graph_id)


def get_run(db: Database, run_id: str) -> RunInfo | None:
    with db.engine.connect() as connection:
        row = connection.execute(_runs_query().where(runs.c.id == run_id)).first()
    return _run_info(row) if row else None


def find_runs(db: Database, prefix: str) -> list[str]:
    """Run ids starting with `prefix`, so users can type the first few characters."""
    with db.engine.connect() as connection:
        return list(connection.scalars(select(runs.c.id).where(runs.c.id.startswith(prefix)).limit(2)))


def list_runs(db: Database, limit: int = 50) -> list[RunInfo]:
    """Newest first."""
    query = _runs_query().order_by(runs.c.created_at.desc(), runs.c.id.desc()).limit(limit)
    with db.engine.connect() as connection:
        return [_run_info(row) for row in connection.execute(query)]


def graph_document(db: Database, graph_id: str) -> dict | None:
    with db.engine.connect() as connection:
        return connection.scalar(select(graphs.c.document).where(graphs.c.id == graph_id))


# Node runs --------------------------------------------------------------------------------------

_NODE_RUN_FIELDS = tuple(name for name in NodeRunInfo.__dataclass_fields__ if name != "outputs")


def _node_run_info(row, outputs: dict[str, str]) -> NodeRunInfo:
    mapping = row._mapping  # a run's driver reads every node run: the plain mapping is the fast way
    return NodeRunInfo(*(mapping[name] for name in _NODE_RUN_FIELDS), outputs=outputs)


def _outputs_by_node_run(connection, node_run_ids: list[int]) -> dict[int, dict[str, str]]:
    outputs: dict[int, dict[str, str]] = {}
    for start in range(0, len(node_run_ids), 500):  # keep IN lists short for every database
        chunk = node_run_ids[start:start + 500]
        query = select(node_outputs).where(node_outputs.c.node_run_id.in_(chunk))
        for row in connection.execute(query):
            outputs.setdefault(row.node_run_id, {})[row.port] = row.artifact_sha256
    return outputs


def list_node_runs(db: Database, run_id: str) -> list[NodeRunInfo]:
    with db.engine.connect() as connection:
        rows = connection.execute(select(node_runs).where(node_runs.c.run_id == run_id)
                                  .order_by(node_runs.c.id)).all()
        outputs = _outputs_by_node_run(connection, [row.id for row in rows])
    return [_node_run_info(row, outputs.get(row.id, {})) for row in rows]


def unfinished_keys(db: Database, run_id: str) -> dict[int, str]:
    """{node run id: cache key} of a run's node runs not done yet (without reading whole records)."""
    with db.engine.connect() as connection:
        return dict(connection.execute(select(node_runs.c.id, node_runs.c.cache_key).where(
            and_(node_runs.c.run_id == run_id, node_runs.c.status.not_in(DONE_STATUSES)))).all())


def get_node_run(db: Database, run_id: str, node_id: str) -> NodeRunInfo | None:
    with db.engine.connect() as connection:
        row = connection.execute(_GET_NODE_RUN, {"run": run_id, "node": node_id}).first()
        if row is None:
            return None
        outputs = {}
        if row.status in DONE_STATUSES:  # only finished node runs have outputs
            outputs = dict(connection.execute(_OUTPUTS_OF_NODE_RUN, {"node_run": row.id}).all())
    return _node_run_info(row, outputs)


def cached_output(db: Database, cache_key: str) -> tuple[int, dict[str, str]] | None:
    """The first node run that produced outputs for this key: (its id, {port: sha256}), or None."""
    with db.engine.connect() as connection:
        rows = connection.execute(_CACHE_SOURCE, {"key": cache_key}).all()
    if not rows:
        return None
    source = rows[0].id
    return source, {row.port: row.artifact_sha256 for row in rows if row.id == source and row.port is not None}


def cached_outputs(db: Database, cache_keys: Iterable[str]) -> dict[str, tuple[int, dict[str, str]]]:
    """For each key with a finished node run: (that node run's id, {port: sha256}).

    Only node runs that produced their outputs (succeeded) are sources, so a chain of cache hits
    always leads back to a real execution.
    """
    keys = list(set(cache_keys))
    found: dict[str, tuple[int, dict[str, str]]] = {}
    with db.engine.connect() as connection:
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            query = (select(node_runs.c.cache_key, node_runs.c.id, node_outputs.c.port,
                            node_outputs.c.artifact_sha256)
                     .join(node_outputs, node_outputs.c.node_run_id == node_runs.c.id, isouter=True)
                     .where(and_(node_runs.c.cache_key.in_(chunk), node_runs.c.status == SUCCEEDED))
                     .order_by(node_runs.c.id))
            for row in connection.execute(query):
                source_id, ports = found.setdefault(row.cache_key, (row.id, {}))
                if row.id == source_id and row.port is not None:
                    ports[row.port] = row.artifact_sha256
    return found


STOPPED_MESSAGE = "stopped before it finished; `reelgraph resume` runs it again"
COMPUTED_ELSEWHERE = 0  # start_attempt: another node run finished this key; take it from the cache


def start_attempt(db: Database, node_run: NodeRunInfo, *, host: str, worker: str, gpu: str | None,
                  lease_seconds: float, check_cache: bool = True, holder: str | None = None) -> int | None:
    """Take the node's cache-key lease and mark an attempt running, in one transaction.

    The lease is free, expired (its holder stopped heartbeating), or already this node run's (a
    retry after its worker died): returns the attempt number, 1 for the first. Another live
    holder is computing the same key: returns None and changes nothing. The key was computed by
    another node run between the caller's cache check and now: returns COMPUTED_ELSEWHERE.
    """
    started = now()
    lease = {"key": node_run.cache_key, "node_run": node_run.id, "b_holder": holder or f"{host}/{worker}",
             "b_now": started, "b_expires": started + timedelta(seconds=lease_seconds)}
    with db.engine.begin() as connection:
        inserted = connection.execute(_claim_lease(db), {
            "cache_key": lease["key"], "node_run_id": node_run.id, "holder": lease["b_holder"],
            "expires_at": lease["b_expires"]}).first() is not None  # rowcount is unreliable here
        if not inserted and connection.execute(_TAKE_LEASE, lease).rowcount != 1:
            return None
        if check_cache and connection.execute(_CACHE_SOURCE, {"key": node_run.cache_key}).first() is not None:
            connection.execute(_RELEASE_LEASE, lease)
            return COMPUTED_ELSEWHERE
        return connection.execute(_MARK_RUNNING, {"node_run": node_run.id, "b_host": host, "b_worker": worker,
                                                  "b_gpu": gpu, "b_now": started}).scalar_one()


def _claim_lease(db: Database):
    """INSERT the lease unless the key has one, RETURNING the key only when this insert made it."""
    key = f"{db.engine.dialect.name}:claim_lease"
    if key not in _INSERT_IGNORE:
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        _INSERT_IGNORE[key] = dialect.insert(leases).on_conflict_do_nothing().returning(leases.c.cache_key)
    return _INSERT_IGNORE[key]


def release_lease(db: Database, cache_key: str, node_run_id: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(_RELEASE_LEASE, {"key": cache_key, "node_run": node_run_id})


def lease_holder(db: Database, cache_key: str) -> str | None:
    with db.engine.connect() as connection:
        return connection.scalar(select(leases.c.holder).where(leases.c.cache_key == cache_key))


def lease_info(db: Database, cache_key: str) -> tuple[str, datetime] | None:
    """(holder, expires_at) of a key's lease, or None when nobody holds it."""
    with db.engine.connect() as connection:
        row = connection.execute(select(leases.c.holder, leases.c.expires_at).where(
            leases.c.cache_key == cache_key)).first()
    return (row.holder, _aware(row.expires_at)) if row else None


def expire_lease(db: Database, cache_key: str, holder: str) -> None:
    """End a lease now (its holder is known to be dead), so the next start_attempt takes it."""
    with db.engine.begin() as connection:
        connection.execute(update(leases).where(and_(leases.c.cache_key == cache_key, leases.c.holder == holder))
                           .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC)))


def mark_succeeded(db: Database, node_run_id: int, outputs: dict[str, ArtifactInfo], *,
                   release_key: str | None = None) -> None:
    """Record the artifacts (once per hash), the node's outputs and its success, and release its
    cache-key lease, in one transaction."""
    created = now()
    artifact_rows = [{**artifact.to_json(), "producer_node_run_id": node_run_id, "created_at": created}
                     for artifact in {a.sha256: a for a in outputs.values()}.values()]
    with db.engine.begin() as connection:
        if artifact_rows:
            connection.execute(_insert_ignore(db, artifacts), artifact_rows)
            connection.execute(_INSERT_OUTPUTS, [
                {"node_run_id": node_run_id, "port": port, "artifact_sha256": artifact.sha256}
                for port, artifact in outputs.items()])
        connection.execute(_MARK_SUCCEEDED, {"node_run": node_run_id, "b_now": created})
        if release_key:
            connection.execute(_RELEASE_LEASE, {"key": release_key, "node_run": node_run_id})


def mark_cached(db: Database, hits: dict[int, tuple[int, dict[str, str]]]) -> None:
    """Mark node runs as cached, each reusing the outputs of a source node run: {id: (source, outputs)}."""
    if not hits:
        return
    finished = now()
    with db.engine.begin() as connection:
        output_rows = [{"node_run_id": node_run_id, "port": port, "artifact_sha256": sha}
                       for node_run_id, (_, outputs) in hits.items() for port, sha in outputs.items()]
        if output_rows:
            connection.execute(_insert_ignore(db, node_outputs), output_rows)
        connection.execute(_MARK_CACHED, [{"node_run": node_run_id, "b_source": source, "b_now": finished}
                                          for node_run_id, (source, _) in hits.items()])


def mark_failed(db: Database, node_run_id: int, *, code: str, error: str, traceback: str | None,
                release_key: str | None = None) -> None:
    with db.engine.begin() as connection:
        connection.execute(update(node_runs).where(node_runs.c.id == node_run_id).values(
            status=FAILED, finished_at=now(), error_code=code, error=error, traceback=traceback))
        if release_key:
            connection.execute(_RELEASE_LEASE, {"key": release_key, "node_run": node_run_id})


def mark_skipped(db: Database, run_id: str, node_ids: Iterable[str], reason: str) -> None:
    ids = list(node_ids)
    if not ids:
        return
    with db.engine.begin() as connection:
        connection.execute(update(node_runs).where(
            and_(node_runs.c.run_id == run_id, node_runs.c.node_id.in_(ids))).values(
            status=SKIPPED, finished_at=now(), error_code="upstream_failed", error=reason))


def reset_unfinished(db: Database, run_id: str) -> list[str]:
    """For resume: every node run that is not done goes back to pending. Returns their node ids."""
    with db.engine.begin() as connection:
        ids = list(connection.scalars(select(node_runs.c.node_id).where(
            and_(node_runs.c.run_id == run_id, node_runs.c.status.not_in(DONE_STATUSES)))))
        connection.execute(update(node_runs).where(
            and_(node_runs.c.run_id == run_id, node_runs.c.status.not_in(DONE_STATUSES))).values(
            status=PENDING, error=None, error_code=None, traceback=None, finished_at=None))
    return ids


def count_node_runs_by_status(db: Database, run_id: str) -> dict[str, int]:
    with db.engine.connect() as connection:
        rows = connection.execute(select(node_runs.c.status, func.count()).where(
            node_runs.c.run_id == run_id).group_by(node_runs.c.status))
        return {status: count for status, count in rows}


# Artifacts --------------------------------------------------------------------------------------

def _artifact_info(row) -> ArtifactInfo:
    return ArtifactInfo(sha256=row.sha256, kind=row.kind, mime=row.mime, size=row.size, uri=row.uri,
                        meta=row.meta, producer_node_run_id=row.producer_node_run_id)


def get_artifacts(db: Database, shas: Iterable[str]) -> dict[str, ArtifactInfo]:
    wanted = list(set(shas))
    found: dict[str, ArtifactInfo] = {}
    with db.engine.connect() as connection:
        for start in range(0, len(wanted), 500):
            rows = connection.execute(select(artifacts).where(artifacts.c.sha256.in_(wanted[start:start + 500])))
            found.update({row.sha256: _artifact_info(row) for row in rows})
    return found


def find_artifacts(db: Database, prefix: str) -> list[ArtifactInfo]:
    with db.engine.connect() as connection:
        rows = connection.execute(select(artifacts).where(artifacts.c.sha256.startswith(prefix)).limit(2))
        return [_artifact_info(row) for row in rows]


def node_runs_with_output(db: Database, sha256: str) -> list[tuple[NodeRunInfo, str]]:
    """Every node run that has the artifact as an output (produced or reused from the cache),
    oldest first, with the port: (node run, port)."""
    with db.engine.connect() as connection:
        rows = connection.execute(select(node_runs, node_outputs.c.port.label("output_port"))
                                  .join(node_outputs, node_outputs.c.node_run_id == node_runs.c.id)
                                  .where(node_outputs.c.artifact_sha256 == sha256).order_by(node_runs.c.id)).all()
        outputs = _outputs_by_node_run(connection, [row.id for row in rows])
    return [(_node_run_info(row, outputs.get(row.id, {})), row.output_port) for row in rows]


def node_outputs_of(db: Database, run_id: str, node_ids: Iterable[str]) -> dict[str, dict[str, ArtifactInfo]]:
    """The recorded outputs of some node runs of a run: {node id: {port: artifact}}."""
    ids = list(node_ids)
    if not ids:
        return {}
    result: dict[str, dict[str, ArtifactInfo]] = {}
    with db.engine.connect() as connection:
        for row in connection.execute(_OUTPUTS_OF_NODES, {"run": run_id, "nodes": ids}):
            result.setdefault(row.node_id, {})[row.port] = _artifact_info(row)
    return result


# Leases and heartbeats --------------------------------------------------------------------------

def heartbeat(db: Database, node_run_ids: list[int], lease_seconds: float) -> None:
    """Mark node runs as alive and extend their leases."""
    if not node_run_ids:
        return
    beat = now()
    with db.engine.begin() as connection:
        connection.execute(update(node_runs).where(node_runs.c.id.in_(node_run_ids)).values(heartbeat_at=beat))
        connection.execute(update(leases).where(leases.c.node_run_id.in_(node_run_ids)).values(
            expires_at=beat + timedelta(seconds=lease_seconds)))


def live_running(db: Database, run_id: str, stale_after: float) -> list[NodeRunInfo]:
    """Node runs of a run marked running whose heartbeat is fresh: a process is still on them."""
    cutoff = now() - timedelta(seconds=stale_after)
    return [n for n in list_node_runs(db, run_id)
            if n.status == RUNNING and n.heartbeat_at is not None and _aware(n.heartbeat_at) >= cutoff]


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything reelgraph writes is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reset_node_run(db: Database, node_run_id: int) -> None:
    """Forget a node run's outputs and put it back to pending (its artifact was lost or corrupted)."""
    with db.engine.begin() as connection:
        connection.execute(node_outputs.delete().where(node_outputs.c.node_run_id == node_run_id))
        connection.execute(update(node_runs).where(node_runs.c.id == node_run_id).values(
            status=PENDING, cached_from=None, finished_at=None))


def mark_interrupted(db: Database, node_run_id: int, *, release_key: str | None = None) -> None:
    """A node stopped before it finished (its run was cancelled or interrupted): back to pending,
    its lease freed at once, so `resume` (or another run needing the same key) need not wait."""
    abandon_running(db, [node_run_id], release_key=release_key)


def abandon_running(db: Database, node_run_ids: list[int], *, release_key: str | None = None) -> None:
    """Put running node runs back to pending and free their leases (all of them, or the one key)."""
    if not node_run_ids:
        return
    with db.engine.begin() as connection:
        connection.execute(update(node_runs).where(and_(
            node_runs.c.id.in_(node_run_ids), node_runs.c.status.not_in(DONE_STATUSES))).values(
            status=PENDING, finished_at=now(), error_code="interrupted",
            error=STOPPED_MESSAGE))
        condition = leases.c.node_run_id.in_(node_run_ids)
        if release_key is not None:
            condition = and_(condition, leases.c.cache_key == release_key)
        connection.execute(leases.delete().where(condition))


def interrupt_run(db: Database, run_id: str, error: str) -> list[str]:
    """A run whose process is gone or gave up: its running node runs back to pending with their
    leases freed, the run `interrupted`, in one transaction. Returns the node ids put back."""
    with db.engine.begin() as connection:
        rows = connection.execute(select(node_runs.c.id, node_runs.c.node_id).where(
            and_(node_runs.c.run_id == run_id, node_runs.c.status == RUNNING))).all()
        ids = [row.id for row in rows]
        if ids:
            connection.execute(update(node_runs).where(node_runs.c.id.in_(ids)).values(
                status=PENDING, finished_at=now(), error_code="interrupted",
                error=STOPPED_MESSAGE))
            connection.execute(leases.delete().where(leases.c.node_run_id.in_(ids)))
        connection.execute(update(runs).where(and_(runs.c.id == run_id, runs.c.status == RUNNING)).values(
            status=INTERRUPTED, finished_at=now(), error=error))
    return [row.node_id for row in rows]
