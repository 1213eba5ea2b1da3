"""Running a task's nodes: what every engine's worker calls.

    run_chain(runtime, node_runs, run=run) -> [NodeOutcome for each node that ran or stopped]

A task is one node (`run_node`), a line of cheap CPU nodes, each the only child of the one before,
or a pack of such lines (flows/fusion.py chooses them; `split_lines` finds the lines again).
Scheduling each node as its own task costs a Ray or Prefect round trip per node and the runner's
records cost two commits per node, both more than a cheap node costs to run; a line costs two
commits:

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

Outcomes come back for each line's nodes in order, up to the first that failed: the driver skips
the rest of that line as it skips everything downstream of a failure; the pack's other lines go
on. A stopped run returns every node, the unfinished ones `cancelled`.
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


def run_chain(runtime: Runtime, nodes: list[NodeRunInfo], *, run: RunContext | None = None,
              device: str = "cpu", gpu: str | None = None) -> list[NodeOutcome]:
    """Execute (or reuse) a task's nodes: one node, a line of cheap nodes, or a pack of lines
    (flows/fusion.py), each line in order; a failure ends its own line only.

    `nodes` is the driver's view of the node runs, read when the run started: the records decide
    (a node run no longer pending is not fused, and run_node reads its own record again)."""
    run = run or RunContext(nodes[0].run_id)
    lines = split_lines(nodes)
    fused = _run_fused(runtime, run, lines, device) if len(nodes) > 1 and not run.stopping else [[] for _ in lines]
    return [outcome for line, done in zip(lines, fused) for outcome in _rest_of_line(runtime, run, line, done, device, gpu)]


def split_lines(nodes: list[NodeRunInfo]) -> list[list[NodeRunInfo]]:
    """A pack's lines: a node that does not take the node before it as an input starts a new one."""
    lines: list[list[NodeRunInfo]] = []
    for node_run in nodes:
        if lines and any(up == lines[-1][-1].node_id for up, _ in node_run.inputs.values()):
            lines[-1].append(node_run)
        else:
            lines.append([node_run])
    return lines


def _rest_of_line(runtime: Runtime, run: RunContext, line: list[NodeRunInfo], done: list[NodeOutcome],
                  device: str, gpu: str | None) -> list[NodeOutcome]:
    """A line's outcomes: those of the fused run, then its other nodes one at a time through run_node."""
    outcomes = list(done)
    for node_run in line[len(outcomes):]:
        if outcomes and outcomes[-1].status == FAILED:
            break  # the driver skips the rest
        if outcomes and outcomes[-1].status == CANCELLED:
            run.on_event(NodeFinished(node_run.node_id, CANCELLED))
            outcomes.append(NodeOutcome(node_run.node_id, CANCELLED))
            continue
        outcomes.append(run_node(runtime, node_run.run_id, node_run.node_id, run=run, device=device, gpu=gpu))
    return outcomes


def _now() -> datetime:
    return datetime.now(UTC)


class _Records:
    """What a fused task did, kept until its one closing transaction; then its events go out, each
    line's in order, and its outcomes come back per line."""

    def __init__(self, lines: int) -> None:
        self.finished: list[chains.Finished] = []
        self.failed: list[chains.Failed] = []
        self.put_back: list[NodeRunInfo] = []
        self.never_ran: list[NodeRunInfo] = []
        self.stopped = False
        self.results: list[list[tuple]] = [[] for _ in range(lines)]  # per line: what to report, in order

    def succeeded(self, line: int, done: chains.Finished, seconds: float) -> None:
        self.finished.append(done)
        self.results[line].append((SUCCEEDED, done, seconds))

    def failed_for_good(self, line: int, node_run: NodeRunInfo, failure: NodeFailure, seconds: float) -> None:
        self.failed.append(chains.Failed(node_run, failure.code, failure.message, failure.traceback))
        self.results[line].append((FAILED, node_run, failure, seconds))

    def cancelled(self, line: int, node_run: NodeRunInfo) -> None:
        self.results[line].append((CANCELLED, node_run))

    def record(self, runtime: Runtime) -> None:
        chains.finish_chain(runtime.db, self.finished, failed=self.failed, put_back=self.put_back,
                            never_ran=self.never_ran, stopped=self.stopped)

    def report(self, run: RunContext) -> list[list[NodeOutcome]]:
        outcomes: list[list[NodeOutcome]] = []
        for results in self.results:
            outcomes.append([])
            for status, *detail in results:
                if status == SUCCEEDED:
                    done, seconds = detail
                    node_id = done.node_run.node_id
                    outputs = {port: artifact.sha256 for port, artifact in done.outputs.items()}
                    run.on_event(NodeFinished(node_id, SUCCEEDED, seconds, outputs=outputs))
                    outcomes[-1].append(NodeOutcome(node_id, SUCCEEDED))
                elif status == FAILED:
                    node_run, failure, seconds = detail
                    run.on_event(NodeFinished(node_run.node_id, FAILED, seconds, failure.message))
                    outcomes[-1].append(NodeOutcome(node_run.node_id, FAILED, failure.message,
                                                    retryable=failure.retryable))
                else:
                    run.on_event(NodeFinished(detail[0].node_id, CANCELLED))
                    outcomes[-1].append(NodeOutcome(detail[0].node_id, CANCELLED))
        return outcomes


