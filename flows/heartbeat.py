"""Liveness: a process keeps its running node runs (and their cache leases) fresh in the database.

One daemon thread per Runtime writes one statement every HEARTBEAT_SECONDS for all the node runs
the process is executing. A node run marked `running` whose heartbeat is older than
STALE_AFTER_SECONDS belongs to a process that died (kill -9, a lost machine): `resume` retries it,
and its cache lease expires so a racing run may take the key over.

Locking: the tracked set is guarded by one lock, held only to copy or change the set, never while
talking to the database, so the runner threads and the heartbeat thread cannot block each other.
"""
from __future__ import annotations

import logging
import os
import threading

from reelgraph.storage import Database
from reelgraph.storage import repository as repo

HEARTBEAT_SECONDS = float(os.environ.get("REELGRAPH_HEARTBEAT_SECONDS", "10"))
STALE_AFTER_SECONDS = 3 * HEARTBEAT_SECONDS
LEASE_SECONDS = STALE_AFTER_SECONDS
log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, db: Database, interval: float = HEARTBEAT_SECONDS) -> None:
        self.db, self.interval = db, interval
        self._tracked: set[int] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def track(self, node_run_id: int) -> None:
        with self._lock:
            self._tracked.add(node_run_id)
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name="reelgraph-heartbeat", daemon=True)
                self._thread.start()

    def untrack(self, node_run_id: int) -> None:
        with self._lock:
            self._tracked.discard(node_run_id)

    def _beat(self) -> None:
        while True:
            threading.Event().wait(self.interval)
            with self._lock:
                tracked = list(self._tracked)
            try:
                repo.heartbeat(self.db, tracked, LEASE_SECONDS)
            except Exception as error:  # a database hiccup must not kill the beat; the next one retries
                log.warning("heartbeat failed: %s", error)
