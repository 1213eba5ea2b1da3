"""Runs: submit into the queue, list, show, reorder, cancel, resume; and their event stream."""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from reelgraph.flows.api import RunStillActive
from reelgraph.flows.engines import engine_names
from reelgraph.flows.results import run_result
from reelgraph.flows.studio import graph_files
from reelgraph.flows.studio import queue as queue_actions
from reelgraph.flows.studio.context import Studio, conflict, not_found, studio
from reelgraph.flows.studio.documents_api import invalid_response
from reelgraph.flows.studio.events import run_is_over
from reelgraph.flows.studio.models import Invalid, PriorityChange, ResumeRequest, RunAccepted, RunSubmission
from reelgraph.graph import GraphInvalid
from reelgraph.storage import queue_repository as queue
from reelgraph.storage.event_repository import last_event_id as last_event_id_of
from reelgraph.storage import repository as repo

router = APIRouter(tags=["runs"])


def _submitter(request: Request) -> str:
    how = request.scope.get("state", {}).get("auth", "token")
    client = request.client.host if request.client else "unknown"
    return f"{how}@{client}"


@router.post("/runs", status_code=202, response_model=RunAccepted, summary="Queue a run of a document",
             responses={422: {"model": Invalid}})
def submit_run(body: RunSubmission, request: Request, app_studio: Studio = Depends(studio)) -> Any:
    if (body.path is None) == (body.document is None):
        raise HTTPException(422, "send either 'path' (a file in the graphs folder) or 'document'")
    engine = body.engine or app_studio.config.default_engine
    if engine not in engine_names():
        raise HTTPException(422, f"unknown engine '{engine}'; choose one of {', '.join(engine_names())}")
    root = app_studio.config.graphs_dir.resolve()
    try:
        source = graph_files.resolve(root, body.path) if body.path is not None else body.document
    except graph_files.BadPath as error:
        raise HTTPException(400, str(error)) from None
    try:
        run_id, where = queue_actions.submit(
            app_studio.runtime, source, engine=engine, workspace_root=root, overrides=body.overrides,
            targets=body.targets, priority=body.priority, submitted_by=_submitter(request))
    except GraphInvalid as error:
        return invalid_response(error)
    return JSONResponse(RunAccepted(run_id=run_id, position=where).model_dump(), status_code=202,
                        headers={"Location": f"/api/v1/runs/{run_id}"})


def _run_json(app_studio: Studio, run_id: str) -> dict:
    run = repo.get_run(app_studio.runtime.db, run_id)
    entry = queue.get_entry(app_studio.runtime.db, run_id)
    if run is None or entry is None:
        raise not_found(f"no run '{run_id}'")
    return {**run.to_json(), **run_result(app_studio.runtime, run_id), "priority": entry.priority,
            "position": queue.position(app_studio.runtime.db, run_id), "claimed_by": entry.claimed_by,
            "cancel_requested": entry.cancel_requested, "submitted_by": entry.submitted_by}


@router.get("/runs", summary="Runs, newest first")
def list_runs(limit: int = Query(50, ge=1, le=1000), status: str | None = None,
              app_studio: Studio = Depends(studio)) -> list[dict]:
    runs = repo.list_runs(app_studio.runtime.db, limit if status is None else 1000)
    found = [run.to_json() for run in runs if status is None or run.status == status]
    return found[:limit]


@router.get("/runs/{run_id}", summary="A run and its nodes (the JSON of `reelgraph run --json`)")
def get_run(run_id: str, app_studio: Studio = Depends(studio)) -> dict:
    return _run_json(app_studio, run_id)


@router.patch("/runs/{run_id}", summary="Reorder a queued run (its priority)")
def patch_run(run_id: str, body: PriorityChange, app_studio: Studio = Depends(studio)) -> dict:
    _run_json(app_studio, run_id)  # 404 first
    if queue_actions.reorder(app_studio.runtime, run_id, body.priority) is None:
        raise conflict(f"run {run_id} is no longer queued; only queued runs can be reordered")
    return _run_json(app_studio, run_id)


@router.post("/runs/{run_id}/cancel", summary="Cancel a queued run, or stop a running one")
def cancel_run(run_id: str, app_studio: Studio = Depends(studio)) -> JSONResponse:
    _run_json(app_studio, run_id)
    outcome = queue_actions.cancel(app_studio.runtime, run_id)
    if outcome is None:
        raise conflict(f"run {run_id} has finished; there is nothing to cancel")
    return JSONResponse({"run_id": run_id, "status": outcome}, status_code=200 if outcome == "cancelled" else 202)


@router.post("/runs/{run_id}/resume", status_code=202, summary="Queue a failed, cancelled or interrupted run again")
def resume_run(run_id: str, body: ResumeRequest | None = None, app_studio: Studio = Depends(studio)) -> dict:
    run = _run_json(app_studio, run_id)
    try:
        resumed = queue_actions.resume(app_studio.runtime, run_id, body.priority if body else None)
    except RunStillActive as error:
        raise conflict(str(error)) from None
    if resumed is None:
        raise conflict(f"run {run_id} is {run['status']}; only failed, cancelled or interrupted runs resume")
    where, first_event = resumed
    # follow GET events?run_id= with Last-Event-ID: first_event_id - 1 to see the resumed run only
    return {"run_id": run_id, "position": where, "first_event_id": first_event}


@router.get("/events", summary="Server-Sent Events: queue, run_status, node_started, node_progress, "
                               "node_finished, run_finished (resume with Last-Event-ID). With run_id: that "
                               "run's events from its first, ending after run_finished; without: every "
                               "event from now on (or after Last-Event-ID / ?after=)",
            response_class=StreamingResponse)
async def events(run_id: str | None = None, after: int | None = Query(None, description="Same as Last-Event-ID"),
                 last_event_id: str | None = Header(None), app_studio: Studio = Depends(studio)) -> Response:
    if after is None and (last_event_id or "").isdigit():
        after = int(last_event_id)
    if after is None:  # a run's stream starts at its first event; the stream of everything at now
        after = 0 if run_id else await asyncio.to_thread(last_event_id_of, app_studio.runtime.db)
    start = after
    if run_id and start and await asyncio.to_thread(run_is_over, app_studio.runtime.db, run_id, start):
        return Response(status_code=204)  # nothing will follow; 204 tells EventSource to stop reconnecting
    return StreamingResponse(app_studio.hub.stream(run_id, start), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
