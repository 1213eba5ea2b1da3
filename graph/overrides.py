"""`--set` overrides: `node.param=value`, `node.param.sub=value`, `matrix.var=a,b`.

Values are read as YAML scalars or flow collections (`7` is an int, `[1, 2]` a list), so the
command line can say anything a document can.
"""
from __future__ import annotations

import copy

import yaml

from reelgraph.graph.document import StrictLoader
from reelgraph.graph.issues import GraphInvalid, ValidationIssue


def _parse_value(text: str):
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except (yaml.YAMLError, RecursionError):
        return text


def apply_overrides(raw: dict, assignments: list[str]) -> dict:
    document = copy.deepcopy(raw)
    issues = []
    for assignment in assignments:
        path, sep, text = assignment.partition("=")
        parts = path.strip().split(".")
        if not sep or len(parts) < 2 or not all(parts):
            issues.append(ValidationIssue(
                "invalid_override", f"--set {assignment!r} must look like node.param=value or matrix.var=a,b",
                field="--set"))
            continue
        if parts[0] == "matrix":
            values = [_parse_value(v.strip()) for v in text.split(",") if v.strip()]
            if not isinstance(document.get("matrix") or {}, dict):
                issues.append(ValidationIssue("invalid_override", f"--set {assignment!r}: the document's "
                                              "'matrix' is not a mapping", field="--set"))
                continue
            declared = document.get("matrix") or {}
            if len(parts) != 2 or parts[1] not in declared:  # a misspelt variable would be ignored
                known = ", ".join(map(str, declared)) or "none"
                issues.append(ValidationIssue(
                    "unknown_matrix_variable", f"--set {assignment!r} names matrix variable "
                    f"'{'.'.join(parts[1:])}', which the document does not declare (it declares: {known})",
                    field="--set"))
                continue
            document["matrix"] = declared
            document["matrix"][parts[1]] = values
            continue
        nodes = document.get("nodes")
        node = nodes.get(parts[0]) if isinstance(nodes, dict) else None
        if not isinstance(node, dict):
            issues.append(ValidationIssue(
                "unknown_node", f"--set {assignment!r} names node '{parts[0]}', which is not in the graph",
                node=parts[0], field="--set"))
            continue
        if node.get("params") is None:
            node["params"] = {}
        target = node["params"]
        if not isinstance(target, dict):
            issues.append(ValidationIssue("invalid_override", f"--set {assignment!r}: the node's params are "
                                          "not a mapping", node=parts[0], field="params"))
            continue
        for part in parts[1:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                issues.append(ValidationIssue(
                    "invalid_override", f"--set {assignment!r}: '{part}' is not a mapping", node=parts[0],
                    field=".".join(parts[1:])))
                break
        else:
            target[parts[-1]] = _parse_value(text)
    if issues:
        raise GraphInvalid(issues)
    return document
