"""Run events: written as rows by the worker executing a run, streamed to browsers as SSE.

Writing: `RunEventSink` is the `on_event` sink of ONE run. It turns engine events into rows of
`run_events` (node_started, node_progress, node_finished with outputs) and adds the run-level
ones (run_status, run_finished). Progress is thinned to a few rows a second per node; the last
one of a node is always kept.

Streaming: `EventHub` (one per server) polls the table for new rows and hands each to every
connected stream; a sink in the same process wakes it at once, so local events arrive in
milliseconds and those of other processes (`reelgraph worker` elsewhere) within a poll. A stream
first replays the rows after its Last-Event-ID from the database, then follows the hub, dropping
ids it already sent: subscribing before replaying means no row falls between the two.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from reelgraph.flows.events import Event, NodeFinished, NodeStarted
from reelgraph.nodes import ProgressEvent
from reelgraph.storage import Database
from reelgraph.storage import event_repository as events_repo
from reelgraph.storage import repository as repo
from reelgraph.storage.event_repository import RunEvent
from reelgraph.storage.records import CANCELLED, DONE_STATUSES, FAILED, INTERRUPTED, SUCCEEDED

log = logging.getLogger(__name__)
QUEUE, RUN_STATUS, RUN_FINISHED = "queue", "run_status", "run_finished"
NODE_STARTED, NODE_PROGRESS, NODE_FINISHED = "node_started", "node_progress", "node_finished"
PROGRESS_INTERVAL_SECONDS = 0.25
POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15.0
FINAL_STATUSES = (SUCCEEDED, FAILED, CANCELLED, INTERRUPTED)

# Called after each row is written in this process (the server's hub listens here).
_written_listeners: list[Callable[[], None]] = []


def on_written(listener: Callable[[], None]) -> Callable[[], None]:
    _written_listeners.append(listener)
    return lambda: _written_listeners.remove(listener)


def emit(db: Database, run_id: str | None, kind: str, data: dict[str, Any]) -> int:
    event_id = events_repo.append_event(db, run_id, kind, data)
    for listener in list(_written_listeners):
        listener()
    return event_id


class RunEventSink:
    """The on_event sink of one run; thread-safe (engines call it from node threads)."""

    def __init__(self, db: Database, run_id: str) -> None:
        self.db, self.run_id = db, run_id
        self._lock = threading.Lock()
        self._finished: set[str] = set()
        self._last_progress: dict[str, float] = {}

    def __call__(self, event: Event) -> None:
        try:
            if isinstance(event, NodeStarted):
                self.emit(NODE_STARTED, {"node_id": event.node_id, "attempt": event.attempt})
            elif isinstance(event, ProgressEvent):
                self._progress(event)
            elif isinstance(event, NodeFinished):
                self.node_finished(event.node_id, event.status, seconds=event.seconds, error=event.error,
                                   outputs=event.outputs)
        except Exception as error:  # a lost event must not fail the run; the records stay the truth
            log.warning("run %s: writing a %s event failed: %s", self.run_id, type(event).__name__, error)

    def emit(self, kind: str, data: dict[str, Any]) -> int:
        return emit(self.db, self.run_id, kind, data)

    def _progress(self, event: ProgressEvent) -> None:
        final = event.total is not None and event.done >= event.total
        moment = time.monotonic()
        with self._lock:
            if not final and moment - self._last_progress.get(event.node_id, 0.0) < PROGRESS_INTERVAL_SECONDS:
                return
            self._last_progress[event.node_id] = moment
        self.emit(NODE_PROGRESS, {"node_id": event.node_id, "done": event.done, "total": event.total,
                                  "message": event.message})

    def node_finished(self, node_id: str, status: str, *, seconds: float = 0.0, error: str | None = None,
                      outputs: dict[str, str] | None = None) -> None:
        """One node_finished per node of the run, with its outputs ({port: sha256}) when it is done."""
        with self._lock:
            if status in DONE_STATUSES and node_id in self._finished:
                return
            self._finished.add(node_id)
        self.emit(NODE_FINISHED, {"node_id": node_id, "status": status, "seconds": round(seconds, 4),
                                  "error": error, "outputs": outputs or {}})

    def announce_settled(self) -> None:
        """node_finished for the nodes done before the engine starts (cache hits settled when the
        run was created, nodes finished before a resume): the engine reports only what it runs."""
        for node_run in repo.list_node_runs(self.db, self.run_id):
            if node_run.status in DONE_STATUSES:
                self.node_finished(node_run.node_id, node_run.status, outputs=node_run.outputs)

    def run_status(self, status: str, **extra: Any) -> int:
        return self.emit(RUN_STATUS, {"status": status, **extra})

    def run_finished(self, status: str, error: str | None = None) -> int:
        return self.emit(RUN_FINISHED, {"status": status, "error": error})


def run_is_over(db: Database, run_id: str, sent_up_to: int) -> bool:
    """The run has finished and its run_finished (its latest event) is already behind the client."""
    run = repo.get_run(db, run_id)
    if run is None:
        return True
    latest = events_repo.last_event_of_run(db, run_id)
    return (run.status in FINAL_STATUSES and latest is not None and latest.kind == RUN_FINISHED
            and latest.id <= sent_up_to)


def format_sse(event: RunEvent) -> str:
    data = json.dumps(event.to_json(), ensure_ascii=False, separators=(",", ":"), default=str)
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


class EventHub:
    """Fans new run_events rows out to the server's streams (see the module docstring)."""

    def __init__(self, db: Database, poll_seconds: float = POLL_SECONDS) -> None:
        self.db, self.poll_seconds = db, poll_seconds
        self._subscribers: set[asyncio.Queue[list[tuple[RunEvent, str]]]] = set()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_listening: Callable[[], None] | None = None

    def subscribe(self) -> asyncio.Queue[list[tuple[RunEvent, str]]]:
        """A queue that receives each new page of rows, as [(row, its SSE text)]."""
        queue: asyncio.Queue[list[tuple[RunEvent, str]]] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self._subscribers.discard(queue)

    def _written(self) -> None:  # any thread of this process
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        self._stop_listening = on_written(self._written)
        last_id = await asyncio.to_thread(events_repo.last_event_id, self.db)
        try:
            while True:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                except TimeoutError:
                    pass
                self._wake.clear()
                while True:
                    rows = await asyncio.to_thread(events_repo.events_after, self.db, last_id)
                    if rows and self._subscribers:  # formatted once here, not once per stream
                        batch = [(row, format_sse(row)) for row in rows]
                        for queue in list(self._subscribers):
                            queue.put_nowait(batch)
                    if rows:
                        last_id = rows[-1].id
                    if len(rows) < 1000:
                        break
        finally:
            self._stop_listening()

    async def stream(self, run_id: str | None, after: int) -> AsyncIterator[str]:
        """SSE text: the rows after `after` (one run's, or all), then live ones. A run's stream
        ends after its run_finished; the stream of everything never ends."""
        queue = self.subscribe()
        last = after
        try:
            yield "retry: 1000\n\n"
            while True:  # replay from the database, a page at a time
                rows = await asyncio.to_thread(events_repo.events_after, self.db, last, run_id=run_id)
                chunk = []
                for row in rows:
                    chunk.append(format_sse(row))
                    last = row.id
                    if run_id is not None and row.kind == RUN_FINISHED:
                        yield "".join(chunk)
                        return
                if chunk:
                    yield "".join(chunk)
                if len(rows) < 1000:
                    break
            if run_id is not None and await asyncio.to_thread(run_is_over, self.db, run_id, last):
                return  # resumed after the run's last event: nothing more will come
            while True:
                try:
                    batches = [await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)]
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                while not queue.empty():  # whatever else is waiting goes out in the same write
                    batches.append(queue.get_nowait())
                chunk, finished = [], False
                for row, text in (item for batch in batches for item in batch):
                    if row.id <= last or (run_id is not None and row.run_id != run_id):
                        continue
                    chunk.append(text)
                    last = row.id
                    if run_id is not None and row.kind == RUN_FINISHED:
                        finished = True
                        break
                if chunk:
                    yield "".join(chunk)
                if finished:
                    return
        finally:
            self.unsubscribe(queue)
