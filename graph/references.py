"""A document resolved once: every input's reference parsed, the topological order, the matrix
variables each node fans out over, what each gathering input gathers, and its params validated
once per binding.

References: `clip.frames` reads one upstream output; `clip[scene=*].frames` gathers it from every
expansion of `clip` over `scene` (a list, in the order of the matrix's values), and `clip[*].frames`
over every variable `clip` fans out over. A node inherits every variable of its upstream nodes
except those it gathers over: gathering over `scene` from a node that also fans out over
`locale` gives one gather per locale.

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
from reelgraph.graph.issues import ValidationIssue

REFERENCE = re.compile(r"^(?P<node>[A-Za-z_][A-Za-z0-9_-]*)(?:\[(?P<gather>[^\[\]]*)\])?"
                       r"\.(?P<output>[A-Za-z_][A-Za-z0-9_]*)$")
GATHERED_VARIABLE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*\*\s*$")
REFERENCE_FORMS = "'<node>.<port>', or to gather a fan-out '<node>[var=*].<port>' or '<node>[*].<port>'"

Bindings = tuple[tuple[str, Any], ...]  # a binding of matrix variables, hashable, in matrix order


@dataclass(frozen=True)
class Reference:
    """An input's reference, parsed."""

    node: str     # the upstream node's id in the document
    output: str   # the upstream node's output port
    # None: one value. Otherwise a gather over these variables; () gathers every variable of the node.
    gather: tuple[str, ...] | None = None

    def __str__(self) -> str:
        if self.gather is None:
            return f"{self.node}.{self.output}"
        selector = ",".join(f"{name}=*" for name in self.gather) or "*"
        return f"{self.node}[{selector}].{self.output}"


def parse_reference(text: Any) -> Reference | None:
    """The reference `text` names, or None when it is none of REFERENCE_FORMS."""
    match = REFERENCE.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    selector = match["gather"]
    if selector is None:
        return Reference(match["node"], match["output"])
    if selector.strip() == "*":
        return Reference(match["node"], match["output"], ())
    names = [GATHERED_VARIABLE.match(part) for part in selector.split(",")]
    if not all(names) or len({n.group(1) for n in names}) != len(names):
        return None  # `clip[scene=2]` picks a branch: that is a node's job (images.pick), not a reference's
    return Reference(match["node"], match["output"], tuple(n.group(1) for n in names))


@dataclass
class ResolvedDocument:
    document: GraphDocument
    # node -> input port -> reference, for every well-formed reference to a node that exists
    references: dict[str, dict[str, Reference]] = field(default_factory=dict)
    # every node, upstream before downstream, ties broken by id; empty while the graph has a cycle
    order: list[str] = field(default_factory=list)
    own_variables: dict[str, set[str]] = field(default_factory=dict)   # used in the node's own params
    variables: dict[str, set[str]] = field(default_factory=dict)       # own and inherited, less gathered
    # node -> gathering input port -> the variables it gathers over, in the matrix's order
    gathered: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # (node, binding of its own variables) -> the validated params model
    params: dict[tuple[str, Bindings], Any] = field(default_factory=dict)

    def upstream_of(self, node_id: str) -> set[str]:
        return {reference.node for reference in self.references.get(node_id, {}).values()}

    def upstream_instance(self, reference: Reference, bindings: dict[str, Any]) -> str:
        """The expanded id of the upstream node that an instance with `bindings` reads."""
        upstream = self.variables[reference.node]
        return mx.instance_id(reference.node, {k: v for k, v in bindings.items() if k in upstream})

    def gathered_instances(self, node_id: str, port: str, bindings: dict[str, Any]) -> list[str]:
        """The expanded ids a gathering input of an instance with `bindings` reads, in matrix order."""
        reference = self.references[node_id][port]
        matrix = self.document.matrix
        instances = []
        for branch in mx.combinations(matrix, set(self.gathered[node_id][port])):
            merged = {**bindings, **branch}
            instances.append(self.upstream_instance(reference, {k: merged[k] for k in matrix if k in merged}))
        return instances

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


def propagate_variables(resolved: ResolvedDocument) -> tuple[int, list[ValidationIssue]]:
    """Fill `variables` and `gathered` in topological order: a node inherits its upstreams'
    variables except those an input gathers over. Returns the number of node instances the plan
    will hold, and what is wrong with the gathers (a variable the upstream does not fan out over)."""
    matrix = resolved.document.matrix
    total, issues = 0, []
    for node_id in resolved.order:
        variables = set(resolved.own_variables.get(node_id, set()))
        gathered: dict[str, tuple[str, ...]] = {}
        for port, reference in resolved.references.get(node_id, {}).items():
            upstream = resolved.variables[reference.node]
            if reference.gather is None:
                variables |= upstream
                continue
            issues.extend(_gather_issues(node_id, port, reference, upstream, matrix))
            over = (upstream if reference.gather == () else set(reference.gather)) & upstream
            gathered[port] = tuple(name for name in matrix if name in over)
            variables |= upstream - over
        resolved.variables[node_id], resolved.gathered[node_id] = variables, gathered
        total += mx.combination_count(matrix, variables)
    return total, issues


def _gather_issues(node_id: str, port: str, reference: Reference, upstream: set[str],
                   matrix: dict[str, list]) -> list[ValidationIssue]:
    fans_out = f"it fans out over {', '.join(sorted(upstream))}" if upstream else "it fans out over no matrix variable"
    if reference.gather == () and not upstream:
        return [ValidationIssue(
            "invalid_gather", f"input '{port}' gathers every expansion of '{reference.node}', but {fans_out}; "
                              f"reference it as '{reference.node}.{reference.output}'", node=node_id, field=port)]
    issues = []
    for name in reference.gather or ():
        if name in upstream:
            continue
        missing = f"; the matrix has no '{name}'" if name not in matrix else ""
        issues.append(ValidationIssue(
            "invalid_gather", f"input '{port}' gathers '{reference.node}' over '{name}', but '{reference.node}' does "
                              f"not fan out over '{name}' ({fans_out}){missing}", node=node_id, field=port))
    return issues
