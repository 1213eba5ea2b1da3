"""What `reelgraph plan --json` prints and the studio's `POST plan` answers: each expanded node
with its cache key and whether it would run or come from the cache."""
from __future__ import annotations

from reelgraph.flows import session
from reelgraph.flows.runtime import Runtime
from reelgraph.graph import Plan


def plan_report(runtime: Runtime, plan: Plan) -> dict:
    hits = session.usable_cache_hits(runtime, [n.cache_key for n in plan.nodes.values()])
    rows = []
    for node in plan.nodes.values():
        cached = node.deterministic and node.cache_key in hits
        rows.append({"node": node.id, "type": node.type, "cache_key": node.cache_key,
                     "action": "cached" if cached else "run",
                     "inputs": {**{port: f"{up}.{up_port}" for port, (up, up_port) in node.inputs.items()},
                                **{port: [f"{up}.{up_port}" for up, up_port in branches]
                                   for port, branches in node.gathered.items()}}})
    return {"graph": plan.name, "graph_hash": plan.graph_hash, "nodes": rows}
