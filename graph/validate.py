"""Validation of a graph document: every problem at once, each a ValidationIssue.

Structure first (the document's shape, ids, versions), then meaning against the node registry
(types, ports, kinds, params, matrix variables, cycles, files). Checks go on after an error
wherever they still make sense, so a user fixes a document in one pass.
"""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from reelgraph.graph import matrix as mx
from reelgraph.graph.document import FORMAT_VERSION, NODE_ID, GraphDocument, NodeSpec, json_tree_issues
from reelgraph.graph.issues import ValidationIssue
from reelgraph.graph.references import (REFERENCE, REFERENCE_FORMS, Reference, ResolvedDocument, own_binding,
                                        parse_reference, propagate_variables, topological_order)
from reelgraph.nodes import NodeError, NodeRegistry, Workspace
from reelgraph.nodes.ports import kinds_compatible

__all__ = ["REFERENCE", "ResolvedDocument", "check_structure", "resolve_document", "validate_document"]
TOP_LEVEL_KEYS = set(GraphDocument.model_fields)


def _field_of(location: tuple) -> str:
    return ".".join(str(part) for part in location) or None


def _pydantic_issues(error: ValidationError, code: str, node: str | None, prefix: str = "",
                     context: str = "") -> list[ValidationIssue]:
    issues = []
    for detail in error.errors(include_url=False):
        field = _field_of((prefix,) + tuple(detail["loc"]) if prefix else tuple(detail["loc"]))
        issues.append(ValidationIssue(code, f"{detail['msg']}{context}", node=node, field=field))
    return issues


def check_structure(raw: dict) -> tuple[GraphDocument | None, list[ValidationIssue]]:
    """The document's shape. Returns the parsed document (well-formed nodes only) and the issues."""
    if not isinstance(raw, dict):
        raw = {"": raw}  # reported below as a document without name or nodes
    issues = json_tree_issues(raw)
    if issues:  # not a JSON tree: nothing further can be read safely
        return GraphDocument.model_construct(reelgraph=FORMAT_VERSION, name="unnamed", description="",
                                             matrix={}, nodes={}), issues
    version = raw.get("reelgraph")
    if version != FORMAT_VERSION:
        issues.append(ValidationIssue(
            "unsupported_version",
            f"format version {version!r} is not supported; this reelgraph reads 'reelgraph: {FORMAT_VERSION}'",
            field="reelgraph"))
    for key in sorted(set(map(str, raw)) - TOP_LEVEL_KEYS):
        issues.append(ValidationIssue("invalid_document", f"unknown top-level key '{key}'", field=key))
    if not isinstance(raw.get("ui", {}), dict):
        issues.append(ValidationIssue("invalid_document", "'ui' must be a mapping (editor state such as node "
                                      "positions)", field="ui"))
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        issues.append(ValidationIssue("invalid_document", "the graph needs a non-empty 'name'", field="name"))

    matrix = raw.get("matrix") or {}
    if not isinstance(matrix, dict):
        issues.append(ValidationIssue("invalid_matrix", "'matrix' must map variable names to lists of values",
                                      field="matrix"))
        matrix = {}
    clean_matrix: dict[str, list] = {}
    for var, values in matrix.items():
        if not isinstance(var, str) or not mx.NAME.match(var):
            issues.append(ValidationIssue("invalid_matrix", f"'{var}' is not a valid variable name",
                                          field=f"matrix.{var}"))
        elif (problem := mx.values_problem(var, values)) is not None:
            issues.append(ValidationIssue("invalid_matrix", problem, field=f"matrix.{var}"))
        else:
            clean_matrix[var] = values

    nodes = raw.get("nodes")
    if not isinstance(nodes, dict) or not nodes:
        issues.append(ValidationIssue("invalid_document", "the graph needs a 'nodes' mapping of node id -> node",
                                      field="nodes"))
        nodes = {}
    specs: dict[str, NodeSpec] = {}
    for node_id, spec in nodes.items():
        if not isinstance(node_id, str) or not NODE_ID.match(node_id):
            issues.append(ValidationIssue(
                "invalid_id", f"node id {node_id!r} must start with a letter or _ and hold only letters, "
                              "digits, _ and - (at most 128)", node=str(node_id)))
            continue
        try:
            specs[node_id] = NodeSpec.model_validate(spec)
        except ValidationError as error:
            issues.extend(_pydantic_issues(error, "invalid_document", node_id))
    if not isinstance(name, str):
        name = "unnamed"
    document = GraphDocument.model_construct(
        reelgraph=FORMAT_VERSION, name=name, description=str(raw.get("description", "")),
        matrix=clean_matrix, nodes=specs)
    return document, issues


