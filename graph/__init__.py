"""The pure model of a graph: documents, validation, matrix expansion, cache keys, planning.

No torch and no database here: graph imports only the node API.
"""
from reelgraph.graph.builder import GraphBuilder, NodeHandle, PortRef
from reelgraph.graph.document import FORMAT_VERSION, GraphDocument, NodeSpec, parse_text, read_document_file
from reelgraph.graph.issues import GraphInvalid, ValidationIssue
from reelgraph.graph.loading import load_plan, plan_document
from reelgraph.graph.overrides import apply_overrides
from reelgraph.graph.plan import Plan, PlannedNode, build_plan, graph_hash
from reelgraph.graph.validate import validate_document

__all__ = [
    "FORMAT_VERSION", "GraphBuilder", "GraphDocument", "GraphInvalid", "NodeHandle", "NodeSpec", "Plan",
    "PlannedNode", "PortRef", "ValidationIssue", "apply_overrides", "build_plan", "graph_hash", "load_plan",
    "parse_text", "plan_document", "read_document_file", "validate_document",
]