def _run_fused(runtime: Runtime, run: RunContext, lines: list[list[NodeRunInfo]], device: str) -> list[list[NodeOutcome]]:
    """Execute the nodes `start_chain` could start, with batched records; returns each line's
    outcomes so far (empty for a line whose first node it could not start: run_node takes it)."""
    flat = [node_run for line in lines for node_run in line]
    attempts = chains.start_chain(runtime.db, flat, host=runtime.host, worker=runtime.worker,
                                  holder=owner_tag(runtime.host, runtime.worker), lease_seconds=LEASE_SECONDS)
    if not attempts:
        return [[] for _ in lines]
    attempt_of = {node_run.node_id: attempt for node_run, attempt in zip(flat, attempts)}
    started = flat[:len(attempts)]
    for node_run in started:
        runtime.heartbeat.track(node_run.id)
    records = _Records(len(lines))
    try:
        workspace = _workspace(runtime, flat[0].run_id)
        for number, line in enumerate(lines):
            _run_line(runtime, run, records, number, [n for n in line if n.node_id in attempt_of], attempt_of,
                      workspace, device)
            if records.stopped:  # every started node after this line goes back, unstarted
                for later, rest in enumerate(lines[number + 1:], start=number + 1):
                    for node_run in rest:
                        if node_run.node_id in attempt_of:
                            records.never_ran.append(node_run)
                            records.cancelled(later, node_run)
                break
        records.record(runtime)
    except BaseException:  # the database failed, or the process is being stopped: free the keys now
        chains.release_leases(runtime.db, started)
        raise
    finally:
        for node_run in started:
            runtime.heartbeat.untrack(node_run.id)
    return records.report(run)


def _run_line(runtime: Runtime, run: RunContext, records: _Records, number: int, line: list[NodeRunInfo],
              attempt_of: dict[str, int], workspace, device: str) -> None:
    """Execute a line's started nodes in order, into `records`; stops at the line's first failure."""
    known: dict[str, dict[str, ArtifactInfo]] = {}
    for index, node_run in enumerate(line):
        if run.stopping:
            records.stopped = True
            records.never_ran += line[index:]
            for rest in line[index:]:
                records.cancelled(number, rest)
            return
        attempt = attempt_of[node_run.node_id]
        run.on_event(NodeStarted(node_run.node_id, attempt))
        began, clock = _now(), time.perf_counter()
        try:
            outputs = _execute(runtime, run, node_run, workspace, device, known)
        except NodeCancelled:
            records.stopped = True
            records.put_back.append(node_run)
            records.never_ran += line[index + 1:]
            for rest in line[index:]:
                records.cancelled(number, rest)
            return
        except NodeFailure as failure:
            records.never_ran += line[index + 1:]
            node_type = runtime.registry.get(node_run.type)
            if failure.bad_artifact or (failure.retryable and attempt < 1 + (node_type.retries if node_type else 0)):
                records.put_back.append(node_run)  # run_node repairs the input or retries it
            else:
                records.failed_for_good(number, node_run, failure, time.perf_counter() - clock)
            return
        records.succeeded(number, chains.Finished(node_run, outputs, began, _now()), time.perf_counter() - clock)
        known[node_run.node_id] = outputs
