"""The node registry: built-in node types plus third-party packs.

Built-in nodes live in one module or package per domain (nodes/image.py, nodes/l10n/...), each
exporting a `NODE_TYPES` list; `builtin_node_types` below assembles them.

A pack registers through the `reelgraph.nodes` entry-point group. The entry point names either a
list of Node classes or a callable returning one:

    [project.entry-points."reelgraph.nodes"]
    my_pack = "my_pack.nodes:NODE_TYPES"

There is no global mutable registry: callers build one with `load_registry()` and pass it on.
"""
from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points

from reelgraph.nodes.api import Node

ENTRY_POINT_GROUP = "reelgraph.nodes"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackLoadError:
    entry_point: str
    error: str


@dataclass
class NodeRegistry:
    _types: dict[str, type[Node]] = field(default_factory=dict)
    _instances: dict[str, Node] = field(default_factory=dict)
    load_errors: list[PackLoadError] = field(default_factory=list)

    def register(self, node_type: type[Node]) -> None:
        name = getattr(node_type, "type", None)
        if not isinstance(name, str) or not name:
            raise ValueError(f"{node_type!r} has no `type` name")
        if inspect.isabstract(node_type):
            raise ValueError(f"node type '{name}' ({node_type.__qualname__}) defines no run(); "
                             "write `def run(self, ctx, params, *, <input ports>)`")
        existing = self._types.get(name)
        if existing is not None and existing is not node_type:
            raise ValueError(f"node type '{name}' is registered twice: {existing!r} and {node_type!r}")
        self._types[name] = node_type

    def register_all(self, node_types: Iterable[type[Node]]) -> None:
        for node_type in node_types:
            self.register(node_type)

    def get(self, name: str) -> type[Node] | None:
        return self._types.get(name)

    def instance(self, name: str) -> Node:
        """The shared instance of a node type (nodes are stateless; one per process is enough)."""
        node = self._instances.get(name)
        if node is None:
            node = self._instances[name] = self._types[name]()
        return node

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[type[Node]]:
        return iter(sorted(self._types.values(), key=lambda t: t.type))

    def names(self) -> list[str]:
        return sorted(self._types)


def _load_entry_points(registry: NodeRegistry) -> None:
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry_point.load()
            node_types = loaded() if callable(loaded) and not isinstance(loaded, type) else loaded
            registry.register_all(node_types)
        except Exception as error:  # a broken pack must not take the built-ins down with it
            log.warning("node pack %s failed to load: %s", entry_point.value, error)
            registry.load_errors.append(PackLoadError(entry_point.value, f"{type(error).__name__}: {error}"))


def builtin_node_types() -> list[type[Node]]:
    """Every built-in node type: the NODE_TYPES list of each domain (nodes/<domain>), in one place.
    A new domain adds itself here; a new node adds itself to its domain's NODE_TYPES."""
    from reelgraph.nodes import (diffusion, directing, image, l10n, motion, provenance, quality, review, sequence,
                                 text, upscale, util, video)

    domains = [image, text, util, upscale, video, diffusion, l10n, motion, provenance, quality, directing, sequence,
               review]
    return [node_type for domain in domains for node_type in domain.NODE_TYPES]


def load_registry(*, include_packs: bool = True) -> NodeRegistry:
    registry = NodeRegistry()
    registry.register_all(builtin_node_types())
    if include_packs:
        _load_entry_points(registry)
    return registry


@cache
def default_registry() -> NodeRegistry:
    """The process-wide registry, built once (entry points are scanned once per process)."""
    return load_registry()
