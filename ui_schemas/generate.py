"""Generate the JSON Schemas editors and UIs use: the graph document and one per node type.

    reelgraph schemas export ui_schemas/

The checked-in files are compared against a fresh generation by a test, so they never go stale.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reelgraph.graph.document import GraphDocument
from reelgraph.nodes import Node, NodeRegistry, load_registry
from reelgraph.nodes.ports import PORT_KINDS, PortKind, kinds_compatible

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def node_schema(node_type: type[Node]) -> dict[str, Any]:
    """A node type as data: ports, params (JSON Schema), resources.

    The params' `$defs` move to the file's top level, where their `#/$defs/...` references
    point, so the params schema also resolves when referenced from the graph schema."""
    params = node_type.Params.model_json_schema()
    definitions = params.pop("$defs", None)
    schema = {
        "$schema": SCHEMA_DIALECT,
        "title": node_type.title or node_type.type,
        "type_name": node_type.type,
        "version": node_type.version,
        "category": node_type.category,
        "description": node_type.description(),
        "inputs": {port: {"kind": str(p.kind), "optional": p.optional, "description": p.description,
                          "accepts": accepted_kinds(p.kind),
                          **({"gather": True} if p.gather else {})}  # takes a list: node[var=*].port
                   for port, p in node_type.inputs.items()},
        "outputs": {port: {"kind": str(p.kind), "description": p.description}
                    for port, p in node_type.outputs.items()},
        "resources": {"gpus": node_type.resources.gpus, "gpu_memory_gb": node_type.resources.gpu_memory_gb,
                      "cpus": node_type.resources.cpus},
        "deterministic": node_type.deterministic,
        "params": params,
    }
    if definitions:
        schema["$defs"] = definitions
    return schema


def accepted_kinds(kind: PortKind) -> list[str]:
    """The output kinds an input of this kind accepts: its own and those that convert into it."""
    return [str(source) for source in PortKind if kinds_compatible(source, kind)]


def port_kinds_table() -> dict[str, Any]:
    """Every port kind as data, from its spec: what editors need to draw, connect and preview ports."""
    return {str(kind): {"python_type": spec.python_type, "mime": spec.mime, "extension": spec.extension,
                        "converts_to": [str(target) for target in spec.converts_to]}
            for kind, spec in PORT_KINDS.items()}


def graph_schema(registry: NodeRegistry) -> dict[str, Any]:
    """The document schema, with each node's params checked against its type's params schema."""
    schema = GraphDocument.model_json_schema()
    schema["$schema"] = SCHEMA_DIALECT
    schema["title"] = "reelgraph graph document"
    schema["x-reelgraph-port-kinds"] = port_kinds_table()
    spec = schema["$defs"]["NodeSpec"]
    spec["properties"]["type"]["enum"] = registry.names()
    spec["allOf"] = [{
        "if": {"properties": {"type": {"const": node_type.type}}},
        "then": {"properties": {"params": params_in_a_document(node_type)}},
    } for node_type in registry]
    return schema


# A whole-string matrix variable (`seed: ${seed}`) may stand for any param of any type: each
# expansion substitutes its value, and validation checks the substituted params.
MATRIX_VALUE = {"type": "string", "pattern": r"^\$\{[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?\}$",
                "description": "A matrix variable: each expansion takes its value"}


def params_in_a_document(node_type: type[Node]) -> dict[str, Any]:
    """A node type's params as a document may write them: each param per its own schema (in the
    node's schema file) or a matrix variable."""
    params = node_type.Params.model_json_schema()
    own = f"nodes/{node_type.type}.schema.json#/params/properties"
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: {"anyOf": [{"$ref": f"{own}/{name}"}, MATRIX_VALUE]} for name in params.get("properties", {})},
    }
    for keyword in ("required", "additionalProperties"):
        if keyword in params:
            schema[keyword] = params[keyword]
    return schema


def _dump(value: dict) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_schemas(registry: NodeRegistry | None = None) -> dict[str, str]:
    """Relative path -> file text, for every schema file."""
    registry = registry or load_registry(include_packs=False)  # the checked-in set: built-ins only
    files = {"graph.schema.json": _dump(graph_schema(registry))}
    for node_type in registry:
        files[f"nodes/{node_type.type}.schema.json"] = _dump(node_schema(node_type))
    return files


def export_schemas(directory: str | Path, registry: NodeRegistry | None = None) -> list[Path]:
    directory = Path(directory)
    (directory / "nodes").mkdir(parents=True, exist_ok=True)
    files = render_schemas(registry)
    for stale in (directory / "nodes").glob("*.schema.json"):
        if f"nodes/{stale.name}" not in files:
            stale.unlink()
    written = []
    for relative, text in files.items():
        path = directory / relative
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # `python -m ui_schemas.generate [DIR]`: refresh the checked-in schemas
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    print(f"wrote {len(export_schemas(target))} schema files to {target}")