def _check_references(document: GraphDocument, registry: NodeRegistry,
                      references: dict[str, dict[str, Reference]]) -> list[ValidationIssue]:
    """Parse every input reference once into `references` (node -> port -> Reference), and report
    unknown types, ports, nodes, kinds, gathers into single-value inputs and missing inputs."""
    issues = []
    for node_id, spec in document.nodes.items():
        parsed = references[node_id] = {}
        node_type = registry.get(spec.type)
        for port, text in spec.inputs.items():
            reference = parse_reference(text)
            if reference is not None and reference.node in document.nodes:
                parsed[port] = reference  # an edge of the graph even when the port is wrong
            if node_type is None:
                continue
            if port not in node_type.inputs:
                issues.append(ValidationIssue(
                    "unknown_input", f"{spec.type} has no input '{port}'; its inputs are "
                                     f"{sorted(node_type.inputs) or 'none'}", node=node_id, field=port))
                continue
            if reference is None:
                issues.append(ValidationIssue(
                    "malformed_reference", f"input '{port}' must reference {REFERENCE_FORMS}, got {text!r}"
                                           f"{_selector_hint(text)}", node=node_id, field=port))
                continue
            declared = node_type.inputs[port]
            if reference.gather is not None and not declared.gather:
                issues.append(ValidationIssue(
                    "not_a_gather_input", f"input '{port}' takes one {declared.kind}, but {text!r} gathers a list "
                                          f"over the matrix; reference one branch's value as "
                                          f"'{reference.node}.{reference.output}', or connect the gather to an "
                                          "input that accepts a list", node=node_id, field=port))
                continue
            upstream = document.nodes.get(reference.node)
            if upstream is None:
                issues.append(ValidationIssue(
                    "unknown_node", f"input '{port}' references node '{reference.node}', which is not in the "
                                    "graph", node=node_id, field=port))
                continue
            upstream_type = registry.get(upstream.type)
            if upstream_type is None:
                continue  # reported on the upstream node already
            output = upstream_type.outputs.get(reference.output)
            if output is None:
                issues.append(ValidationIssue(
                    "unknown_port", f"node '{reference.node}' ({upstream.type}) has no output '{reference.output}'; "
                                    f"its outputs are {sorted(upstream_type.outputs) or 'none'}",
                    node=node_id, field=port))
            elif not kinds_compatible(output.kind, node_type.inputs[port].kind):
                issues.append(ValidationIssue(
                    "kind_mismatch", f"input '{port}' takes {node_type.inputs[port].kind}, but "
                                     f"{text} gives {output.kind}", node=node_id, field=port))
        if node_type is None:
            issues.append(ValidationIssue(
                "unknown_node_type", f"no node type '{spec.type}'; `reelgraph nodes list` shows the "
                                     "installed ones", node=node_id, field="type"))
            continue
        for port, declared in node_type.inputs.items():
            if not declared.optional and port not in spec.inputs:
                issues.append(ValidationIssue(
                    "missing_input", f"{spec.type} needs input '{port}' ({declared.kind}); connect it to "
                                     "an upstream '<node>.<port>'", node=node_id, field=port))
    return issues


