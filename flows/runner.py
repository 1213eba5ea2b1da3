"""The node runner: the one function every engine calls to execute a node of a run.

    run_node(runtime, run_id, node_id, run=RunContext(run_id, on_event=sink, stop=cancel_event))

1. Done already (a retried task, a resumed run)? Return its status.
2. Cache: a node run elsewhere with the same cache key succeeded and its artifacts are in the
   store? Reuse its outputs; execute nothing.
3. Otherwise mark the attempt running, decode the inputs from the store, run the node, encode its
   outputs into the store, and record artifacts, outputs and success in one transaction.
A failure records the error and traceback on the node run; it never escapes as a bare exception.
Every call reports exactly one NodeFinished to the run's sink. A run asked to stop (`run.stop`)
starts nothing new, and a running node stops at its next progress call: its lease is freed and it
goes back to pending, so `reelgraph resume` runs it again.
"""
from __future__ import annotations

import errno
import time
import traceback as tb
from datetime import UTC, datetime
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reelgraph.flows.devices import pin_torch_threads
from reelgraph.flows.events import NodeFinished, NodeStarted, RunContext
from reelgraph.flows.heartbeat import LEASE_SECONDS
from reelgraph.flows.lineage import node_lineage
from reelgraph.flows.liveness import owner_gone, owner_tag
from reelgraph.flows.runtime import Runtime
from reelgraph.graph.plan import edge_port
from reelgraph.nodes import NodeCancelled, NodeContext, NodeError, PortKind, ProgressEvent, Workspace
from reelgraph.nodes.ports import decode_value, encode_value, port_kind
from reelgraph.storage import repository as repo
from reelgraph.storage.artifact_store import ArtifactCorrupted, ArtifactMissing
from reelgraph.storage.records import (CACHED, CANCELLED, DONE_STATUSES, FAILED, SUCCEEDED, ArtifactInfo,
                                       NodeRunInfo)


LEASE_POLL_SECONDS = 0.2
LEASE_NOTICE_SECONDS = 10.0  # how often a node waiting on another owner's lease says so again


@dataclass(frozen=True)
class NodeOutcome:
    node_id: str
    status: str                  # succeeded, cached, failed, cancelled (or skipped, from the driver)
    error: str | None = None
    retryable: bool = False      # failed in a way another attempt may fix (not a NodeError)


class NodeFailure(Exception):
    """A node failed in a way the runner records: a code, a message, maybe a traceback.

    `bad_artifact` names a blob that failed its hash check or vanished, so the runner can recompute
    the upstream node that produced it instead of failing."""

    def __init__(self, code: str, message: str, traceback: str | None = None, retryable: bool = False,
                 bad_artifact: str | None = None):
        super().__init__(message)
        self.code, self.message, self.traceback, self.retryable = code, message, traceback, retryable
        self.bad_artifact = bad_artifact


def _outputs_present(runtime: Runtime, outputs: dict[str, str]) -> bool:
    return all(runtime.store.exists(sha) for sha in outputs.values())


def try_cache(runtime: Runtime, node_run: NodeRunInfo) -> dict[str, str] | None:
    """Reuse the outputs of an earlier node run with the same key, if they are still in the store.
    Returns the reused outputs ({port: sha256}), or None on a miss."""
    hit = repo.cached_output(runtime.db, node_run.cache_key)
    if hit is None or not _outputs_present(runtime, hit[1]):
        return None
    repo.mark_cached(runtime.db, {node_run.id: hit})
    return dict(hit[1])


