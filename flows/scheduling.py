"""The bookkeeping every engine's scheduling loop shares: which nodes of a run wait on which.

Engines differ in where a node executes (a thread, a Ray task, a GPU actor, a Prefect task); the
rules are the same everywhere: a node is ready when its upstream nodes are done, ready nodes go in
priority order (the longest chain of work still behind them first, which keeps the critical path
moving), and a failed node skips everything downstream while independent branches go on.
"""
from __future__ import annotations

from collections.abc import Iterable

from reelgraph.storage.records import DONE_STATUSES, FAILED, NodeRunInfo


class DagState:
    def __init__(self, node_runs: Iterable[NodeRunInfo]) -> None:
        self.node_runs = {n.node_id: n for n in node_runs}
        self.order = {node_id: index for index, node_id in enumerate(self.node_runs)}
        self.waiting: dict[str, set[str]] = {
            node_id: {up for up, _ in n.inputs.values() if self.node_runs[up].status not in DONE_STATUSES}
            for node_id, n in self.node_runs.items() if n.status not in DONE_STATUSES}
        self.downstream: dict[str, set[str]] = {node_id: set() for node_id in self.node_runs}
        for node_id, n in self.node_runs.items():
            for up, _ in n.inputs.values():
                self.downstream[up].add(node_id)
        self.priority = self._chain_lengths()
        self.running: set[str] = set()  # started, not finished

    def _chain_lengths(self) -> dict[str, int]:
        """For each node, the number of nodes on the longest path from it to a sink."""
        length: dict[str, int] = {}
        for node_id in reversed(list(self.node_runs)):  # node runs are stored in topological order
            length[node_id] = 1 + max((length[child] for child in self.downstream[node_id]), default=0)
        return length

    @property
    def pending(self) -> bool:
        return bool(self.waiting)

    def ready(self) -> list[str]:
        ready = [node_id for node_id, upstream in self.waiting.items() if not upstream]
        return sorted(ready, key=lambda n: (-self.priority[n], self.order[n]))

    def chain(self, node_id: str, fusible: set[str], limit: int) -> list[str]:
        """`node_id` and the line of fusible nodes after it that can run in one task: each the only
        child of the one before, waiting on nothing else (flows/fusion.py). Just [node_id] when
        it is not fusible itself."""
        chain = [node_id]
        while node_id in fusible and len(chain) < limit and len(self.downstream[chain[-1]]) == 1:
            (child,) = self.downstream[chain[-1]]
            if child not in fusible or self.waiting.get(child) != {chain[-1]}:
                break
            chain.append(child)
        return chain

    def started(self, node_id: str) -> None:
        del self.waiting[node_id]
        self.running.add(node_id)

    def finished(self, node_id: str, status: str) -> list[str]:
        """Record a finished node; returns the nodes skipped because it failed. A node that did
        not finish (cancelled) releases nothing: its children keep waiting for a resume."""
        self.running.discard(node_id)
        if status == FAILED:
            return self._skip_downstream(node_id)
        if status not in DONE_STATUSES:
            return []
        for child in self.downstream[node_id]:
            if child in self.waiting:
                self.waiting[child].discard(node_id)
        return []

    def _skip_downstream(self, failed: str) -> list[str]:
        skipped, stack = [], list(self.downstream[failed])
        while stack:
            node_id = stack.pop()
            if node_id in self.waiting or node_id in self.running:  # running: later in a failed chain
                self.waiting.pop(node_id, None)
                self.running.discard(node_id)
                skipped.append(node_id)
                stack.extend(self.downstream[node_id])
        return skipped
