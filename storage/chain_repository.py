"""The records of a fused chain of node runs, written in two transactions per chain.

flows/chains.py runs a line of cheap nodes as one task. Recording each node as the runner does for
one node (take the lease and mark it running, then record artifacts, outputs and success) costs two
commits and about eight statements per node, more than a no-op node costs to run. Here the same
records are written per chain: `start_chain` takes every lease and marks every node run running,
`finish_chain` records every success (with each node's own start and end times) and the chain's
end (a failure, or the nodes put back to pending), each in one transaction of bulk statements.

Both refuse rather than wait: a lease someone else holds, a key computed meanwhile, a node run not
pending. The caller then runs those nodes one at a time through the ordinary runner, which knows
how to wait for a lease or reuse the cache.
"""
from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, insert, select, union_all, update
from sqlalchemy.exc import IntegrityError

from reelgraph.storage.db import Database
from reelgraph.storage.records import FAILED, PENDING, RUNNING, SUCCEEDED, ArtifactInfo, NodeRunInfo
from reelgraph.storage.repository import (STOPPED_MESSAGE, _insert_ignore, artifacts, leases,
                                          node_outputs, node_runs, now)

# Built once: building a statement costs more than SQLite takes to run it.
# keys someone holds a lease on, or some node run computed already
_TAKEN_KEYS = union_all(
    select(leases.c.cache_key).where(leases.c.cache_key.in_(bindparam("keys", expanding=True))),
    select(node_runs.c.cache_key).where(and_(node_runs.c.cache_key.in_(bindparam("keys", expanding=True)),
                                             node_runs.c.status == SUCCEEDED)))
_MARK_CHAIN_RUNNING = (update(node_runs).where(and_(node_runs.c.id.in_(bindparam("ids", expanding=True)),
                                                    node_runs.c.status == PENDING))
                       .values(status=RUNNING, attempts=node_runs.c.attempts + 1, host=bindparam("b_host"),
                               worker=bindparam("b_worker"), gpu=None, started_at=bindparam("b_now"),
                               heartbeat_at=bindparam("b_now"), finished_at=None, error=None, error_code=None,
                               traceback=None)
                       .returning(node_runs.c.id, node_runs.c.attempts))
_RELEASE_CHAIN_LEASES = leases.delete().where(and_(leases.c.cache_key.in_(bindparam("keys", expanding=True)),
                                                   leases.c.node_run_id.in_(bindparam("ids", expanding=True))))
_SET_SUCCEEDED = update(node_runs).where(node_runs.c.id == bindparam("node_run")).values(
    status=SUCCEEDED, started_at=bindparam("b_started"), finished_at=bindparam("b_finished"))


@dataclass(frozen=True)
class Finished:
    """One node of a chain that succeeded: its outputs and when it really ran."""
    node_run: NodeRunInfo
    outputs: dict[str, ArtifactInfo]
    started_at: datetime
    finished_at: datetime


@dataclass(frozen=True)
class Failed:
    """The node of a chain that failed for good, as the runner records a failure."""
    node_run: NodeRunInfo
    code: str
    message: str
    traceback: str | None


class _Undo(Exception):
    """Leaving a transaction this way rolls it back."""


def start_chain(db: Database, chain: Sequence[NodeRunInfo], *, host: str, worker: str, holder: str,
                lease_seconds: float) -> list[int]:
    """Take the leases of the chain's leading nodes and mark them running, in one transaction.

    Starts the longest prefix whose keys nobody holds a lease on and no node run has computed yet,
    all still pending; returns their attempt numbers (empty: it started none)."""
    keys = [n.cache_key for n in chain]
    started_at = now()
    try:
        with db.engine.begin() as connection:
            taken = set(connection.scalars(_TAKEN_KEYS, {"keys": keys}))
            prefix = []
            for node_run in chain:
                if node_run.cache_key in taken:
                    break
                prefix.append(node_run)
            if not prefix:
                return []
            connection.execute(insert(leases), [
                {"cache_key": n.cache_key, "node_run_id": n.id, "holder": holder,
                 "expires_at": started_at + timedelta(seconds=lease_seconds)} for n in prefix])
            attempts = dict(connection.execute(_MARK_CHAIN_RUNNING, {
                "ids": [n.id for n in prefix], "b_host": host, "b_worker": worker, "b_now": started_at}).all())
            if len(attempts) != len(prefix):  # one was no longer pending: undo, run them one by one
                raise _Undo
    except IntegrityError:  # another process claimed one of the keys meanwhile: nothing was written
        return []
    except _Undo:
        return []
    return [attempts[n.id] for n in prefix]


