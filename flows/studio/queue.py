"""Queue actions with their events: submit, reorder, cancel, resume, pause. The claim itself
is storage.queue_repository.claim_next (one atomic statement); the worker loop is worker.py."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends

from reelgraph.flows.api import create_run_from, prepare_resume
from reelgraph.flows.studio.context import Studio, studio
from reelgraph.flows.studio.events import QUEUE, RUN_FINISHED, RUN_STATUS, emit
from reelgraph.flows.studio.models import QueueState
from reelgraph.flows.runtime import Runtime
from reelgraph.storage import event_repository as events_repo
from reelgraph.storage import queue_repository as queue
from reelgraph.storage.records import CANCELLED, QUEUED, RUNNING

router = APIRouter(tags=["queue"])


def submit(runtime: Runtime, source: str | Path | dict, *, engine: str, workspace_root: Path,
           overrides: list[str], targets: list[str], priority: int, submitted_by: str | None) -> tuple[str, int | None]:
    """Plan and record a run, put it in the queue; returns (run id, its position). Raises GraphInvalid."""
    run_id, _, _ = create_run_from(runtime, source, engine=engine, workspace_root=workspace_root,
                                   overrides=overrides, targets=targets)
    # its first event before a worker can claim it, so `queued` never follows the worker's `running`
    emit(runtime.db, run_id, RUN_STATUS, {"status": QUEUED})
    queue.enqueue(runtime.db, run_id, priority=priority, submitted_by=submitted_by)
    where = queue.position(runtime.db, run_id)
    emit(runtime.db, run_id, QUEUE, {"action": "submitted", "position": where, "priority": priority})
    return run_id, where


def reorder(runtime: Runtime, run_id: str, priority: int) -> int | None:
    """New priority for a queued run; returns its new position, None when it is not queued."""
    if not queue.set_priority(runtime.db, run_id, priority):
        return None
    where = queue.position(runtime.db, run_id)
    emit(runtime.db, run_id, QUEUE, {"action": "reordered", "position": where, "priority": priority})
    return where


def cancel(runtime: Runtime, run_id: str) -> str | None:
    """Cancel a queued run at once, or ask a running one's worker to stop it. Returns "cancelled",
    "cancelling", or None when the run is neither queued nor running."""
    if queue.cancel_queued(runtime.db, run_id):
        emit(runtime.db, run_id, RUN_FINISHED, {"status": CANCELLED, "error": None})
        return CANCELLED
    if queue.request_cancel(runtime.db, run_id):
        emit(runtime.db, run_id, QUEUE, {"action": "cancel_requested"})
        return "cancelling"
    return None


def resume(runtime: Runtime, run_id: str, priority: int | None = None) -> tuple[int, int] | None:
    """Put a failed, cancelled or interrupted run back in the queue; a worker resumes it (done
    nodes stay done). Returns its position and an event id no older than the resumed run's first
    event (a client follows the stream from there, not from the old run_finished); None when the run is not
    resumable. Raises flows.api.RunStillActive while a process still runs its nodes."""
    prepare_resume(runtime, run_id)
    before = events_repo.last_event_id(runtime.db)  # a worker may claim it before `queued` is written
    if not queue.requeue_for_resume(runtime.db, run_id, priority):
        return None
    where = queue.position(runtime.db, run_id)
    emit(runtime.db, run_id, RUN_STATUS, {"status": QUEUED})
    emit(runtime.db, run_id, QUEUE, {"action": "resumed", "position": where})
    return where, before + 1


def queue_state(runtime: Runtime) -> QueueState:
    entries = queue.list_entries(runtime.db)
    queued = [{**entry.to_json(), "position": index + 1}
              for index, entry in enumerate(e for e in entries if e.status == QUEUED)]
    return QueueState(paused=queue.is_paused(runtime.db), queued=queued,
                      running=[entry.to_json() for entry in entries if entry.status == RUNNING])


@router.get("/queue", summary="Queued runs in the order workers take them, running runs, paused or not")
def get_queue(app_studio: Studio = Depends(studio)) -> QueueState:
    return queue_state(app_studio.runtime)


@router.post("/queue/pause", summary="Workers stop taking new runs (running ones go on)")
def pause(app_studio: Studio = Depends(studio)) -> QueueState:
    queue.set_paused(app_studio.runtime.db, True)
    emit(app_studio.runtime.db, None, QUEUE, {"action": "paused"})
    return queue_state(app_studio.runtime)


@router.post("/queue/resume", summary="Workers take runs again")
def unpause(app_studio: Studio = Depends(studio)) -> QueueState:
    queue.set_paused(app_studio.runtime.db, False)
    emit(app_studio.runtime.db, None, QUEUE, {"action": "resumed"})
    return queue_state(app_studio.runtime)
