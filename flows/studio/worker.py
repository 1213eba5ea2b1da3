"""The queue worker: claim a queued run, execute it through the engines, write its events.

    worker = QueueWorker(runtime, name="host/pid/1")
    worker.run_forever(stop)          # `reelgraph worker`, or a thread of `reelgraph ui`

One run at a time per worker. While a run executes, a watcher thread keeps the run's heartbeat
fresh (so other workers know it is alive) and turns a cancel request in the database into the
engine's cancel event. A worker asked to stop (SIGINT, server shutdown) cancels the run in hand
too, but puts it back in the queue instead of recording it cancelled. Once per heartbeat period
the loop also puts runs of dead workers (stale heartbeat) back in the queue; whoever claims such
a run resumes it: nodes that finished stay finished.

Locking: workers share nothing in memory but the Runtime (its database engine and store are
thread-safe). Who runs what is decided in the database only: a run is claimed by one atomic
UPDATE (storage/queue_repository.py), and a node by its cache-key lease, so two workers (threads,
processes or machines) can never execute the same run or the same node at once, and there is no
lock here to deadlock on. The watcher only reads the cancel flag and writes the heartbeat.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from reelgraph.flows import api
from reelgraph.flows.heartbeat import HEARTBEAT_SECONDS, STALE_AFTER_SECONDS
from reelgraph.flows.runtime import Runtime
from reelgraph.flows.studio.events import QUEUE, RunEventSink, emit
from reelgraph.storage import queue_repository as queue
from reelgraph.storage import repository as repo
from reelgraph.storage.records import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED

log = logging.getLogger(__name__)
IDLE_POLL_SECONDS = 0.5


def worker_name(index: int = 0) -> str:
    return f"{socket.gethostname()}/pid-{os.getpid()}/w{index}"


class RunWatch:
    """While one run executes: heartbeat it, and set `cancel` when someone asks to cancel it or
    the worker is shutting down."""

    def __init__(self, runtime: Runtime, run_id: str, cancel: threading.Event, shutdown: threading.Event,
                 interval: float = min(1.0, HEARTBEAT_SECONDS)) -> None:
        self.runtime, self.run_id, self.cancel, self.interval = runtime, run_id, cancel, interval
        self.shutdown = shutdown
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"reelgraph-watch-{run_id[:8]}", daemon=True)

    def __enter__(self) -> RunWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        beats = 0
        while not self._done.wait(self.interval):
            if self.shutdown.is_set():
                self.cancel.set()
            try:
                if queue.cancel_requested(self.runtime.db, [self.run_id]):
                    self.cancel.set()
                beats += 1
                if beats * self.interval >= HEARTBEAT_SECONDS:
                    queue.heartbeat(self.runtime.db, [self.run_id])
                    beats = 0
            except Exception as error:  # a database hiccup must not stop the watch; the next pass retries
                log.warning("watching run %s failed: %s", self.run_id, error)


class QueueWorker:
    def __init__(self, runtime: Runtime, *, name: str | None = None, engine: str | None = None,
                 on_claim: Callable[[str], None] | None = None) -> None:
        self.runtime, self.engine = runtime, engine
        self.name = name or worker_name()
        self.on_claim = on_claim or (lambda run_id: None)
        self.shutdown = threading.Event()  # set by run_forever's stop: the run in hand goes back to the queue
        self._stale_checked = -float("inf")

    def run_forever(self, stop: threading.Event, idle_poll: float = IDLE_POLL_SECONDS) -> None:
        self.shutdown = stop
        while not stop.is_set():
            try:
                if not self.run_one():
                    stop.wait(idle_poll)
            except Exception:  # the database is away: say so, wait, try again
                log.exception("queue worker %s: claiming or running a run failed; retrying", self.name)
                stop.wait(idle_poll * 4)

    def run_one(self) -> bool:
        """Claim and execute one run; False when the queue had nothing to take."""
        if time.monotonic() - self._stale_checked >= HEARTBEAT_SECONDS:  # a write: not on every idle poll
            self._stale_checked = time.monotonic()
            for run_id in queue.requeue_stale(self.runtime.db, STALE_AFTER_SECONDS):
                emit(self.runtime.db, run_id, QUEUE, {"action": "requeued", "reason": "its worker stopped"})
        run_id = queue.claim_next(self.runtime.db, self.name)
        if run_id is None:
            return False
        self.on_claim(run_id)
        self.execute(run_id)
        return True

    def execute(self, run_id: str) -> str:
        db = self.runtime.db
        sink = RunEventSink(db, run_id)
        sink.run_status(RUNNING, worker=self.name)
        try:  # a fresh run has nothing to reset; a run of a dead worker gets its nodes back
            api.prepare_resume(self.runtime, run_id)
        except api.RunStillActive as error:
            log.warning("%s; back to the queue", error)
            repo.set_run_status(db, run_id, QUEUED)
            sink.run_status(QUEUED, reason=str(error))
            self.shutdown.wait(HEARTBEAT_SECONDS)  # not straight back: its old nodes need time to go stale
            return QUEUED
        sink.announce_settled()
        cancel = threading.Event()
        error = None
        try:
            with RunWatch(self.runtime, run_id, cancel, self.shutdown):
                status = api.execute_run(self.runtime, run_id, self.engine, on_event=sink, cancel=cancel)
        except Exception as failure:  # the engine itself broke (not a node): record it on the run
            log.exception("run %s failed in the engine", run_id)
            status, error = FAILED, f"{type(failure).__name__}: {failure}"
            repo.set_run_status(db, run_id, FAILED, error=error)
        if (status != SUCCEEDED and self.shutdown.is_set() and not queue.cancel_requested(db, [run_id])
                and queue.requeue_for_resume(db, run_id)):  # stopped by shutdown, not by a user
            sink.run_status(QUEUED, reason=f"worker {self.name} stopped; the next worker resumes the run")
            return QUEUED
        if cancel.is_set() and status != SUCCEEDED and status != CANCELLED:
            status = CANCELLED
            repo.set_run_status(db, run_id, CANCELLED)
        queue.release(db, run_id)
        run = repo.get_run(db, run_id)
        sink.run_finished(status, error or (run.error if run else None))
        return status


def start_worker_threads(runtime: Runtime, count: int, stop: threading.Event, *,
                         engine: str | None = None) -> list[threading.Thread]:
    threads = []
    for index in range(count):
        worker = QueueWorker(runtime, name=worker_name(index), engine=engine)
        thread = threading.Thread(target=worker.run_forever, args=(stop,), name=f"reelgraph-queue-{index}",
                                  daemon=True)
        thread.start()
        threads.append(thread)
    return threads
