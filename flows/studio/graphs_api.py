"""Graph documents in the graphs folder: list, read (ETag), save (If-Match), revisions."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from reelgraph.flows.studio import graph_files
from reelgraph.flows.studio.context import Studio, not_found, studio
from reelgraph.flows.studio.documents_api import issues_of
from reelgraph.flows.studio.models import GraphSave, GraphSaved
from reelgraph.graph import GraphInvalid, parse_text
from reelgraph.storage import revision_repository as revisions

router = APIRouter(tags=["graphs"])


def _etag(sha256: str) -> str:
    return f'"{sha256}"'


def _unquote(tag: str | None) -> str | None:
    if tag is None:
        return None
    tag = tag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    return tag.strip('"')


def _file(app_studio: Studio, path: str) -> graph_files.GraphFile:
    try:
        found = graph_files.read_graph(app_studio.config.graphs_dir, path)
    except graph_files.BadPath as error:
        raise HTTPException(400, str(error)) from None
    if found is None:
        raise not_found(f"no graph document '{path}' in the graphs folder")
    return found


@router.get("/graphs", summary="Graph documents in the graphs folder")
def list_graphs(app_studio: Studio = Depends(studio)) -> list[dict]:
    return graph_files.list_graphs(app_studio.config.graphs_dir)


@router.get("/graphs/{path:path}/revisions", summary="Saved versions of a graph file, newest first")
def graph_revisions(path: str, app_studio: Studio = Depends(studio)) -> list[dict]:
    return [revision.to_json() for revision in revisions.list_revisions(app_studio.runtime.db, path)]


@router.get("/graphs/{path:path}/revisions/{revision_id}", summary="The text of one saved version",
            response_class=PlainTextResponse)
def graph_revision(path: str, revision_id: int, app_studio: Studio = Depends(studio)) -> PlainTextResponse:
    content = revisions.revision_content(app_studio.runtime.db, path, revision_id)
    if content is None:
        raise not_found(f"'{path}' has no revision {revision_id}")
    return PlainTextResponse(content, media_type="text/plain; charset=utf-8")


@router.get("/graphs/{path:path}", summary="A graph document: its text, its parsed document and ETag")
def get_graph(path: str, app_studio: Studio = Depends(studio)) -> JSONResponse:
    found = _file(app_studio, path)
    try:
        document: Any = parse_text(found.text, filename=found.file.name)
        problems: list = []
    except GraphInvalid as error:
        document, problems = None, [issue.to_json() for issue in error.issues]
    body = {"path": found.path, "sha256": found.sha256, "text": found.text, "document": document,
            "parse_errors": problems}
    return JSONResponse(body, headers={"ETag": _etag(found.sha256), "Cache-Control": "no-cache"})


@router.put("/graphs/{path:path}", summary="Save a graph document (If-Match: the ETag you read; 412 if it changed)",
            responses={412: {"description": "The file changed since you read it"},
                       428: {"description": "If-Match is required to overwrite an existing file"}})
def put_graph(path: str, body: GraphSave, request: Request, app_studio: Studio = Depends(studio)) -> JSONResponse:
    if (body.text is None) == (body.document is None):
        raise HTTPException(422, "send either 'document' or 'text'")
    root, db = app_studio.config.graphs_dir, app_studio.runtime.db
    if body.text is not None:
        try:
            parse_text(body.text, filename=path)
        except GraphInvalid as error:
            return JSONResponse({"status": "invalid", "errors": [i.to_json() for i in error.issues]}, 422)
    if_match = _unquote(request.headers.get("if-match"))
    try:
        exists = graph_files.resolve(root, path).is_file()
    except graph_files.BadPath as error:
        raise HTTPException(400, str(error)) from None
    if exists and if_match is None:
        raise HTTPException(428, f"'{path}' exists: send If-Match with the ETag you read, so nobody's edit is lost")
    try:
        saved, replaced = graph_files.save_graph(root, path, if_match=if_match, text=body.text, document=body.document)
    except graph_files.PreconditionFailed as failed:
        headers = {"ETag": _etag(failed.current)} if failed.current else {}
        return JSONResponse({"detail": f"'{path}' changed since you read it (it is now {failed.current}); "
                                       "reload it, reapply your edit, and save again"},
                            status_code=412, headers=headers)
    who = request.scope.get("state", {}).get("auth")
    if replaced is not None and not revisions.has_revision(db, path, graph_files.sha256_text(replaced)):
        revisions.add_revision(db, path, graph_files.sha256_text(replaced), replaced, "before the studio")
    revision = revisions.add_revision(db, path, saved.sha256, saved.text, who)
    try:
        issues = issues_of(app_studio, parse_text(saved.text, filename=saved.file.name), saved.file.parent)
    except GraphInvalid as error:
        issues = [i.to_json() for i in error.issues]
    result = GraphSaved(path=saved.path, sha256=saved.sha256, revision=revision, issues=issues)
    return JSONResponse(result.model_dump(), status_code=201 if replaced is None else 200,
                        headers={"ETag": _etag(saved.sha256)})