def _decode_inputs(runtime: Runtime, node_run: NodeRunInfo, node_type: Any,
                   known: dict[str, dict[str, ArtifactInfo]] | None = None) -> dict[str, Any]:
    """The node's inputs, decoded from the store. `known`: outputs of upstream nodes not recorded
    yet (a fused chain records its nodes when it ends); the others are read from the database."""
    upstream_ids = {upstream for upstream, _ in node_run.inputs.values()}
    known = known or {}
    recorded = {**repo.node_outputs_of(runtime.db, node_run.run_id, upstream_ids - set(known)), **known}
    inputs: dict[str, Any] = {port: None for port in node_type.inputs}
    branches: dict[str, dict[int, Any]] = {}  # a gathering input's values by branch (edges port#0, port#1...)
    for edge, (upstream, upstream_port) in node_run.inputs.items():
        port, branch = edge_port(edge)
        artifact = recorded.get(upstream, {}).get(upstream_port)
        if artifact is None:
            raise NodeFailure("missing_input", f"input '{port}': {upstream}.{upstream_port} has no recorded "
                                               "output; run the upstream node first (reelgraph resume)")
        try:
            value = decode_value(PortKind(artifact.kind), node_type.inputs[port].kind, artifact.sha256,
                                 {**artifact.meta, "mime": artifact.mime}, runtime.store)
        except (ArtifactCorrupted, ArtifactMissing) as error:
            raise _unreadable(error, f"input '{port}' from {upstream}") from error
        if branch is None:
            inputs[port] = value
        else:
            branches.setdefault(port, {})[branch] = value
    for port, values in branches.items():
        inputs[port] = [values[index] for index in sorted(values)]
    return inputs


def _disk_failure(error: OSError, doing: str) -> NodeFailure:
    """The store's disk (or another the node writes to) failed: say what to do, do not retry."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        message = (f"{error.strerror or 'No space left on device'} while {doing}: free space on the artifact "
                   "store's disk, or point --store (REELGRAPH_STORE) at a bigger one, then `reelgraph resume` the run")
        return NodeFailure("disk_full", message, tb.format_exc())
    return NodeFailure("store_write_failed", f"writing to the artifact store failed while {doing}: {error}; "
                       "check the store folder's permissions and disk", tb.format_exc())


def _unreadable(error: ArtifactCorrupted | ArtifactMissing, where: str) -> NodeFailure:
    return NodeFailure("artifact_unreadable", f"{where}: {error}", bad_artifact=error.sha256)


def _encode_outputs(runtime: Runtime, node_type: Any, values: Any) -> dict[str, ArtifactInfo]:
    if not isinstance(values, dict) or set(values) != set(node_type.outputs):
        got = sorted(values) if isinstance(values, dict) else type(values).__name__
        raise NodeFailure("bad_outputs", f"{node_type.type} returned {got}, expected ports "
                                         f"{sorted(node_type.outputs)} (a bug in the node)")
    outputs = {}
    for port, value in values.items():
        kind = node_type.outputs[port].kind
        try:
            encoded = encode_value(kind, value, runtime.store)
        except (TypeError, ValueError) as error:
            raise NodeFailure("bad_outputs", f"output '{port}' is not a valid {kind} value: {error}",
                              tb.format_exc()) from error
        except OSError as error:
            raise _disk_failure(error, f"storing output '{port}'") from error
        outputs[port] = ArtifactInfo(sha256=encoded.sha256, kind=str(kind), mime=encoded.mime,
                                     size=encoded.size, uri=runtime.store.uri_for(encoded.sha256),
                                     meta=encoded.meta)
    return outputs


def _execute(runtime: Runtime, run: RunContext, node_run: NodeRunInfo, workspace: Workspace,
             device: str, known: dict[str, dict[str, ArtifactInfo]] | None = None) -> dict[str, ArtifactInfo]:
    node_type = runtime.registry.get(node_run.type)
    if node_type is None:
        raise NodeFailure("unknown_node_type", f"node type '{node_run.type}' is not installed in this process; "
                                               "install its node pack where the engine runs")
    try:
        params = node_type.Params.model_validate(node_run.params)
    except ValidationError as error:
        raise NodeFailure("invalid_param", f"params no longer validate: {error}") from error
    inputs = _decode_inputs(runtime, node_run, node_type, known)
    context = NodeContext(node_id=node_run.node_id, run_id=node_run.run_id, store=runtime.store,
                          workspace=workspace, device=device, on_progress=run.on_event,
                          lineage=lambda: node_lineage(runtime, node_run.run_id, node_run.node_id),
                          should_stop=run.stop.is_set)
    node = runtime.registry.instance(node_run.type)
    # the same threads, so the same bits, on every engine
    pin_torch_threads(node_run.resources, loads_models=bool(node_type.model_ids(params)))
    try:
        values = node.run(context, params, **inputs)
    except NodeError as error:
        raise NodeFailure(error.code, str(error), tb.format_exc()) from error
    except (ArtifactCorrupted, ArtifactMissing) as error:  # a streamed input chunk, read mid-run
        raise _unreadable(error, "reading an input") from error
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise _disk_failure(error, "running") from error
        raise NodeFailure("node_exception", f"{type(error).__name__}: {error}", tb.format_exc(),
                          retryable=True) from error
    except NodeFailure:
        raise
    except Exception as error:  # anything else is a bug or a failure of the world: keep the traceback
        raise NodeFailure("node_exception", f"{type(error).__name__}: {error}", tb.format_exc(),
                          retryable=True) from error
    return _encode_outputs(runtime, node_type, values)


def _workspace(runtime: Runtime, run_id: str) -> Workspace:
    run = runtime.cached_run(run_id)
    if run is None:
        run = repo.get_run(runtime.db, run_id)
        runtime.remember_run(run)
    return Workspace(run.workspace)


def _blobs_of(runtime: Runtime, artifact: ArtifactInfo) -> set[str]:
    """An artifact's blob and, for manifests (image lists, frame sequences), the blobs it lists."""
    try:
        return {artifact.sha256, *port_kind(artifact.kind).codec.children(artifact.sha256, runtime.store)}
    except (ArtifactCorrupted, ArtifactMissing):  # the manifest itself is the damaged blob
        return {artifact.sha256}


