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
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from graph.issues import GraphInvalid, ValidationIssue

FORMAT_VERSION = 1
NODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$")
Scalar = str | int | float | bool


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="The node type, e.g. keyframe.generate")
    params: dict[str, Any] = Field(default_factory=dict, description="The node type's params")
    inputs: dict[str, str] = Field(default_factory=dict,
                                   description="Input port -> '<node>.<port>' of an upstream node")


class GraphDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reelgraph: int = Field(FORMAT_VERSION, description="Format version of this document")
    name: str = Field(description="The graph's name")
    description: str = Field("", description="Free text")
    matrix: dict[str, list[Scalar]] = Field(
        default_factory=dict,
        description="Variables to fan out over; a node using ${var} runs once per value")
    nodes: dict[str, NodeSpec] = Field(description="Node id -> node")


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int | None) -> None:
        self.key, self.line = key, line


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate mapping keys instead of keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


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
            data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except _DuplicateKey as duplicate:
        where = f" (line {duplicate.line})" if duplicate.line else ""
        raise GraphInvalid([ValidationIssue(
            "duplicate_id", f"'{duplicate.key}' appears twice in one mapping{where}; ids must be unique",
            node=duplicate.key)]) from None
    except (yaml.YAMLError, json.JSONDecodeError, RecursionError, ValueError) as error:
        raise GraphInvalid([ValidationIssue(
            "parse_error", f"{filename} is not valid YAML or JSON: {str(error).splitlines()[0]}")]) from None
    if not isinstance(data, dict):
        raise GraphInvalid([ValidationIssue(
            "parse_error", f"{filename} must hold a mapping with 'reelgraph', 'name' and 'nodes', "
                           f"not a {type(data).__name__}")])
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
