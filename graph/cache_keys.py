"""Content-addressed cache keys.

key(node) = sha256(canonical JSON of {type, version, params with defaults filled, inputs: {port:
[upstream key, upstream port]} (a gathering input: [[key, port], ...] in matrix order), files:
{param: sha256 of the file's bytes}, salt}).

It is a Merkle key over the upstream graph: it names what a node computes, never where it sits, so
it is independent of node ids, key order, process and machine (never Python's salted `hash()`).
A non-deterministic node passes the run id as `salt`, so it never matches an earlier run.
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from reelgraph.nodes.hashing import canonical_json, sha256_file

__all__ = ["cache_key", "canonical_json", "file_digest"]

_file_digests: dict[tuple[str, int, int], str] = {}
_file_digests_lock = threading.Lock()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, remembered per (path, size, mtime) so unchanged files hash once."""
    stat = os.stat(path)
    memo_key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _file_digests_lock:
        if memo_key in _file_digests:
            return _file_digests[memo_key]
    digest = sha256_file(path)
    with _file_digests_lock:
        _file_digests[memo_key] = digest
    return digest


def cache_key(*, node_type: str, version: int, params: dict, inputs: dict[str, tuple[str, str]],
              gathered: dict[str, list[tuple[str, str]]] | None = None, files: dict[str, str] | None = None,
              salt: str = "") -> str:
    """`gathered`: a gathering input's branches, [upstream key, upstream port] each, in matrix order
    (a list of pairs, where a plain input is one pair, so the two can never give the same key)."""
    edges: dict[str, list] = {port: [key, upstream_port] for port, (key, upstream_port) in inputs.items()}
    edges.update({port: [[key, upstream_port] for key, upstream_port in branches]
                  for port, branches in (gathered or {}).items()})
    payload = {
        "type": node_type,
        "version": version,
        "params": params,
        "inputs": edges,
        "files": files or {},
        "salt": salt,
    }
    return hashlib.sha256(canonical_json(payload)).hexdigest()