def _recompute_producer(runtime: Runtime, run: RunContext, node_run: NodeRunInfo, bad: str, device: str) -> bool:
    """A blob an input depends on is corrupted or gone: set it aside, and execute the upstream node
    that produced it again. Never reads the bad bytes as if they were good."""
    runtime.store.quarantine(bad)
    upstream_ids = {upstream for upstream, _ in node_run.inputs.values()}
    for upstream, outputs in repo.node_outputs_of(runtime.db, node_run.run_id, upstream_ids).items():
        for artifact in outputs.values():
            if bad in _blobs_of(runtime, artifact):
                runtime.store.quarantine(artifact.sha256)  # so the cache cannot hand it out again
                producer = repo.get_node_run(runtime.db, node_run.run_id, upstream)
                repo.reset_node_run(runtime.db, producer.id)
                return run_node(runtime, node_run.run_id, upstream, run=run, device=device).status in DONE_STATUSES
    return False


def _start_attempt(runtime: Runtime, run: RunContext, node_run: NodeRunInfo,
                   gpu: str | None) -> int | dict[str, str]:
    """Start an attempt once this node run holds its cache key's lease: returns the attempt number.
    Returns the cached outputs when, while waiting, the holder (another run computing the same key)
    finished. Raises NodeCancelled when the run is asked to stop while waiting."""
    next_notice, check_cache = 0.0, True
    holder = owner_tag(runtime.host, runtime.worker)
    while True:
        if run.stopping:
            raise NodeCancelled(node_run.node_id)
        attempt = repo.start_attempt(runtime.db, node_run, host=runtime.host, worker=runtime.worker, gpu=gpu,
                                     lease_seconds=LEASE_SECONDS, check_cache=check_cache, holder=holder)
        if attempt == repo.COMPUTED_ELSEWHERE:
            if (outputs := try_cache(runtime, node_run)) is not None:
                return outputs
            check_cache = False  # recorded, but its artifacts are gone: compute it again
            continue
        if attempt is not None:
            return attempt
        if (outputs := try_cache(runtime, node_run)) is not None:
            return outputs
        lease = repo.lease_info(runtime.db, node_run.cache_key)
        if lease is not None and owner_gone(lease[0]):  # its process died on this host: take it now
            repo.expire_lease(runtime.db, node_run.cache_key, lease[0])
            continue
        if lease is not None and time.monotonic() >= next_notice:
            run.on_event(ProgressEvent(node_run.node_id, 0, None, _lease_wait_message(node_run, *lease)))
            next_notice = time.monotonic() + LEASE_NOTICE_SECONDS
        time.sleep(LEASE_POLL_SECONDS)


