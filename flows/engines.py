"""Engine selection: every engine takes a Runtime and executes a created run by id.

Engines stand side by side (none imports another): each is a NodeLauncher for the one driver
loop in flows/driver.py; Ray's bootstrap lives in flows/ray_support.py, device counts in
flows/devices.py.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from reelgraph.flows.events import EventSink
from reelgraph.flows.runtime import Runtime


class Engine(Protocol):
    name: str

    def execute(self, run_id: str, *, on_event: EventSink = ..., cancel: threading.Event | None = None,
                stopped_as: str = ...) -> str:
        """Run every node of the run that is not done yet; return the run's final status."""


def _local(runtime: Runtime, **options: Any) -> Engine:
    from reelgraph.flows.local_engine import LocalEngine

    return LocalEngine(runtime, **options)


def _ray(runtime: Runtime, **options: Any) -> Engine:
    from reelgraph.flows.ray_engine import RayEngine

    return RayEngine(runtime, **options)


def _prefect(runtime: Runtime, **options: Any) -> Engine:
    from reelgraph.flows.prefect_engine import PrefectEngine

    return PrefectEngine(runtime, **options)


def _prefect_ray(runtime: Runtime, **options: Any) -> Engine:
    from reelgraph.flows.prefect_engine import PrefectRayEngine

    return PrefectRayEngine(runtime, **options)


ENGINES: dict[str, Callable[..., Engine]] = {"local": _local, "ray": _ray, "prefect": _prefect,
                                             "prefect-ray": _prefect_ray}


def engine_names() -> list[str]:
    return sorted(ENGINES)


def make_engine(name: str, runtime: Runtime, **options: Any) -> Engine:
    try:
        factory = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine '{name}'; choose one of {', '.join(engine_names())}") from None
    return factory(runtime, **options)
