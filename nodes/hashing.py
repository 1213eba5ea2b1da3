"""Content hashing, written once: canonical JSON and the sha256 of a file.

Cache keys, graph hashes, JSON artifacts, image and frame manifests all hash canonical JSON, and
the artifact store, file params and provenance all hash files: each uses these two functions, so
the same value hashes the same everywhere.
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

HASH_CHUNK = 1024 * 1024


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8. NaN and infinities raise ValueError: they are not JSON,
    and a value that does not round-trip must not be given a key or an artifact hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def sha256_file(path: str | os.PathLike) -> str:
    """The sha256 hex digest of a file's bytes, read in chunks (any size, bounded memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
