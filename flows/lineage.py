"""Lineage: from a node of a run back through everything that made it.

`node_lineage` answers "how was this made?" from the database alone: the run, the graph, and every
upstream node with its type, version, params, models, seeds and matrix values. The provenance node
embeds it in signed videos; `reelgraph lineage` prints it for any artifact.
"""
from __future__ import annotations

from typing import Any

from reelgraph.flows.runtime import Runtime
from reelgraph.storage import repository as repo
from reelgraph.storage.records import NodeRunInfo


def _models_of(runtime: Runtime, node_run: NodeRunInfo) -> list[str]:
    node_type = runtime.registry.get(node_run.type)
    if node_type is None:
        return []
    try:
        return list(node_type.model_ids(node_type.Params.model_validate(node_run.params)))
    except ValueError:
        return []


def _seeds_of(params: dict) -> list[int]:
    return [value for key, value in params.items() if "seed" in key and isinstance(value, int)]


def node_lineage(runtime: Runtime, run_id: str, node_id: str) -> dict[str, Any]:
    run = repo.get_run(runtime.db, run_id)
    node_runs = {n.node_id: n for n in repo.list_node_runs(runtime.db, run_id)}
    wanted, stack = [], [node_id]
    while stack:  # the node and all its ancestors, each once
        current = stack.pop()
        if current in wanted or current not in node_runs:
            continue
        wanted.append(current)
        stack.extend(up for up, _ in node_runs[current].inputs.values())
    nodes = []
    for current in sorted(wanted, key=list(node_runs).index):
        n = node_runs[current]
        nodes.append({"node_id": n.node_id, "type": n.type, "version": n.type_version, "cache_key": n.cache_key,
                      "status": n.status, "params": n.params, "bindings": n.bindings,
                      "inputs": {port: f"{up}.{up_port}" for port, (up, up_port) in n.inputs.items()},
                      "outputs": n.outputs, "models": _models_of(runtime, n), "seeds": _seeds_of(n.params),
                      "host": n.host, "worker": n.worker, "gpu": n.gpu})
    return {
        "run_id": run.id, "run_status": run.status, "engine": run.engine, "graph": run.graph_name,
        "graph_id": run.graph_id, "created_at": run.created_at.isoformat(), "node_id": node_id,
        "bindings": node_runs[node_id].bindings if node_id in node_runs else {},
        "models": sorted({m for n in nodes for m in n["models"]}),
        "seeds": sorted({s for n in nodes for s in n["seeds"]}),
        "nodes": nodes,
    }
