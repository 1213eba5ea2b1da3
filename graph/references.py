"""A document resolved once: every input's reference parsed, the topological order, the matrix
variables each node fans out over, and its params validated once per binding.

Validation builds a ResolvedDocument (reporting what is wrong on the way) and planning reads it,
so neither walks the raw document a second time. Pure data and graph arithmetic: no registry here.
"""
from __future__ import annotations

import heapq
import json
import re
from dataclasses import dataclass, field
from typing import Any

from reelgraph.graph import matrix as mx
from reelgraph.graph.document import GraphDocument

REFERENCE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)$")

Bindings = tuple[tuple[str, Any], ...]  # a binding of matrix variables, hashable, in matrix order


@dataclass(frozen=True)
class Reference:
    """An input's `<node>.<port>`, parsed."""

    node: str     # the upstream node's id in the document
    output: str   # the upstream node's output port

    def __str__(self) -> str:
        return f"{self.node}.{self.output}"


def parse_reference(text: Any) -> Reference | None:
    """The reference `text` names, or None when it is not `<node>.<port>`."""
    match = REFERENCE.match(text) if isinstance(text, str) else None
    return Reference(*match.groups()) if match else None


@dataclass
class ResolvedDocument:
    document: GraphDocument
    # node -> input port -> reference, for every well-formed reference to a node that exists
    references: dict[str, dict[str, Reference]] = field(default_factory=dict)
    # every node, upstream before downstream, ties broken by id; empty while the graph has a cycle
    order: list[str] = field(default_factory=list)
    own_variables: dict[str, set[str]] = field(default_factory=dict)   # used in the node's own params
    variables: dict[str, set[str]] = field(default_factory=dict)       # own and inherited from upstream
    # (node, binding of its own variables) -> the validated params model
    params: dict[tuple[str, Bindings], Any] = field(default_factory=dict)

    def upstream_of(self, node_id: str) -> set[str]:
        return {reference.node for reference in self.references.get(node_id, {}).values()}

    def bindings_of(self, node_id: str) -> list[dict[str, Any]]:
        """Every binding of the variables a node fans out over, in the matrix's order."""
        return mx.combinations(self.document.matrix, self.variables[node_id])

    def params_for(self, node_id: str, bindings: dict[str, Any]) -> Any:
        """The params validated for this binding (only the node's own variables choose them)."""
        return self.params[(node_id, own_binding(bindings, self.own_variables[node_id]))]


def own_binding(bindings: dict[str, Any], variables: set[str]) -> Bindings:
    """A hashable key for the part of `bindings` that `variables` use. Values go in as canonical
    JSON: records (dicts) are unhashable, and 1, 1.0 and True are distinct matrix values."""
    return tuple((name, json.dumps(value, sort_keys=True)) for name, value in bindings.items() if name in variables)


def topological_order(nodes: list[str], references: dict[str, dict[str, Reference]]) -> tuple[list[str], set[str]]:
    """Kahn's algorithm with a heap: upstream first, ties by id (networkx's lexicographical order).

    Returns the order and the nodes it could not place: those on a cycle or downstream of one."""
    waiting = {node_id: {r.node for r in references.get(node_id, {}).values()} for node_id in nodes}
    downstream: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for node_id, upstream in waiting.items():
        for up in upstream:
            downstream[up].append(node_id)
    ready = [node_id for node_id, upstream in waiting.items() if not upstream]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node_id = heapq.heappop(ready)
        order.append(node_id)
        for child in downstream[node_id]:
            waiting[child].discard(node_id)
            if not waiting[child]:
                heapq.heappush(ready, child)
    return order, set(nodes) - set(order)


def propagate_variables(resolved: ResolvedDocument) -> int:
    """Fill `variables` in topological order (a node inherits its upstreams' variables); returns
    the number of node instances the plan will hold."""
    matrix = resolved.document.matrix
    total = 0
    for node_id in resolved.order:
        resolved.variables[node_id] = resolved.own_variables.get(node_id, set()).union(
            *(resolved.variables[up] for up in resolved.upstream_of(node_id)))
        total += mx.combination_count(matrix, resolved.variables[node_id])
    return total
