"""A run's life outside any engine: create it from a plan, settle what the cache already has,
record what the driver loop decides (starts, skips, lost workers, abandoned nodes) and settle its
final status. Every engine goes through these, so records look the same whichever engine ran the
nodes.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict
from pathlib import Path

from reelgraph.flows.events import NodeFinished, RunContext
from reelgraph.flows.heartbeat import STALE_AFTER_SECONDS
from reelgraph.flows.liveness import node_owner_gone, owner_alive_here, owner_gone, owner_tag
from reelgraph.flows.runtime import Runtime
from reelgraph.graph import Plan, load_plan
from reelgraph.storage import repository as repo
from reelgraph.storage.records import CANCELLED, DONE_STATUSES, FAILED, RUNNING, SKIPPED, SUCCEEDED, RunInfo


def new_run_id() -> str:
    return uuid.uuid4().hex


def plan_for_run(path: str | Path, *, overrides: list[str], targets: list[str], run_id: str,
                 runtime: Runtime) -> Plan:
    return load_plan(path, overrides=overrides, targets=targets, run_id=run_id, registry=runtime.registry)


def create_run(runtime: Runtime, plan: Plan, *, run_id: str, engine: str, overrides: list[str],
               targets: list[str]) -> int:
    """Record the run and its pending node runs; returns how many nodes the cache already settled."""
    nodes = [{
        "node_id": node.id, "base_id": node.base_id, "type": node.type, "type_version": node.version,
        "cache_key": node.cache_key, "params": node.params,
        "inputs": {edge: list(ref) for edge, ref in node.input_edges().items()},
        "bindings": node.bindings, "resources": asdict(node.resources),
    } for node in plan.nodes.values()]
    matrix = plan.document.get("matrix") or {}
    repo.create_run(runtime.db, run_id=run_id, graph_id=plan.graph_hash, graph_name=plan.name,
                    document=plan.document, engine=engine, workspace=str(plan.workspace),
                    store_uri=runtime.store.uri, overrides=overrides, targets=targets, matrix=matrix,
                    nodes=nodes)
    return settle_cache_hits(runtime, run_id)


def settle_cache_hits(runtime: Runtime, run_id: str) -> int:
    """Mark every pending node whose key has outputs in the store as cached, in a few bulk statements.

    The runner checks the cache again before executing (another run may have finished the same
    key meanwhile); this pass only makes a fully cached re-run cost a few statements, not N.
    """
    pending = repo.unfinished_keys(runtime.db, run_id)
    hits = usable_cache_hits(runtime, list(pending.values()))
    settled = {node_run_id: hits[key] for node_run_id, key in pending.items() if key in hits}
    repo.mark_cached(runtime.db, settled)
    return len(settled)


def usable_cache_hits(runtime: Runtime, cache_keys: list[str]) -> dict[str, tuple[int, dict[str, str]]]:
    """Recorded outputs for these keys whose artifacts are still in the store (each checked once)."""
    present: dict[str, bool] = {}

    def in_store(sha: str) -> bool:
        if sha not in present:
            present[sha] = runtime.store.exists(sha)
        return present[sha]

    return {key: hit for key, hit in repo.cached_outputs(runtime.db, cache_keys).items()
            if all(in_store(sha) for sha in hit[1].values())}


def start(runtime: Runtime, run_id: str, *, external_id: str | None = None) -> None:
    repo.set_run_status(runtime.db, run_id, RUNNING, external_id=external_id,
                        owner=owner_tag(runtime.host, runtime.worker))


def interrupt(runtime: Runtime, run_id: str, why: str) -> list[str]:
    """Give up on a run now (a second Ctrl-C, a dead process): its running nodes back to pending
    with their leases freed, the run `interrupted`. Returns the nodes put back."""
    return repo.interrupt_run(runtime.db, run_id, f"{why}; `reelgraph resume {run_id}` continues it")


def settle_dead_runs(runtime: Runtime, runs: list[RunInfo]) -> list[RunInfo]:
    """Runs marked running whose process on this host is gone become `interrupted` at once, with
    nothing to wait out; returns the runs as they are now. Runs on other hosts are left to their
    heartbeats, and runs a studio worker claimed to that worker's own heartbeat (it requeues them)."""
    settled = []
    for run in runs:
        if run.status == RUNNING and not run.claimed_by and owner_gone(run.owner):
            interrupt(runtime, run.id, f"its process ({run.owner}) is gone")
            run = repo.get_run(runtime.db, run.id)
        settled.append(run)
    return settled


