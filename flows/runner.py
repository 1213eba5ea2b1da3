"""The node runner: the one function every engine calls to execute a node of a run.

    run_node(runtime, run_id, node_id)

1. Done already (a retried task, a resumed run)? Return its status.
2. Cache: a node run elsewhere with the same cache key succeeded and its artifacts are in the
   store? Reuse its outputs; execute nothing.
3. Otherwise mark the attempt running, decode the inputs from the store, run the node, encode its
   outputs into the store, and record artifacts, outputs and success in one transaction.
A failure records the error and traceback on the node run; it never escapes as a bare exception.
"""
from __future__ import annotations

import time
import traceback as tb
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from flows.events import NodeFinished, NodeStarted
from flows.lineage import node_lineage
from flows.runtime import Runtime
from nodes import NodeContext, NodeError, PortKind, Workspace
from nodes.codecs import decode_value, encode_value
from storage import repository as repo
from storage.artifact_store import ArtifactCorrupted, ArtifactMissing
from storage.records import CACHED, DONE_STATUSES, FAILED, SUCCEEDED, ArtifactInfo, NodeRunInfo


@dataclass(frozen=True)
class NodeOutcome:
    node_id: str
    status: str                  # succeeded, cached, failed (or skipped, from an engine)
    error: str | None = None
    retryable: bool = False      # failed in a way another attempt may fix (not a NodeError)


class NodeFailure(Exception):
    """A node failed in a way the runner records: a code, a message, maybe a traceback."""

    def __init__(self, code: str, message: str, traceback: str | None = None, retryable: bool = False):
        super().__init__(message)
        self.code, self.message, self.traceback, self.retryable = code, message, traceback, retryable


def _outputs_present(runtime: Runtime, outputs: dict[str, str]) -> bool:
    return all(runtime.store.exists(sha) for sha in outputs.values())


def try_cache(runtime: Runtime, node_run: NodeRunInfo) -> bool:
    """Reuse the outputs of an earlier node run with the same key, if they are still in the store."""
    hit = repo.cached_output(runtime.db, node_run.cache_key)
    if hit is None or not _outputs_present(runtime, hit[1]):
        return False
    repo.mark_cached(runtime.db, {node_run.id: hit})
    return True


def _artifact_uri(runtime: Runtime, sha256: str) -> str:
    return f"{runtime.store.uri.rstrip('/')}/objects/{sha256[:2]}/{sha256[2:]}"


def _decode_inputs(runtime: Runtime, node_run: NodeRunInfo, node_type: Any) -> dict[str, Any]:
    upstream_ids = {upstream for upstream, _ in node_run.inputs.values()}
    recorded = repo.node_outputs_of(runtime.db, node_run.run_id, upstream_ids)
    inputs: dict[str, Any] = {port: None for port in node_type.inputs}
    for port, (upstream, upstream_port) in node_run.inputs.items():
        artifact = recorded.get(upstream, {}).get(upstream_port)
        if artifact is None:
            raise NodeFailure("missing_input", f"input '{port}': {upstream}.{upstream_port} has no recorded "
                                               "output; run the upstream node first (reelgraph resume)")
        try:
            inputs[port] = decode_value(PortKind(artifact.kind), node_type.inputs[port].kind, artifact.sha256,
                                        {**artifact.meta, "mime": artifact.mime}, runtime.store)
        except (ArtifactCorrupted, ArtifactMissing) as error:
            raise NodeFailure("artifact_unreadable", f"input '{port}' from {upstream}: {error}; run again to "
                                                     "recompute it") from error
    return inputs


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
        outputs[port] = ArtifactInfo(sha256=encoded.sha256, kind=str(kind), mime=encoded.mime,
                                     size=encoded.size, uri=_artifact_uri(runtime, encoded.sha256),
                                     meta=encoded.meta)
    return outputs


def _execute(runtime: Runtime, node_run: NodeRunInfo, workspace: Workspace, device: str) -> dict[str, ArtifactInfo]:
    node_type = runtime.registry.get(node_run.type)
    if node_type is None:
        raise NodeFailure("unknown_node_type", f"node type '{node_run.type}' is not installed in this process; "
                                               "install its node pack where the engine runs")
    try:
        params = node_type.Params.model_validate(node_run.params)
    except ValidationError as error:
        raise NodeFailure("invalid_param", f"params no longer validate: {error}") from error
    inputs = _decode_inputs(runtime, node_run, node_type)
    context = NodeContext(node_id=node_run.node_id, run_id=node_run.run_id, store=runtime.store,
                          workspace=workspace, device=device, on_progress=runtime.on_event,
                          lineage=lambda: node_lineage(runtime, node_run.run_id, node_run.node_id))
    node = runtime.registry.instance(node_run.type)
    try:
        values = node.run(context, inputs, params)
    except NodeError as error:
        raise NodeFailure(error.code, str(error), tb.format_exc()) from error
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


def run_node(runtime: Runtime, run_id: str, node_id: str, *, device: str = "cpu", gpu: str | None = None,
             max_attempts: int | None = None) -> NodeOutcome:
    node_run = repo.get_node_run(runtime.db, run_id, node_id)
    if node_run is None:
        raise KeyError(f"run {run_id} has no node '{node_id}'")
    if node_run.status in DONE_STATUSES:
        return NodeOutcome(node_id, node_run.status)
    if try_cache(runtime, node_run):
        runtime.on_event(NodeFinished(node_id, CACHED))
        return NodeOutcome(node_id, CACHED)

    node_type = runtime.registry.get(node_run.type)
    attempts_allowed = max_attempts or 1 + (node_type.retries if node_type else 0)
    workspace = _workspace(runtime, run_id)
    while True:
        attempt = repo.mark_running(runtime.db, node_run.id, host=runtime.host, worker=runtime.worker, gpu=gpu)
        runtime.on_event(NodeStarted(node_id, attempt))
        started = time.perf_counter()
        try:
            outputs = _execute(runtime, node_run, workspace, device)
        except NodeFailure as failure:
            if failure.retryable and attempt < attempts_allowed:
                continue
            repo.mark_failed(runtime.db, node_run.id, code=failure.code, error=failure.message,
                             traceback=failure.traceback)
            runtime.on_event(NodeFinished(node_id, FAILED, time.perf_counter() - started, failure.message))
            return NodeOutcome(node_id, FAILED, failure.message, retryable=failure.retryable)
        repo.mark_succeeded(runtime.db, node_run.id, outputs)
        runtime.on_event(NodeFinished(node_id, SUCCEEDED, time.perf_counter() - started))
        return NodeOutcome(node_id, SUCCEEDED)
