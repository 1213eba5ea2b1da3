"""Node types, validation and planning of documents the editor holds (not yet saved)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from reelgraph.flows.plan_report import plan_report
from reelgraph.flows.studio import graph_files
from reelgraph.flows.studio.context import Studio, studio
from reelgraph.flows.studio.models import Invalid, Issue
from reelgraph.graph import GraphInvalid, apply_overrides, plan_document
from reelgraph.graph.validate import validate_document
from reelgraph.nodes import Workspace
from reelgraph.ui_schemas.generate import node_schema

router = APIRouter(tags=["documents"])
DocumentBody = Body(..., description="A graph document as JSON (the same shape as the YAML files)")
PathQuery = Query(None, description="The graph file it is (or will be) saved as: relative paths in params "
                                    "resolve beside it (default: the graphs folder)")


def node_types_payload(app_studio: Studio) -> tuple[list[dict], str]:
    """Every installed node type with its JSON Schema, and an ETag over all of them."""
    registry = app_studio.runtime.registry
    payload = [{"type": cls.type, "version": cls.version, "title": cls.title, "category": cls.category,
                "schema": node_schema(cls)} for cls in sorted(registry, key=lambda cls: cls.type)]
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    return payload, f'"{digest}"'


@router.get("/node-types", summary="Installed node types with their JSON Schemas (ETag)")
def node_types(request: Request, app_studio: Studio = Depends(studio)) -> Response:
    cached = getattr(request.app.state, "node_types", None)
    if cached is None:
        cached = request.app.state.node_types = node_types_payload(app_studio)
    payload, etag = cached
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return JSONResponse(payload, headers=headers)


def workspace_of(app_studio: Studio, path: str | None) -> Path:
    """Where a document's relative file paths point: beside the graph file it belongs to (a path
    in the graphs folder), else the graphs folder itself."""
    root = app_studio.config.graphs_dir.resolve()
    if not path:
        return root
    try:
        return graph_files.resolve(root, path).parent
    except graph_files.BadPath as error:
        raise HTTPException(400, str(error)) from None


def issues_of(app_studio: Studio, document: Any, workspace_root: Path | None = None) -> list[Issue]:
    workspace = Workspace(workspace_root or app_studio.config.graphs_dir.resolve())
    try:
        _, issues = validate_document(document, app_studio.runtime.registry, workspace)
    except GraphInvalid as error:
        issues = error.issues
    return [Issue(**issue.to_json()) for issue in issues]


@router.post("/validate", summary="Every problem of a document, as `reelgraph validate --json`")
def validate(document: dict[str, Any] = DocumentBody, path: str | None = PathQuery,
             app_studio: Studio = Depends(studio)) -> list[Issue]:
    return issues_of(app_studio, document, workspace_of(app_studio, path))


@router.post("/plan", summary="Expanded nodes, cache keys and run/cached, as `reelgraph plan --json`",
             responses={422: {"model": Invalid}})
def plan(document: dict[str, Any] = DocumentBody,
         overrides: list[str] | None = Query(None, description="node.param=value, as `plan --set`"),
         targets: list[str] | None = Query(None, description="Plan only what these nodes need"),
         path: str | None = PathQuery, app_studio: Studio = Depends(studio)) -> Any:
    try:
        raw = apply_overrides(document, overrides or [])
        graph_plan = plan_document(raw, workspace_root=workspace_of(app_studio, path),
                                   registry=app_studio.runtime.registry)
        graph_plan = graph_plan.restricted_to(targets) if targets else graph_plan
    except GraphInvalid as error:
        return invalid_response(error)
    return plan_report(app_studio.runtime, graph_plan)


def invalid_response(error: GraphInvalid) -> JSONResponse:
    return JSONResponse({"status": "invalid", "errors": [issue.to_json() for issue in error.issues]},
                        status_code=422)