def _selector_hint(text: object) -> str:
    """For `clip[scene=2].frames`: say that a reference gathers (`clip[scene=*].frames`), never picks."""
    if not isinstance(text, str) or "[" not in text or "]" not in text:
        return ""
    head, _, rest = text.partition("[")
    selector, _, tail = rest.partition("]")
    names = [part.split("=")[0].strip() for part in selector.split(",") if part.split("=")[0].strip()]
    if not names:
        return ""
    gather = ",".join(f"{name}=*" for name in names)
    return (f"; a reference gathers every branch ('{head}[{gather}]{tail}'); to use one branch, gather and "
            "pick it (images.pick, frames.pick)")


def _check_order(resolved: ResolvedDocument) -> list[ValidationIssue]:
    """Order the nodes; when some cannot be ordered, name each cycle."""
    order, unplaced = topological_order(list(resolved.document.nodes), resolved.references)
    if not unplaced:
        resolved.order = order
        return []
    import networkx as nx  # only to describe cycles: valid documents never pay for its import

    edges = nx.DiGraph()
    edges.add_nodes_from(unplaced)
    edges.add_edges_from((up, node_id) for node_id in unplaced for up in resolved.upstream_of(node_id)
                         if up in unplaced)
    issues = []
    for component in sorted(nx.strongly_connected_components(edges), key=min):
        first = min(component)
        if len(component) == 1 and not edges.has_edge(first, first):
            continue  # downstream of a cycle, not on one
        cycle = [u for u, _ in nx.find_cycle(edges.subgraph(component), source=first)]
        path = " -> ".join([*cycle, cycle[0]])
        issues.append(ValidationIssue(
            "cycle", f"the graph has a cycle: {path}; a graph must be acyclic", node=first,
            field=None))
    return issues


def check_params(node_id: str, spec: NodeSpec, node_type: Any, matrix: dict[str, list],
                 workspace: Workspace | None, resolved: ResolvedDocument | None = None) -> list[ValidationIssue]:
    """Params against the node's pydantic model, once per binding of the matrix variables they use.

    With `resolved`, records the variables the params use and each binding's validated model there."""
    issues: list[ValidationIssue] = []
    try:
        used = mx.variables_in(spec.params)
    except mx.TooDeep as error:
        return [ValidationIssue("invalid_param", str(error), node=node_id)]
    if resolved is not None:
        resolved.own_variables[node_id] = used
    for var in sorted(used - matrix.keys()):
        issues.append(ValidationIssue(
            "unknown_matrix_variable", f"params use ${{{var}}} but the matrix has no '{var}'; declare it under "
                                       "'matrix' or remove the reference",
            node=node_id, field=_param_using(spec.params, var)))
    if used - matrix.keys():
        return issues
    for reference in mx.missing_fields(matrix, spec.params):
        var, field = reference.split(".")
        issues.append(ValidationIssue(
            "unknown_matrix_field", f"params use ${{{reference}}} but not every value of '{var}' is a record "
                                    f"with a '{field}' field; add it to each record", node=node_id,
            field=_param_using(spec.params, var)))
    if issues:
        return issues
    if mx.combination_count(matrix, used) > mx.MAX_PLANNED_NODES:
        return [ValidationIssue(
            "matrix_too_large", f"the matrix expands this node into {mx.combination_count(matrix, used):,} "
                                f"instances, more than {mx.MAX_PLANNED_NODES:,}; split the campaign into "
                                "several documents", node=node_id)]
    seen: set[tuple] = set()
    for bindings in mx.combinations(matrix, used):
        context = f" (with {', '.join(f'{k}={mx.value_label(v)}' for k, v in bindings.items())})" if bindings else ""
        try:
            params = node_type.Params.model_validate(mx.substitute(spec.params, bindings))
        except ValidationError as error:
            for issue in _pydantic_issues(error, "invalid_param", node_id):
                if (issue.field, issue.message) not in seen:
                    seen.add((issue.field, issue.message))
                    issues.append(ValidationIssue(issue.code, issue.message + context, node_id, issue.field))
            continue
        if resolved is not None:
            resolved.params[(node_id, own_binding(bindings, used))] = params
        if workspace is not None:
            issues.extend(_check_files(node_id, node_type, params, workspace, context))
            issues.extend(_check_environment(node_id, node_type, params, workspace, context, seen))
    return issues


