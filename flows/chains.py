"""Running a chain of nodes as one task: what every engine's worker calls.

    run_chain(runtime, run_id, ["a", "b", "c"], run=run) -> [NodeOutcome for a, b, c]

A chain of one node is `run_node`. A longer chain is a line of cheap CPU nodes, each the only child
of the one before (flows/fusion.py chooses them). Scheduling each as its own task costs a Ray or
Prefect round trip per node and the runner's records cost two commits per node, both more than a
cheap node costs to run; a chain costs one task and two commits:

1. `start_chain` takes every node's lease and marks it running, in one transaction.
2. The nodes execute in order in this thread, each reading its inputs from the store as always
   (the chain's own upstream outputs are known here before they are recorded).
3. `finish_chain` records every success with the node's own start and end times, in one
   transaction; then each node's NodeFinished event goes out, so no event announces an output the
   database does not hold yet.

What a chain gives up: a worker dying mid-chain leaves the whole chain to run again (its nodes are
cheap by definition). Anything off the common path (a node already done or running, a lease held
by another run, a key computed meanwhile, a corrupted input, a failure another attempt may fix)
is handed to `run_node`, node by node, which waits for leases, reuses the cache and retries.

Outcomes come back for the chain's nodes in order, up to the first that failed: the driver skips
the rest as it skips everything downstream of a failure. A stopped run returns every node, the
unfinished ones `cancelled`.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime

from reelgraph.flows.events import NodeFinished, NodeStarted, RunContext
from reelgraph.flows.heartbeat import LEASE_SECONDS
from reelgraph.flows.liveness import owner_tag
from reelgraph.flows.runner import NodeFailure, NodeOutcome, _execute, _workspace, run_node
from reelgraph.flows.runtime import Runtime
from reelgraph.nodes import NodeCancelled
from reelgraph.storage import chain_repository as chains
from reelgraph.storage.records import CANCELLED, FAILED, SUCCEEDED, ArtifactInfo, NodeRunInfo


def run_chain(runtime: Runtime, chain: list[NodeRunInfo], *, run: RunContext | None = None,
              device: str = "cpu", gpu: str | None = None) -> list[NodeOutcome]:
    """Execute (or reuse) a chain of nodes of a run, in order; see the module's docstring.

    `chain` is the driver's view of the node runs, read when the run started: the records decide
    (a node run no longer pending is not fused, and run_node reads its own record again)."""
    run_id = chain[0].run_id
    run = run or RunContext(run_id)
    outcomes: list[NodeOutcome] = []
    if len(chain) > 1 and not run.stopping:
        outcomes = _run_fused(runtime, run, chain, device)
    for node_id in [n.node_id for n in chain][len(outcomes):]:  # what the fused run did not take, one by one
        if outcomes and outcomes[-1].status == FAILED:
            break  # the driver skips the rest
        if outcomes and outcomes[-1].status == CANCELLED:
            run.on_event(NodeFinished(node_id, CANCELLED))
            outcomes.append(NodeOutcome(node_id, CANCELLED))
            continue
        outcomes.append(run_node(runtime, run_id, node_id, run=run, device=device, gpu=gpu))
    return outcomes


def _now() -> datetime:
    return datetime.now(UTC)


def _run_fused(runtime: Runtime, run: RunContext, node_runs: list[NodeRunInfo], device: str) -> list[NodeOutcome]:
    """Execute the leading nodes `start_chain` could start with batched records; returns their
    outcomes (none when it could start none: they all go to run_node)."""
    attempts = chains.start_chain(runtime.db, node_runs, host=runtime.host, worker=runtime.worker,
                                  holder=owner_tag(runtime.host, runtime.worker), lease_seconds=LEASE_SECONDS)
    started = node_runs[:len(attempts)]
    for node_run in started:
        runtime.heartbeat.track(node_run.id)
    finished: list[chains.Finished] = []
    known: dict[str, dict[str, ArtifactInfo]] = {}
    seconds: list[float] = []
    try:
        workspace = _workspace(runtime, started[0].run_id) if started else None
        for index, (node_run, attempt) in enumerate(zip(started, attempts)):
            if run.stopping:
                return _stopped(runtime, run, finished, seconds, started[index:], executing=None)
            run.on_event(NodeStarted(node_run.node_id, attempt))
            began, clock = _now(), time.perf_counter()
            try:
                outputs = _execute(runtime, run, node_run, workspace, device, known)
            except NodeCancelled:
                return _stopped(runtime, run, finished, seconds, started[index:], executing=node_run)
            except NodeFailure as failure:
                return _failed(runtime, run, finished, seconds, started[index:], attempt, failure,
                               time.perf_counter() - clock)
            seconds.append(time.perf_counter() - clock)
            finished.append(chains.Finished(node_run, outputs, began, _now()))
            known[node_run.node_id] = outputs
        chains.finish_chain(runtime.db, finished)
        return _report(run, finished, seconds)
    except BaseException:  # the database failed, or the process is being stopped: free the keys now
        chains.release_leases(runtime.db, started)
        raise
    finally:
        for node_run in started:
            runtime.heartbeat.untrack(node_run.id)


def _report(run: RunContext, finished: list[chains.Finished], seconds: list[float]) -> list[NodeOutcome]:
    """The NodeFinished events of recorded successes, and their outcomes."""
    for done, took in zip(finished, seconds):
        outputs = {port: artifact.sha256 for port, artifact in done.outputs.items()}
        run.on_event(NodeFinished(done.node_run.node_id, SUCCEEDED, took, outputs=outputs))
    return [NodeOutcome(done.node_run.node_id, SUCCEEDED) for done in finished]


def _failed(runtime: Runtime, run: RunContext, finished: list[chains.Finished], seconds: list[float],
            rest: list[NodeRunInfo], attempt: int, failure: NodeFailure, took: float) -> list[NodeOutcome]:
    """rest[0] failed. Recorded as the runner records a failure when no other attempt could fix it;
    otherwise (a retry allowed, a corrupted input to repair) it goes back to pending for run_node."""
    node_run, later = rest[0], rest[1:]
    node_type = runtime.registry.get(node_run.type)
    attempts_allowed = 1 + (node_type.retries if node_type else 0)
    if failure.bad_artifact or (failure.retryable and attempt < attempts_allowed):
        chains.finish_chain(runtime.db, finished, put_back=[node_run], never_ran=later)
        return _report(run, finished, seconds)
    chains.finish_chain(runtime.db, finished, never_ran=later,
                        failed=chains.Failed(node_run, failure.code, failure.message, failure.traceback))
    outcomes = _report(run, finished, seconds)
    run.on_event(NodeFinished(node_run.node_id, FAILED, took, failure.message))
    return outcomes + [NodeOutcome(node_run.node_id, FAILED, failure.message, retryable=failure.retryable)]


def _stopped(runtime: Runtime, run: RunContext, finished: list[chains.Finished], seconds: list[float],
             rest: list[NodeRunInfo], executing: NodeRunInfo | None) -> list[NodeOutcome]:
    """The run was asked to stop: successes recorded, the rest back to pending for a resume."""
    never_ran = [n for n in rest if n is not executing]
    chains.finish_chain(runtime.db, finished, put_back=[executing] if executing else [], never_ran=never_ran,
                        stopped=True)
    outcomes = _report(run, finished, seconds)
    for node_run in rest:
        run.on_event(NodeFinished(node_run.node_id, CANCELLED))
        outcomes.append(NodeOutcome(node_run.node_id, CANCELLED))
    return outcomes

