"""From a file (or a builder) to a validated, expanded, keyed plan."""
from __future__ import annotations

from pathlib import Path

from reelgraph.graph.document import read_document_file
from reelgraph.graph.overrides import apply_overrides
from reelgraph.graph.plan import Plan, build_plan
from reelgraph.nodes import NodeRegistry, Workspace, default_registry


def load_plan(path: str | Path, *, overrides: list[str] | None = None, targets: list[str] | None = None,
              run_id: str = "", registry: NodeRegistry | None = None) -> Plan:
    """Read a document, apply `--set` overrides, validate, expand, key, and cut to `targets`."""
    path = Path(path).resolve()
    raw = apply_overrides(read_document_file(path), overrides or [])
    plan = plan_document(raw, workspace_root=path.parent, run_id=run_id, registry=registry)
    return plan.restricted_to(targets) if targets else plan


def plan_document(raw: dict, *, workspace_root: str | Path, run_id: str = "",
                  registry: NodeRegistry | None = None) -> Plan:
    return build_plan(raw, registry or default_registry(), Workspace(Path(workspace_root)), run_id=run_id)
