"""The pure model of a graph: documents, validation, matrix expansion, cache keys, planning.

No torch and no database here: graph imports only the node API. The names below are imported on
first use (PEP 562), so `from reelgraph.graph.document import ...` loads the document model alone
and the CLI's fast commands never pay for planning.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "GraphBuilder": "builder", "NodeHandle": "builder", "PortRef": "builder",
    "FORMAT_VERSION": "document", "GraphDocument": "document", "NodeSpec": "document", "parse_text": "document",
    "read_document_file": "document",
    "GraphInvalid": "issues", "ValidationIssue": "issues",
    "load_plan": "loading", "plan_document": "loading",
    "apply_overrides": "overrides",
    "Plan": "plan", "PlannedNode": "plan", "build_plan": "plan", "graph_hash": "plan",
    "ResolvedDocument": "references",
    "resolve_document": "validate", "validate_document": "validate",
}
__all__ = [
    "FORMAT_VERSION", "GraphBuilder", "GraphDocument", "GraphInvalid", "NodeHandle", "NodeSpec", "Plan",
    "PlannedNode", "PortRef", "ResolvedDocument", "ValidationIssue", "apply_overrides", "build_plan", "graph_hash",
    "load_plan", "parse_text", "plan_document", "read_document_file", "resolve_document", "validate_document",
]

if TYPE_CHECKING:
    from reelgraph.graph.builder import GraphBuilder, NodeHandle, PortRef
    from reelgraph.graph.document import FORMAT_VERSION, GraphDocument, NodeSpec, parse_text, read_document_file
    from reelgraph.graph.issues import GraphInvalid, ValidationIssue
    from reelgraph.graph.loading import load_plan, plan_document
    from reelgraph.graph.overrides import apply_overrides
    from reelgraph.graph.plan import Plan, PlannedNode, build_plan, graph_hash
    from reelgraph.graph.references import ResolvedDocument
    from reelgraph.graph.validate import resolve_document, validate_document


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'reelgraph.graph' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"reelgraph.graph.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
