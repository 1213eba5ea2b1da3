"""The result of a run as the CLI prints it with --json, and as tests and engines compare it."""
from __future__ import annotations

from reelgraph.flows.runtime import Runtime
from reelgraph.storage import repository as repo


def run_result(runtime: Runtime, run_id: str) -> dict:
    """{"run_id", "status", "nodes": {node_id: {"status", "cache_key", "outputs", "error"}}}"""
    run = repo.get_run(runtime.db, run_id)
    nodes = {
        n.node_id: {"status": n.status, "cache_key": n.cache_key, "outputs": n.outputs, "error": n.error,
                    "type": n.type, "attempts": n.attempts}
        for n in repo.list_node_runs(runtime.db, run_id)
    }
    return {"run_id": run_id, "status": run.status, "graph": run.graph_name, "engine": run.engine,
            "nodes": nodes}