def finish_chain(db: Database, finished: Sequence[Finished], *, failed: Sequence[Failed] = (),
                 put_back: Sequence[NodeRunInfo] = (), never_ran: Sequence[NodeRunInfo] = (),
                 stopped: bool = False) -> None:
    """Record a chain's end in one transaction and release every lease it took.

    `finished`: the nodes that succeeded (artifacts, outputs, their own times). `failed`: the nodes
    that failed for good (one per line at most). `put_back`: started nodes that did not finish, back to pending (the
    runner retries them one by one, or the run was stopped). `never_ran`: nodes marked running
    that never started, back to pending with their attempt uncounted. `stopped`: the run was asked
    to stop, so the nodes put back say so, as the runner's own interrupted nodes do."""
    finished_at = now()
    artifact_rows = {}
    for done in finished:
        for artifact in done.outputs.values():
            artifact_rows.setdefault(artifact.sha256, {**artifact.to_json(), "producer_node_run_id": done.node_run.id,
                                                        "created_at": done.finished_at})
    output_rows = [{"node_run_id": done.node_run.id, "port": port, "artifact_sha256": artifact.sha256}
                   for done in finished for port, artifact in done.outputs.items()]
    released = [d.node_run for d in finished] + list(put_back) + list(never_ran) + [f.node_run for f in failed]
    back = {"status": PENDING, "finished_at": None, "error_code": None, "error": None}
    if stopped:
        back = {"status": PENDING, "finished_at": finished_at, "error_code": "interrupted", "error": STOPPED_MESSAGE}
    with db.engine.begin() as connection:
        if artifact_rows:
            connection.execute(_insert_ignore(db, artifacts), list(artifact_rows.values()))
        if output_rows:
            connection.execute(insert(node_outputs), output_rows)
        if finished:
            connection.execute(_SET_SUCCEEDED, [{"node_run": d.node_run.id, "b_started": d.started_at,
                                                 "b_finished": d.finished_at} for d in finished])
        for failure in failed:
            connection.execute(update(node_runs).where(node_runs.c.id == failure.node_run.id).values(
                status=FAILED, finished_at=finished_at, error_code=failure.code, error=failure.message,
                traceback=failure.traceback))
        if put_back:
            connection.execute(update(node_runs).where(node_runs.c.id.in_([n.id for n in put_back])).values(**back))
        if never_ran:
            connection.execute(update(node_runs).where(node_runs.c.id.in_([n.id for n in never_ran])).values(
                **back, attempts=node_runs.c.attempts - 1, started_at=None, heartbeat_at=None))
        if released:
            connection.execute(_RELEASE_CHAIN_LEASES, {"keys": [n.cache_key for n in released],
                                                       "ids": [n.id for n in released]})


def release_leases(db: Database, chain: Sequence[NodeRunInfo]) -> None:
    """Free the chain's leases at once (the process is going down); its node runs stay running
    until their heartbeats go stale, as the runner leaves one node."""
    if not chain:
        return
    with db.engine.begin() as connection:
        connection.execute(_RELEASE_CHAIN_LEASES, {"keys": [n.cache_key for n in chain], "ids": [n.id for n in chain]})


def median_seconds(db: Database, node_types: Iterable[str], *, recent: int = 20, least: int = 3) -> dict[str, float]:
    """How long each node type's recent successful executions took (the median of its last
    `recent`, for types with at least `least` of them): what fusion calls cheap."""
    types = sorted(set(node_types))
    if not types:
        return {}
    durations: dict[str, list[float]] = {}
    query = (select(node_runs.c.type, node_runs.c.started_at, node_runs.c.finished_at)
             .where(and_(node_runs.c.type.in_(types), node_runs.c.status == SUCCEEDED,
                         node_runs.c.started_at.is_not(None), node_runs.c.finished_at.is_not(None)))
             .order_by(node_runs.c.id.desc()).limit(recent * len(types) * 4))
    with db.engine.connect() as connection:
        for row in connection.execute(query):
            seconds = durations.setdefault(row.type, [])
            if len(seconds) < recent:
                seconds.append((row.finished_at - row.started_at).total_seconds())
    return {t: statistics.median(s) for t, s in durations.items() if len(s) >= least}