def skip_downstream(runtime: Runtime, run: RunContext, skipped: list[str], failed: str) -> None:
    """Nodes that will not run because `failed` failed upstream of them."""
    reason = f"upstream node '{failed}' failed"
    repo.mark_skipped(runtime.db, run.run_id, skipped, reason)
    for node_id in skipped:
        run.on_event(NodeFinished(node_id, SKIPPED, error=reason))


def node_lost(runtime: Runtime, run: RunContext, node_id: str, why: str, code: str = "worker_lost") -> str:
    """The engine got no outcome for a node (its worker kept dying, its task crashed, the database
    failed under it; or, code `unplaceable`, it could not place it). Records the failure unless the
    node recorded one itself; returns its status."""
    node_run = repo.get_node_run(runtime.db, run.run_id, node_id)
    if node_run.status in DONE_STATUSES or node_run.status == FAILED:
        return node_run.status
    message = f"the engine lost the node: {why}" if code == "worker_lost" else why
    repo.mark_failed(runtime.db, node_run.id, code=code, error=message, traceback=None,
                     release_key=node_run.cache_key)
    run.on_event(NodeFinished(node_id, FAILED, 0.0, message))
    return FAILED


def abandon(runtime: Runtime, run: RunContext, node_ids: list[str]) -> None:
    """Nodes still running when a stopped run's grace period ended: back to pending with their
    leases freed, so `resume` retries them at once (their workers are being stopped)."""
    by_id = {n.node_id: n.id for n in repo.list_node_runs(runtime.db, run.run_id)}
    repo.abandon_running(runtime.db, [by_id[n] for n in node_ids])
    for node_id in node_ids:
        run.on_event(NodeFinished(node_id, CANCELLED, error="abandoned: the run was stopped"))


def fail_run(runtime: Runtime, run_id: str, error: str) -> str:
    """The engine could not run it at all: the run fails with the reason, its nodes stay pending."""
    repo.set_run_status(runtime.db, run_id, FAILED, error=error)
    return FAILED


def finish(runtime: Runtime, run_id: str, *, stopped_as: str | None = None) -> str:
    """The run succeeded when every node is done (succeeded or cached); otherwise it failed, or,
    when it was stopped (`stopped_as`: cancelled or interrupted), it ends with that status."""
    counts = repo.count_node_runs_by_status(runtime.db, run_id)
    not_done = {status: count for status, count in counts.items() if status not in DONE_STATUSES}
    status = SUCCEEDED if not not_done else stopped_as or FAILED
    error = None if status == SUCCEEDED else ", ".join(f"{n} {s}" for s, n in sorted(not_done.items()))
    repo.set_run_status(runtime.db, run_id, status, error=error)
    return status


class RunStillActive(Exception):
    """A process is still executing nodes of the run (their heartbeats are fresh)."""


def prepare_resume(runtime: Runtime, run_id: str) -> list[str]:
    """Put every node that did not finish back to pending, then settle cache hits again.

    Nodes left `running` by a dead process (stale heartbeat) are retried; nodes a live process is
    still running make resume refuse, rather than run them twice.
    """
    run = settle_dead_runs(runtime, [repo.get_run(runtime.db, run_id)])[0]
    if run.status == RUNNING and not run.claimed_by and owner_alive_here(run.owner):
        raise RunStillActive(f"run {run_id} is still being executed by {run.owner}; wait for it, or stop "
                             "that process (Ctrl-C) and resume then")
    live = [n for n in repo.live_running(runtime.db, run_id, STALE_AFTER_SECONDS)
            if not node_owner_gone(n.host, n.worker, n.started_at)]
    if live:
        owners = sorted({f"{n.host}/{n.worker}" for n in live})
        raise RunStillActive(f"run {run_id} is still being executed ({', '.join(n.node_id for n in live)} on "
                             f"{', '.join(owners)}); wait for it, or resume after that process has stopped "
                             f"(its heartbeat goes stale {STALE_AFTER_SECONDS:.0f} s after it dies)")
    reset = repo.reset_unfinished(runtime.db, run_id)
    settle_cache_hits(runtime, run_id)
    return reset
