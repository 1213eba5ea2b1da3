"""Garbage collection and disk usage of a runtime's store, with the codecs that know which blobs a
manifest lists (storage/ stays free of the node library; see storage/garbage.py for the rules)."""
from __future__ import annotations

from collections.abc import Callable

from reelgraph.flows.runtime import Runtime
from reelgraph.nodes.ports import port_kind
from reelgraph.storage import garbage
from reelgraph.storage.garbage import GcPolicy, GcReport, RunUsage


def manifest_children(runtime: Runtime) -> garbage.ChildrenOf:
    def children_of(kind: str, sha256: str) -> list[str]:
        try:
            spec = port_kind(kind)
        except (ValueError, KeyError):  # a kind this version does not know: a single blob
            return []
        return spec.codec.children(sha256, runtime.store)
    return children_of


def collect_garbage(runtime: Runtime, policy: GcPolicy = GcPolicy(), *, dry_run: bool = False,
                    before_delete: Callable[[], None] | None = None) -> GcReport:
    return garbage.collect_garbage(runtime.db, runtime.store, manifest_children(runtime), policy,
                                   dry_run=dry_run, before_delete=before_delete)


def disk_usage(runtime: Runtime) -> tuple[list[RunUsage], int, int]:
    return garbage.disk_usage(runtime.db, runtime.store, manifest_children(runtime))
