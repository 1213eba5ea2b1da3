"""Ctrl-C and SIGTERM during `reelgraph run` and `resume`: stop cleanly, then say how to go on.

First signal: the run's cancel event is set (the engines' cancel path): nothing more is
dispatched, running nodes stop at their next progress call, nodes still running after the grace
period (REELGRAPH_STOP_GRACE_SECONDS) are abandoned with their leases freed, and the run ends
`interrupted`. The command then prints the `resume` command and exits 128 + the signal number.

A second signal gives up at once, with the same records: running nodes back to pending, leases
freed, the run `interrupted`. That write runs in a helper thread with a bounded wait, because the
handler runs on the main thread, which may be inside a database transaction of its own (SQLite
would then wait on a lock that the interrupted thread can never release).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType, TracebackType

from reelgraph.flows.cli.common import err_console
from reelgraph.flows.runtime import Runtime

GIVE_UP_WRITE_SECONDS = 5.0


def resume_hint(run_id: str) -> str:
    return f"run {run_id} interrupted; continue it with: reelgraph resume {run_id}"


class StopOnSignals:
    """Installs SIGINT and SIGTERM handlers for the length of a run (main thread only)."""

    def __init__(self, runtime: Runtime, run_id: str) -> None:
        self.runtime, self.run_id = runtime, run_id
        self.cancel = threading.Event()
        self.signal: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopOnSignals:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, kind: type | None, value: BaseException | None, trace: TracebackType | None) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    @property
    def exit_code(self) -> int:
        return 128 + (self.signal or signal.SIGINT)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if not self.cancel.is_set():
            self.signal = number
            self.cancel.set()
            err_console.print(f"[yellow]{signal.Signals(number).name}: stopping run {self.run_id}: running nodes "
                              "stop at their next progress report (press Ctrl-C again to quit at once)[/]", soft_wrap=True)
            return
        self._give_up(number)

    def _give_up(self, number: int) -> None:
        from reelgraph.flows import session

        writer = threading.Thread(target=session.interrupt, args=(self.runtime, self.run_id,
                                  f"stopped by {signal.Signals(number).name}"), daemon=True)
        writer.start()
        writer.join(GIVE_UP_WRITE_SECONDS)
        err_console.print(resume_hint(self.run_id), soft_wrap=True, highlight=False)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + number)  # at once: no waiting for node threads or engine shutdown


def exit_past_abandoned_nodes(code: int) -> None:
    """After an interrupted run: node threads abandoned after the grace period would keep the
    interpreter from exiting (it joins them); their records are written, so leave without them."""
    if any(t.name.startswith("reelgraph-node") and t.is_alive() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
