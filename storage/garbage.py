"""Garbage collection of the artifact store: delete the blobs no kept run references.

    report = collect_garbage(db, store, children_of, GcPolicy(keep_last=10, keep_days=7))

A run is kept when it is among the newest `keep_last`, younger than `keep_days`, pinned
(`reelgraph runs pin`), or not finished (pending, queued, running). A kept run references every
output of its node runs (executed or cached), and for manifests (frame sequences, image lists)
every blob the manifest lists (`children_of`, the codecs' `Codec.children`). Everything else in
`objects/` is garbage, except what is too new to judge.

Why a run that starts or runs during gc still finishes (no lock is shared with the runner):
- Blobs a node writes exist before its outputs are recorded. No blob modified after the cutoff
  is deleted: the cutoff is the earliest start of any unfinished run, and never later than
  `grace` before gc began. A store write of bytes already present touches the blob, so a
  re-produced old blob counts as new.
- A run that starts after gc has read the references is read again just before deleting
  (the second look), and everything it references is spared.
- What is left is a window of milliseconds: a run that checked that a cached output exists just
  before gc deleted it. Its reader then meets ArtifactMissing and the runner recomputes the
  producer (flows/runner.py), so the run still finishes; manifests are deleted before their
  chunks, so the cache stops offering an artifact before any of its parts disappear.
Database records are kept (history, lineage); their blobs are simply gone, and a cache lookup
skips outputs whose blobs are missing.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from reelgraph.storage.artifact_store import ArtifactStore
from reelgraph.storage.db import Database
from reelgraph.storage.models import ArtifactRecord, NodeOutputRecord, NodeRunRecord, RunRecord
from reelgraph.storage.records import PENDING, QUEUED, RUNNING

runs, node_runs = RunRecord.__table__, NodeRunRecord.__table__
node_outputs, artifacts = NodeOutputRecord.__table__, ArtifactRecord.__table__

UNFINISHED = (PENDING, QUEUED, RUNNING)
ChildrenOf = Callable[[str, str], Iterable[str]]  # (artifact kind, sha256) -> blobs its manifest lists


@dataclass(frozen=True)
class GcPolicy:
    keep_last: int | None = 10      # the newest N runs
    keep_days: float | None = 7     # runs younger than this
    grace_seconds: float = 600      # blobs modified this recently are never deleted


@dataclass(frozen=True)
class RunRow:
    id: str
    status: str
    created_at: datetime
    started_at: datetime | None
    pinned: bool


@dataclass
class GcReport:
    kept_runs: list[str]
    dropped_runs: list[str]
    deleted: dict[str, int] = field(default_factory=dict)   # sha256 -> bytes freed
    spared_new: int = 0         # unreferenced blobs kept because they are newer than the cutoff
    kept_bytes: int = 0
    dry_run: bool = False

    @property
    def freed_bytes(self) -> int:
        return sum(self.deleted.values())


class RunNotFound(LookupError):
    pass


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def set_pinned(db: Database, run_id: str, pinned: bool) -> None:
    """Pin a run (gc keeps all it references, whatever its age) or unpin it."""
    with db.engine.begin() as connection:
        if connection.execute(update(runs).where(runs.c.id == run_id).values(pinned=pinned)).rowcount == 0:
            raise RunNotFound(f"no run '{run_id}'")


def list_run_rows(db: Database) -> list[RunRow]:
    """Every run, newest first."""
    query = select(runs.c.id, runs.c.status, runs.c.created_at, runs.c.started_at, runs.c.pinned).order_by(
        runs.c.created_at.desc(), runs.c.id.desc())
    with db.engine.connect() as connection:
        return [RunRow(r.id, r.status, _aware(r.created_at), _aware(r.started_at), bool(r.pinned))
                for r in connection.execute(query)]


def kept_run_ids(rows: list[RunRow], policy: GcPolicy, now: datetime) -> set[str]:
    kept = {r.id for r in rows if r.pinned or r.status in UNFINISHED}
    if policy.keep_last:
        kept.update(r.id for r in rows[:policy.keep_last])
    if policy.keep_days is not None:
        born_after = now - timedelta(days=policy.keep_days)
        kept.update(r.id for r in rows if r.created_at >= born_after)
    return kept


def blobs_by_run(db: Database, children_of: ChildrenOf, run_ids: Iterable[str] | None = None) -> dict[str, set[str]]:
    """{run id: every blob its node runs' outputs consist of}, manifests expanded to their children."""
    query = (select(node_runs.c.run_id, artifacts.c.sha256, artifacts.c.kind)
             .join(node_outputs, node_outputs.c.node_run_id == node_runs.c.id)
             .join(artifacts, artifacts.c.sha256 == node_outputs.c.artifact_sha256))
    if run_ids is not None:
        query = query.where(node_runs.c.run_id.in_(list(run_ids)))
    expanded: dict[str, set[str]] = {}
    result: dict[str, set[str]] = {}
    with db.engine.connect() as connection:
        rows = connection.execute(query).all()
    for run_id, sha, kind in rows:
        if sha not in expanded:
            try:
                expanded[sha] = {sha, *children_of(kind, sha)}
            except OSError:  # the manifest itself is gone or damaged: nothing more to find
                expanded[sha] = {sha}
        result.setdefault(run_id, set()).update(expanded[sha])
    return result


def manifest_blobs(db: Database, shas: Iterable[str]) -> set[str]:
    """Which of these blobs are manifests (frame sequences, image lists), to delete them first."""
    shas = list(shas)
    with db.engine.connect() as connection:
        return set(connection.scalars(select(artifacts.c.sha256).where(
            artifacts.c.sha256.in_(shas), artifacts.c.kind.in_(("frames", "images")))))


def collect_garbage(db: Database, store: ArtifactStore, children_of: ChildrenOf, policy: GcPolicy = GcPolicy(), *,
                    dry_run: bool = False, before_delete: Callable[[], None] | None = None) -> GcReport:
    """Delete (or with dry_run, only list) the blobs no kept run references. `before_delete` is
    called between reading the references and deleting (tests use it to start a run there)."""
    started = datetime.now(UTC)
    rows = list_run_rows(db)
    kept = kept_run_ids(rows, policy, started)
    referenced = set().union(*blobs_by_run(db, children_of, kept).values())
    cutoff = started - timedelta(seconds=policy.grace_seconds)
    for row in rows:
        if row.status in UNFINISHED:
            cutoff = min(cutoff, row.started_at or row.created_at)
    cutoff_epoch = cutoff.timestamp()
    blobs = {sha: (size, mtime) for sha, size, mtime in store.iter_blobs()}
    report = GcReport(kept_runs=[r.id for r in rows if r.id in kept],
                      dropped_runs=[r.id for r in rows if r.id not in kept], dry_run=dry_run)
    report.kept_bytes = sum(blobs[sha][0] for sha in referenced if sha in blobs)
    candidates = {}
    for sha, (size, mtime) in blobs.items():
        if sha in referenced:
            continue
        if mtime >= cutoff_epoch:
            report.spared_new += 1
        else:
            candidates[sha] = size
    if before_delete is not None:
        before_delete()
    # The second look: runs created or (re)started since the first read, and their references.
    known = {r.id: r for r in rows}
    late = [r.id for r in list_run_rows(db)
            if r.id not in kept and (r.id not in known or r.status in UNFINISHED or r.pinned)]
    for late_blobs in blobs_by_run(db, children_of, late).values():
        for sha in late_blobs & candidates.keys():
            del candidates[sha]
    if late:
        report.kept_runs += late
        report.dropped_runs = [r for r in report.dropped_runs if r not in late]
    manifests = manifest_blobs(db, candidates)
    for sha in sorted(candidates, key=lambda s: s not in manifests):  # manifests before their chunks
        if dry_run:
            report.deleted[sha] = candidates[sha]
        elif store.delete_if_older(sha, cutoff_epoch):
            report.deleted[sha] = candidates[sha]
    if not dry_run:
        store.clean_scratch(older_than=time.time() - policy.grace_seconds)
    return report


@dataclass(frozen=True)
class RunUsage:
    run_id: str
    status: str
    created_at: datetime
    pinned: bool
    blobs: int
    bytes: int          # everything the run references
    unique_bytes: int   # referenced by no other run: what dropping this run alone would free


def disk_usage(db: Database, store: ArtifactStore, children_of: ChildrenOf) -> tuple[list[RunUsage], int, int]:
    """(per-run usage newest first, bytes in the store, bytes no run references)."""
    sizes = {sha: size for sha, size, _ in store.iter_blobs()}
    by_run = blobs_by_run(db, children_of)
    holders: dict[str, int] = {}
    for blobs in by_run.values():
        for sha in blobs:
            holders[sha] = holders.get(sha, 0) + 1
    usage = []
    for row in list_run_rows(db):
        blobs = {sha for sha in by_run.get(row.id, ()) if sha in sizes}
        usage.append(RunUsage(row.id, row.status, row.created_at, row.pinned, len(blobs),
                              sum(sizes[sha] for sha in blobs),
                              sum(sizes[sha] for sha in blobs if holders[sha] == 1)))
    unreferenced = sum(size for sha, size in sizes.items() if sha not in holders)
    return usage, sum(sizes.values()), unreferenced
