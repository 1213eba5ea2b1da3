"""What the node runner needs in any process: the database, the store and the node registry.

Engines that run nodes elsewhere (a Ray worker, a Prefect task) rebuild a Runtime there from a
RuntimeConfig, which is small and picklable.
"""
from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field

from reelgraph.flows.heartbeat import Heartbeat
from reelgraph.nodes import NodeRegistry, default_registry
from reelgraph.storage import ArtifactStore, Database, open_database, open_store
from reelgraph.storage.records import RunInfo

DEFAULT_STORE = os.path.join(".reelgraph", "store")
STORE_ENV = "REELGRAPH_STORE"


def store_location(explicit: str | None = None) -> str:
    """`--store`, else REELGRAPH_STORE, else ./.reelgraph/store."""
    return explicit or os.environ.get(STORE_ENV) or DEFAULT_STORE


@dataclass(frozen=True)
class RuntimeConfig:
    database_url: str
    store_uri: str


@dataclass
class Runtime:
    db: Database
    store: ArtifactStore
    registry: NodeRegistry
    worker: str = field(default_factory=lambda: f"pid-{os.getpid()}")
    host: str = field(default_factory=socket.gethostname)
    heartbeat: Heartbeat | None = None
    _runs: dict[str, RunInfo] = field(default_factory=dict)
    _runs_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.heartbeat is None:
            self.heartbeat = Heartbeat(self.db)

    @property
    def config(self) -> RuntimeConfig:
        return RuntimeConfig(self.db.url, self.store.uri)

    def remember_run(self, run: RunInfo) -> None:
        with self._runs_lock:
            self._runs[run.id] = run

    def cached_run(self, run_id: str) -> RunInfo | None:
        with self._runs_lock:
            return self._runs.get(run_id)


def open_runtime(database_url: str | None = None, store: str | None = None, *,
                 registry: NodeRegistry | None = None) -> Runtime:
    """A run's events never go through the Runtime (one per process, shared by runs): each call
    that runs nodes takes its own `on_event` sink."""
    return Runtime(db=open_database(database_url), store=open_store(store_location(store)),
                   registry=registry or default_registry())


def runtime_from_config(config: RuntimeConfig) -> Runtime:
    return open_runtime(config.database_url, config.store_uri)


_process_runtimes: dict[RuntimeConfig, Runtime] = {}
_process_runtimes_lock = threading.Lock()


def process_runtime(config: RuntimeConfig) -> Runtime:
    """The Runtime of this process for a configuration: a worker (Ray task, Prefect task) opens
    the database and the store once and reuses them for every node it runs."""
    with _process_runtimes_lock:
        runtime = _process_runtimes.get(config)
        if runtime is None:
            runtime = _process_runtimes[config] = runtime_from_config(config)
        return runtime
