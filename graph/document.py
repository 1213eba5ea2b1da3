"""The graph document: its pydantic model, and loading it from YAML or JSON.

    reelgraph: 1
    name: explainer
    matrix: {locale: [en, es]}
    nodes:
      kf: {type: keyframe.generate, params: {seed: 7}}
      video: {type: video.encode, inputs: {frames: kf.images}}

Loading never raises a bare parser error: anything wrong comes back as ValidationIssues.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from reelgraph.graph.issues import GraphInvalid, ValidationIssue

FORMAT_VERSION = 1
_NAME = "[A-Za-z_][A-Za-z0-9_]*"
_GATHERED = rf"\s*{_NAME}\s*=\s*\*\s*"
# An input's reference as editors check it (ECMA-262 syntax for JSON Schema): `<node>.<port>`, or a
# gather `<node>[var=*].<port>` / `<node>[*].<port>`. graph.references parses the same forms.
REFERENCE_PATTERN = rf"^[A-Za-z_][A-Za-z0-9_-]*(\[(\s*\*\s*|{_GATHERED}(,{_GATHERED})*)\])?\.{_NAME}$"
NODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$")
Scalar = str | int | float | bool


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="The node type, e.g. keyframe.generate")
    params: dict[str, Any] = Field(default_factory=dict, description="The node type's params")
    inputs: dict[str, str] = Field(
        default_factory=dict,
        description="Input port -> '<node>.<port>' of an upstream node; an input that gathers takes "
                    "'<node>[var=*].<port>' (every expansion over var, in matrix order) or '<node>[*].<port>'",
        # For editors only (validation reports malformed references with their own code and hint).
        json_schema_extra={"additionalProperties": {"type": "string", "pattern": REFERENCE_PATTERN}})


class GraphDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reelgraph: int = Field(FORMAT_VERSION, description="Format version of this document")
    name: str = Field(description="The graph's name")
    description: str = Field("", description="Free text")
    matrix: dict[str, list[Scalar] | list[dict[str, Any]]] = Field(
        default_factory=dict,
        description="Variables to fan out over; a node using ${var} runs once per value. Values are plain "
                    "(strings, numbers) or records with an 'id' whose fields params read as ${var.field}")
    nodes: dict[str, NodeSpec] = Field(description="Node id -> node")
    ui: dict[str, Any] = Field(
        default_factory=dict,
        description="Editor state (node positions, viewport); cache keys, the graph hash and planning ignore it")


# A document is a JSON tree: these bounds keep hostile ones (alias bombs, self-referencing aliases,
# absurd nesting) from exhausting memory or the stack before validation can say what is wrong.
MAX_DEPTH = 100
MAX_VALUES = 250_000         # values counted with YAML aliases expanded, as JSON would write them
MAX_INT_BITS = 13_000        # about 3,900 digits: Python refuses to print longer ints as JSON
_UNWRITABLE_CHARS = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL refuses it), lone surrogates


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, line: int | None) -> None:
        self.key, self.line = key, line


# libyaml's parser where PyYAML has it: 20x faster on a 200-node document (0.03 s instead of
# 0.6 s, which the studio's editor waits for on open); the constructors and resolvers below are
# Python either way, so both loaders build the same values.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_SafeLoader):
    """A safe YAML loader that builds only JSON values: it refuses duplicate mapping keys (instead
    of keeping the last one), keys that are not text, and tags for other types (binary, set,
    timestamp...); dates stay strings."""


StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"mapping key {key_node.value!r} (line {key_node.start_mark.line + 1}) must be text; "
                            "quote it", key_node.start_mark)
        if key in mapping:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _refuse_tag(loader: StrictLoader, node: yaml.Node) -> None:
    raise yaml.constructor.ConstructorError(
        None, None, f"the tag {node.tag} is not allowed in a graph document; use strings, numbers, lists "
                    "and mappings", node.start_mark)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
for _tag in ("binary", "timestamp", "omap", "pairs", "set"):
    StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)


def _location(path: tuple | None) -> list[str]:
    parts: list[str] = []
    while path is not None:
        path, key = path
        parts.append(str(key))
    return parts[::-1]


def json_tree_issues(value: Any) -> list[ValidationIssue]:
    """What keeps `value` from being a bounded JSON tree: non-JSON types, NaN or infinite numbers,
    text that cannot be stored, too deep or too many values. Iterative, so any input is safe."""
    issues: list[ValidationIssue] = []
    seen_values = 0
    stack: list[tuple[Any, int, tuple | None]] = [(value, 0, None)]  # value, depth, (parent path, key)

    def problem(code: str, message: str, path: tuple | None) -> ValidationIssue:
        parts = _location(path)
        node = parts[1] if len(parts) > 1 and parts[0] == "nodes" else None
        return ValidationIssue(code, message, node=node, field=".".join(parts) or None)

    while stack and len(issues) < 20:
        item, depth, path = stack.pop()
        seen_values += 1
        if seen_values > MAX_VALUES:
            return issues + [problem("document_too_large", f"the document holds more than {MAX_VALUES:,} "
                                     "values (YAML aliases count each time they are used)", None)]
        if depth > MAX_DEPTH:
            return issues + [problem("document_too_large", f"the document nests deeper than {MAX_DEPTH} "
                                     "levels (or a YAML alias refers to itself)", path)]
        if isinstance(item, str):
            if _UNWRITABLE_CHARS.search(item):
                issues.append(problem("invalid_value", "text holds a NUL character or a lone surrogate "
                                      "(\\u0000, \\ud800...); remove it", path))
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if item.bit_length() > MAX_INT_BITS:
                issues.append(problem("invalid_value", "a number with thousands of digits; use a smaller one",
                                      path))
        elif isinstance(item, float):
            if not math.isfinite(item):
                issues.append(problem("invalid_value", f"{item} is not a finite number; NaN and infinities are "
                                      "not allowed", path))
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str) or _UNWRITABLE_CHARS.search(key):
                    issues.append(problem("invalid_value", f"mapping key {key!r} must be text without NUL "
                                          "or lone surrogates", path))
                    continue
                stack.append((child, depth + 1, (path, key)))
        elif isinstance(item, list | tuple):
            stack.extend((child, depth + 1, (path, index)) for index, child in enumerate(item))
        else:
            issues.append(problem("invalid_value", f"a {type(item).__name__} is not a JSON value; use strings, "
                                  "numbers, booleans, null, lists and mappings", path))
    return issues


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict:
    mapping: dict = {}
    for key, value in pairs:
        if key in mapping:
            raise _DuplicateKey(key, None)
        mapping[key] = value
    return mapping


def parse_text(text: str, *, filename: str = "<document>") -> dict:
    """Parse YAML or JSON text into a mapping; raise GraphInvalid for anything else."""
    try:
        if filename.endswith(".json"):
            data = json.loads(text, object_pairs_hook=_json_pairs)
        else:  # YAML is a superset of JSON, so other names parse as YAML
            data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except _DuplicateKey as duplicate:
        where = f" (line {duplicate.line})" if duplicate.line else ""
        raise GraphInvalid([ValidationIssue(
            "duplicate_id", f"'{duplicate.key}' appears twice in one mapping{where}; ids must be unique",
            node=duplicate.key)]) from None
    except RecursionError:
        raise GraphInvalid([ValidationIssue(
            "parse_error", f"{filename} nests too deeply to read (at most {MAX_DEPTH} levels)")]) from None
    except (yaml.YAMLError, json.JSONDecodeError, ValueError) as error:
        first_line = next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)
        raise GraphInvalid([ValidationIssue(
            "parse_error", f"{filename} is not valid YAML or JSON: {first_line}")]) from None
    if not isinstance(data, dict):
        raise GraphInvalid([ValidationIssue(
            "parse_error", f"{filename} must hold a mapping with 'reelgraph', 'name' and 'nodes', "
                           f"not a {type(data).__name__}")])
    issues = json_tree_issues(data)
    if issues:
        raise GraphInvalid(issues)
    return data


def read_document_file(path: str | Path) -> dict:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GraphInvalid([ValidationIssue("parse_error", f"no graph document at {path}")]) from None
    except (UnicodeDecodeError, IsADirectoryError) as error:
        raise GraphInvalid([ValidationIssue("parse_error", f"{path} is not a text document: {error}")]) from None
    return parse_text(text, filename=path.name)