def _check_environment(node_id, node_type, params, workspace: Workspace, context: str,
                       seen: set[tuple]) -> list[ValidationIssue]:
    issues = []
    for error in node_type.check_environment(params, workspace):
        field = getattr(error, "param", None) or getattr(error, "port", None)
        if (field, str(error)) not in seen:  # once, not once per matrix binding
            seen.add((field, str(error)))
            issues.append(ValidationIssue(getattr(error, "code", "environment"), str(error), node=node_id,
                                          field=field))
    return issues


def _check_files(node_id, node_type, params, workspace: Workspace, context: str) -> list[ValidationIssue]:
    issues = []
    for name in node_type.file_params():
        value = getattr(params, name)
        paths = value if isinstance(value, list) else [value]
        for index, path in enumerate(paths):
            if not path:
                continue
            field = name if not isinstance(value, list) else f"{name}.{index}"
            try:
                real = workspace.resolve(path, param=field)
                is_file, exists = real.is_file(), real.exists()
            except NodeError as error:
                issues.append(ValidationIssue(error.code, str(error) + context, node=node_id, field=field))
                continue
            except OSError as error:
                issues.append(ValidationIssue("invalid_path", f"'{path}' cannot be used as a path: "
                                              f"{error.strerror}{context}", node=node_id, field=field))
                continue
            if not exists:
                issues.append(ValidationIssue(
                    "file_not_found", f"no file at '{path}'{context}; paths are relative to the graph "
                                      "document's folder", node=node_id, field=field))
            elif not is_file:  # a folder (or a device, a FIFO) would fail or hang when hashed
                issues.append(ValidationIssue(
                    "not_a_file", f"'{path}' is not a regular file{context}", node=node_id, field=field))
    return issues


def _param_using(params: dict, var: str) -> str | None:
    for key, value in params.items():
        try:
            if var in mx.variables_in(value):
                return key
        except mx.TooDeep:
            continue
    return None


def _too_large(total: int) -> list[ValidationIssue]:
    if total <= mx.MAX_PLANNED_NODES:
        return []
    return [ValidationIssue(
        "matrix_too_large", f"the matrix expands the graph into {total:,} node instances, more than "
                            f"{mx.MAX_PLANNED_NODES:,}; split the campaign into several documents", field="matrix")]


def resolve_document(raw: dict, registry: NodeRegistry,
                     workspace: Workspace | None = None) -> tuple[ResolvedDocument, list[ValidationIssue]]:
    """Validate a document and resolve it once for planning: its references parsed, its order, the
    variables each node fans out over and its params per binding. Complete only without issues."""
    document, issues = check_structure(raw)
    resolved = ResolvedDocument(document)
    issues.extend(_check_references(document, registry, resolved.references))
    issues.extend(_check_order(resolved))
    for node_id, spec in document.nodes.items():
        node_type = registry.get(spec.type)
        if node_type is not None:
            issues.extend(check_params(node_id, spec, node_type, document.matrix, workspace, resolved))
    if resolved.order:  # acyclic: variables propagate, so gathers can be checked beside any other issue
        total, gather_issues = propagate_variables(resolved)
        issues.extend(gather_issues)
        if not issues:  # everything resolves, so the count is the plan's
            issues.extend(_too_large(total))
    return resolved, issues


def validate_document(raw: dict, registry: NodeRegistry,
                      workspace: Workspace | None = None) -> tuple[GraphDocument, list[ValidationIssue]]:
    resolved, issues = resolve_document(raw, registry, workspace)
    return resolved.document, issues