def _lease_wait_message(node_run: NodeRunInfo, holder: str, expires_at: datetime) -> str:
    left = max(0.0, (expires_at - datetime.now(UTC)).total_seconds())
    return (f"waiting for {holder}, which is computing the same work (cache key {node_run.cache_key[:12]}); "
            f"its lease ends in {left:.0f} s unless its heartbeat renews it")


def run_node(runtime: Runtime, run_id: str, node_id: str, *, run: RunContext | None = None,
             device: str = "cpu", gpu: str | None = None, max_attempts: int | None = None) -> NodeOutcome:
    """Execute (or reuse) one node of a run; `run` carries the run's event sink and stop flag."""
    run = run or RunContext(run_id)
    node_run = repo.get_node_run(runtime.db, run_id, node_id)
    if node_run is None:
        raise KeyError(f"run {run_id} has no node '{node_id}'")
    if node_run.status in DONE_STATUSES:
        run.on_event(NodeFinished(node_id, node_run.status, outputs=node_run.outputs))
        return NodeOutcome(node_id, node_run.status)
    if run.stopping:  # dispatched, then the run was stopped before this worker took it up
        run.on_event(NodeFinished(node_id, CANCELLED))
        return NodeOutcome(node_id, CANCELLED)
    if (outputs := try_cache(runtime, node_run)) is not None:
        run.on_event(NodeFinished(node_id, CACHED, outputs=outputs))
        return NodeOutcome(node_id, CACHED)
    try:
        return _attempts(runtime, run, node_run, device, gpu, max_attempts)
    except NodeCancelled:
        repo.mark_interrupted(runtime.db, node_run.id, release_key=node_run.cache_key)
        run.on_event(NodeFinished(node_id, CANCELLED))
        return NodeOutcome(node_id, CANCELLED)
    except BaseException:  # the database failed, or the process is being stopped: free the key now
        repo.release_lease(runtime.db, node_run.cache_key, node_run.id)
        raise
    finally:
        runtime.heartbeat.untrack(node_run.id)


def _attempts(runtime: Runtime, run: RunContext, node_run: NodeRunInfo, device: str, gpu: str | None,
              max_attempts: int | None) -> NodeOutcome:
    node_id = node_run.node_id
    node_type = runtime.registry.get(node_run.type)
    attempts_allowed = max_attempts or 1 + (node_type.retries if node_type else 0)
    workspace = _workspace(runtime, node_run.run_id)
    repaired: set[str] = set()
    while True:
        attempt = _start_attempt(runtime, run, node_run, gpu)
        if isinstance(attempt, dict):
            run.on_event(NodeFinished(node_id, CACHED, outputs=attempt))
            return NodeOutcome(node_id, CACHED)
        runtime.heartbeat.track(node_run.id)
        run.on_event(NodeStarted(node_id, attempt))
        started = time.perf_counter()
        try:
            outputs = _execute(runtime, run, node_run, workspace, device)
        except NodeFailure as failure:
            bad = failure.bad_artifact
            if bad and bad not in repaired:
                repaired.add(bad)
                if _recompute_producer(runtime, run, node_run, bad, device):
                    continue
            if failure.retryable and attempt < attempts_allowed:
                continue
            repo.mark_failed(runtime.db, node_run.id, code=failure.code, error=failure.message,
                             traceback=failure.traceback, release_key=node_run.cache_key)
            run.on_event(NodeFinished(node_id, FAILED, time.perf_counter() - started, failure.message))
            return NodeOutcome(node_id, FAILED, failure.message, retryable=failure.retryable)
        repo.mark_succeeded(runtime.db, node_run.id, outputs, release_key=node_run.cache_key)
        run.on_event(NodeFinished(node_id, SUCCEEDED, time.perf_counter() - started,
                                  outputs={port: artifact.sha256 for port, artifact in outputs.items()}))
        return NodeOutcome(node_id, SUCCEEDED)
