"""What a running node can reach: artifact I/O, its workspace, device, seeds, progress, models.

The runner (flows/) builds one NodeContext per execution. Nodes only see the `BlobStore`
protocol, never the storage package, so a node runs the same in-process, on Prefect or on Ray.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reelgraph.nodes.errors import NodeCancelled
from reelgraph.nodes.model_cache import ModelCache, process_model_cache
from reelgraph.nodes.workspace import Workspace

if TYPE_CHECKING:
    import numpy as np


class BlobStore(Protocol):
    """Content-addressed bytes. Implemented by storage.artifact_store."""

    def put_bytes(self, data: bytes) -> str: ...
    def put_file(self, path: Path) -> str: ...
    def read_bytes(self, sha256: str) -> bytes: ...
    def local_path(self, sha256: str) -> Path: ...
    def scratch_path(self, suffix: str = "") -> Path: ...


@dataclass(frozen=True)
class ProgressEvent:
    node_id: str
    done: float
    total: float | None
    message: str = ""


@dataclass
class NodeContext:
    node_id: str
    run_id: str
    store: BlobStore
    workspace: Workspace
    device: str = "cpu"
    models: ModelCache = field(default_factory=lambda: process_model_cache)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("reelgraph.node"))
    on_progress: Callable[[ProgressEvent], None] | None = None
    # How this node's inputs were made (run, graph, upstream nodes, models, seeds), read from the
    # run's records on demand; provenance nodes embed it. None outside a recorded run.
    lineage: Callable[[], dict] | None = None
    # True once the run was asked to stop; progress() then raises NodeCancelled, so a long node
    # stops at its next progress call instead of running to its end.
    should_stop: Callable[[], bool] | None = None

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        """Report progress; engines forward it to the CLI whatever process the node runs in.

        Raises NodeCancelled when the run was asked to stop: call it often in long loops."""
        if self.should_stop is not None and self.should_stop():
            raise NodeCancelled(self.node_id)
        if self.on_progress is not None:
            self.on_progress(ProgressEvent(self.node_id, done, total, message))

    def resolve_path(self, path: str, *, param: str | None = None) -> Path:
        return self.workspace.resolve(path, param=param)

    def scratch_path(self, suffix: str = "") -> Path:
        """A fresh path next to the store, for files a node writes (ffmpeg output...)."""
        return self.store.scratch_path(suffix)

    def rng(self, seed: int) -> np.random.Generator:
        import numpy as np  # here, not at the top: listing and validating nodes never need numpy

        return np.random.default_rng(seed)
