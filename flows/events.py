"""Events a run emits while it goes: node started, progress, finished; and the per-run context
that carries them.

Sinks are plain callables. A run's events go to the sink passed with that run's call (in its
RunContext), never through an object shared by the process: two runs in one process (the studio's
queue workers) each see their own events only. Engines that run nodes in other processes (Ray,
Prefect on Ray) build the same context there and relay its events back to the caller's sink.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from reelgraph.nodes import ProgressEvent


@dataclass(frozen=True)
class NodeStarted:
    node_id: str
    attempt: int


@dataclass(frozen=True)
class NodeFinished:
    node_id: str
    status: str            # succeeded, cached, failed, skipped, cancelled
    seconds: float = 0.0
    error: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)  # port -> sha256, for succeeded and cached


Event = NodeStarted | NodeFinished | ProgressEvent
EventSink = Callable[[Event], None]


def ignore_events(event: Event) -> None:
    """The default sink."""


@dataclass(frozen=True)
class RunContext:
    """What every call made for one run carries: where its events go, and whether it should stop.

    Built once per run by the caller (and once per run in each worker process of a distributed
    engine); the node runner hands `on_event` to the node's progress and `stop` to its
    cancellation check.
    """
    run_id: str
    on_event: EventSink = ignore_events
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def stopping(self) -> bool:
        return self.stop.is_set()
