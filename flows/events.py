"""Events an engine emits while a run goes: node started, progress, finished.

Sinks are plain callables. Engines that run nodes in other processes (Ray, Prefect) forward the
same events, so the CLI shows the same progress whatever the engine.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reelgraph.nodes import ProgressEvent


@dataclass(frozen=True)
class NodeStarted:
    node_id: str
    attempt: int


@dataclass(frozen=True)
class NodeFinished:
    node_id: str
    status: str            # succeeded, cached, failed, skipped
    seconds: float = 0.0
    error: str | None = None


Event = NodeStarted | NodeFinished | ProgressEvent
EventSink = Callable[[Event], None]


def ignore_events(event: Event) -> None:
    """The default sink."""
