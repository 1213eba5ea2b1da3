"""One cache of loaded models per process, shared by every node that runs in it.

Loading diffusion weights costs seconds to minutes, so a model stays resident between nodes and
between runs of the same worker, keyed by everything that makes it different (model id, revision,
device, dtype). The cache is bounded by an estimate of the bytes it holds and evicts the least
recently used model first.

Locking: one lock guards the table; loading happens outside it but under a per-key lock, so two
threads asking for the same model load it once, while different models load in parallel. A
thread holds at most one key lock and takes the table lock only briefly inside it, never the other
way round, so the two locks cannot deadlock.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


def estimate_bytes(model: Any) -> int:
    """Parameter bytes of a torch module or a diffusers pipeline; 0 when unknown."""
    total = 0
    components = getattr(model, "components", None)  # a diffusers pipeline
    if isinstance(components, dict):
        modules = list(components.values())
    else:  # a torch module, or a wrapper holding one in `.model` (spandrel's ModelDescriptor)
        modules = [getattr(model, "model", model) if not hasattr(model, "parameters") else model]
    for module in modules:
        parameters = getattr(module, "parameters", None)
        if callable(parameters):
            try:
                total += sum(p.numel() * p.element_size() for p in parameters())
            except TypeError:
                continue
    return total


class ModelCache:
    def __init__(self, max_bytes: int = 16 * 1024**3) -> None:
        self.max_bytes = max_bytes
        self._models: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._table_lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self.loads = 0  # how many times a loader ran: residency tests count it

    def get(self, key: Hashable, loader: Callable[[], Any]) -> Any:
        with self._table_lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key][0]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._table_lock:
                if key in self._models:  # another thread loaded it while we waited
                    self._models.move_to_end(key)
                    return self._models[key][0]
            model = loader()
            size = estimate_bytes(model)
            with self._table_lock:
                self.loads += 1
                self._models[key] = (model, size)
                self._evict_over_budget(keep=key)
            return model

    def _evict_over_budget(self, keep: Hashable) -> None:
        while sum(size for _, size in self._models.values()) > self.max_bytes and len(self._models) > 1:
            oldest = next(iter(self._models))
            if oldest == keep:
                break
            del self._models[oldest]

    def __contains__(self, key: Hashable) -> bool:
        with self._table_lock:
            return key in self._models

    def clear(self) -> None:
        with self._table_lock:
            self._models.clear()


# The process-wide cache: every engine's worker process has exactly one.
process_model_cache = ModelCache()
