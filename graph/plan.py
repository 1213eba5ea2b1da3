"""Planning: matrix expansion, cache keys and the execution order, before anything runs.

A node that uses a matrix variable, directly or through any upstream node, is expanded once per
value (`video[locale=es]`); every other node stays single and shared. Expansion is eager, so
every engine knows the whole job count up front.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelgraph.graph import matrix as mx
from reelgraph.graph.cache_keys import cache_key, canonical_json, file_digest
from reelgraph.graph.issues import GraphInvalid, ValidationIssue
from reelgraph.graph.validate import resolve_document
from reelgraph.nodes import NodeError, NodeRegistry, Resources, Workspace


@dataclass(frozen=True)
class PlannedNode:
    id: str                                   # `video[locale=es]`, or the plain id when shared
    base_id: str                              # the id in the document
    type: str
    version: int
    params: dict[str, Any]                    # substituted, validated, defaults filled
    inputs: dict[str, tuple[str, str]]        # port -> (upstream planned id, upstream port)
    bindings: dict[str, Any]                  # the matrix values this instance is for
    cache_key: str
    deterministic: bool
    resources: Resources
    # A gathering input: port -> ((upstream planned id, upstream port), ...), one per branch, in matrix order
    gathered: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    @property
    def upstream_ids(self) -> set[str]:
        return {upstream for upstream, _ in self.input_edges().values()}

    def input_edges(self) -> dict[str, tuple[str, str]]:
        """Every edge into this node, one (upstream id, port) each: a plain input under its port's
        name, a gathered input's branches as `port#0`, `port#1`... (how node runs record them)."""
        edges = dict(self.inputs)
        for port, branches in self.gathered.items():
            edges.update((gathered_edge(port, index), branch) for index, branch in enumerate(branches))
        return edges


def gathered_edge(port: str, index: int) -> str:
    return f"{port}#{index}"


def edge_port(edge: str) -> tuple[str, int | None]:
    """The input port an edge feeds, and its branch index when the input gathers (`shots#2`)."""
    port, gathers, index = edge.partition("#")  # port names never hold '#'
    return (port, int(index)) if gathers else (port, None)


@dataclass
class Plan:
    name: str
    graph_hash: str
    document: dict                            # the document as run (after --set overrides)
    workspace: Path
    nodes: dict[str, PlannedNode] = field(default_factory=dict)  # in topological order

    def downstream(self) -> dict[str, set[str]]:
        children: dict[str, set[str]] = {node_id: set() for node_id in self.nodes}
        for node in self.nodes.values():
            for upstream in node.upstream_ids:
                children[upstream].add(node.id)
        return children

    def restricted_to(self, targets: Iterable[str]) -> Plan:
        """Only what the targets need: the targets and all their ancestors."""
        wanted: set[str] = set()
        issues = []
        for target in targets:
            matches = [n for n in self.nodes.values() if target in (n.id, n.base_id)]
            if not matches:
                issues.append(ValidationIssue(
                    "unknown_node", f"--target '{target}' is not a node of this graph", node=target,
                    field="--target"))
            stack = [n.id for n in matches]
            while stack:
                node_id = stack.pop()
                if node_id not in wanted:
                    wanted.add(node_id)
                    stack.extend(self.nodes[node_id].upstream_ids)
        if issues:
            raise GraphInvalid(issues)
        kept = {node_id: node for node_id, node in self.nodes.items() if node_id in wanted}
        return Plan(self.name, self.graph_hash, self.document, self.workspace, kept)


def graph_hash(document: dict) -> str:
    """The document's identity. The editor's `ui:` block (node positions) is not part of it:
    moving a node in the studio changes neither the graph nor any cache key."""
    meaningful = {key: value for key, value in document.items() if key != "ui"}
    return hashlib.sha256(canonical_json(meaningful)).hexdigest()


def _file_digests(node_id: str, node_type: Any, params: Any, workspace: Workspace) -> dict[str, str]:
    try:  # a node type may read its files to choose them (a translator parses its catalogs)
        return {label: file_digest(path) for label, path in node_type.key_files(params, workspace).items()}
    except NodeError as error:  # its generic code says nothing here: the file is what is wrong
        code = "invalid_file" if error.code == "node_failed" else error.code
        raise GraphInvalid([ValidationIssue(code, str(error), node=node_id, field=error.param)]) from None
    except OSError as error:
        raise GraphInvalid([ValidationIssue("invalid_path", f"a file of this node cannot be read: {error}",
                                            node=node_id)]) from None


def build_plan(raw: dict, registry: NodeRegistry, workspace: Workspace, *, run_id: str = "") -> Plan:
    """Validate, expand and key a document. Raises GraphInvalid with every issue found.

    `run_id` salts the keys of non-deterministic nodes; without one (a dry plan) they key on "".
    Validation resolves the document once (references, order, variables, params per binding);
    planning only expands that.
    """
    resolved, issues = resolve_document(raw, registry, workspace)
    if issues:
        raise GraphInvalid(issues)
    document = resolved.document
    plan = Plan(document.name, graph_hash(raw), raw, Path(workspace.root))
    for base_id in resolved.order:
        spec = document.nodes[base_id]
        node_type = registry.get(spec.type)
        references = resolved.references[base_id]
        for bindings in resolved.bindings_of(base_id):
            params = resolved.params_for(base_id, bindings)
            inputs, gathered = {}, {}
            for port, reference in references.items():
                if port in resolved.gathered[base_id]:
                    gathered[port] = tuple((up, reference.output)
                                           for up in resolved.gathered_instances(base_id, port, bindings))
                elif node_type.inputs[port].gather:  # one value into a gathering input: a list of one
                    gathered[port] = ((resolved.upstream_instance(reference, bindings), reference.output),)
                else:
                    inputs[port] = (resolved.upstream_instance(reference, bindings), reference.output)
            params_json = params.model_dump(mode="json")
            key = cache_key(
                node_type=spec.type, version=node_type.version, params=params_json,
                inputs={port: (plan.nodes[up].cache_key, up_port) for port, (up, up_port) in inputs.items()},
                gathered={port: [(plan.nodes[up].cache_key, up_port) for up, up_port in branches]
                          for port, branches in gathered.items()},
                files=_file_digests(base_id, node_type, params, workspace),
                salt="" if node_type.deterministic else f"run:{run_id}")
            node_id = mx.instance_id(base_id, bindings)
            plan.nodes[node_id] = PlannedNode(
                id=node_id, base_id=base_id, type=spec.type, version=node_type.version, params=params_json,
                inputs=inputs, bindings=bindings, cache_key=key, deterministic=node_type.deterministic,
                resources=node_type.resources_for(params), gathered=gathered)
    return plan
