"""Which nodes run together as one task: lines of cheap CPU nodes, and packs of such lines.

A node is cheap when it asks for no GPU and its type says so (`Node.cheap`: plumbing, text, picks)
or its type's recent executions measured under CHEAP_SECONDS (the median of the last ones the
database holds). The driver turns each ready cheap node and the line of cheap nodes after it
(DagState.chain) into one task: nothing is lost in parallelism, since in such a line no node could
start before the one before it finished anyway. When far more cheap lines are ready than the
engine runs at once (a fan-out of small nodes), `pack` puts several in one task, keeping at least
PACK_MARGIN tasks per engine slot so that no slot idles. flows/chains.py runs either.

REELGRAPH_FUSE=0 turns fusion off: every node its own task, as before (for a debugging session, or
for a benchmark's baseline).
"""
from __future__ import annotations

import os
from collections.abc import Iterable

from reelgraph.flows.runtime import Runtime
from reelgraph.flows.scheduling import DagState
from reelgraph.storage import chain_repository
from reelgraph.storage.records import NodeRunInfo

CHEAP_SECONDS = 0.05  # a Ray task round trip plus two commits cost a few milliseconds
MAX_CHAIN = 64        # nodes in one task: bounds what a worker lost mid-chain takes back with it
PACK_MARGIN = 2       # packs leave at least this many tasks per engine slot


class Task:
    """Nodes that run as one task, in order: one node, a line of cheap nodes, or a pack of lines
    (each line's nodes consecutive). `cheap`: made of cheap lines, so it may be packed."""

    def __init__(self, nodes: list[NodeRunInfo], cheap: bool) -> None:
        self.nodes, self.cheap = nodes, cheap
        self.lines = 1
        self.gpus = max(float(n.resources.get("gpus", 0)) for n in nodes)
        self.cpus = max(float(n.resources.get("cpus", 1)) for n in nodes)


def line_task(state: DagState, node_id: str, fusible: set[str]) -> Task:
    """A ready node and the line of cheap nodes after it, as one task."""
    return Task([state.node_runs[n] for n in state.chain(node_id, fusible, MAX_CHAIN)], node_id in fusible)


def pack(tasks: list[Task], slots: int) -> list[Task]:
    """Ready tasks in priority order, with cheap CPU lines packed together when there are more than
    PACK_MARGIN per slot: as few tasks as keep every slot busy, each up to MAX_CHAIN nodes."""
    lines = [t for t in tasks if t.cheap and not t.gpus]
    per_task = -(-len(lines) // (PACK_MARGIN * max(slots, 1)))  # lines per pack, rounded up
    if per_task <= 1:
        return tasks
    packed, current = [], None
    for task in tasks:
        if not (task.cheap and not task.gpus):
            packed.append(task)
            continue
        if current is not None and current.lines < per_task and len(current.nodes) + len(task.nodes) <= MAX_CHAIN:
            current.nodes += task.nodes
            current.lines += 1
            current.cpus = max(current.cpus, task.cpus)
            continue
        current = Task(list(task.nodes), True)
        packed.append(current)
    return packed


def fusion_enabled() -> bool:
    return os.environ.get("REELGRAPH_FUSE", "1") != "0"


def cheap_nodes(runtime: Runtime, node_runs: Iterable[NodeRunInfo]) -> set[str]:
    """The ids of the node runs that may run fused."""
    candidates = [n for n in node_runs if not n.resources.get("gpus", 0)]
    if not fusion_enabled() or not candidates:
        return set()
    types = {n.type for n in candidates}
    declared = {t for t in types if getattr(runtime.registry.get(t), "cheap", False)}
    measured = chain_repository.median_seconds(runtime.db, types - declared)
    cheap_types = declared | {t for t, seconds in measured.items() if seconds < CHEAP_SECONDS}
    return {n.node_id for n in candidates if n.type in cheap_types}
