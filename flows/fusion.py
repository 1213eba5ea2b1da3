"""Which nodes may run fused: cheap CPU nodes, in chains that flows/chains.py runs as one task.

A node is cheap when it asks for no GPU and its type says so (`Node.cheap`: plumbing, text, picks)
or its type's recent executions measured under CHEAP_SECONDS (the median of the last ones the
database holds). The driver turns each ready cheap node and the line of cheap nodes after it
(DagState.chain) into one task. Nothing is lost in parallelism: in such a line no node could start
before the one before it finished anyway.

REELGRAPH_FUSE=0 turns fusion off: every node its own task, as before (for a debugging session, or
for a benchmark's baseline).
"""
from __future__ import annotations

import os
from collections.abc import Iterable

from reelgraph.flows.runtime import Runtime
from reelgraph.storage import chain_repository
from reelgraph.storage.records import NodeRunInfo

CHEAP_SECONDS = 0.05  # a Ray task round trip plus two commits cost a few milliseconds
MAX_CHAIN = 64        # nodes in one task: bounds what a worker lost mid-chain takes back with it


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
