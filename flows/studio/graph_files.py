"""The graphs folder: the documents the studio lists, serves and saves, with their revisions.

Paths are relative to the folder and stay inside it (no absolute paths, no `..`, no hidden
parts). A save is compare-and-swap on the file's sha256 (the ETag): under a lock, the file's
current hash must equal the If-Match the client read, then the new text is written to a
temporary file and renamed over the old one, so readers see the old file or the new, never half.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reelgraph.flows.studio.yaml_roundtrip import updated_yaml

GRAPH_SUFFIXES = (".yaml", ".yml", ".json")
_save_lock = threading.Lock()


class BadPath(ValueError):
    pass


class PreconditionFailed(Exception):
    def __init__(self, current: str | None) -> None:
        super().__init__("the file changed since it was read")
        self.current = current


@dataclass(frozen=True)
class GraphFile:
    path: str        # relative, with forward slashes
    file: Path
    text: str
    sha256: str


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def resolve(root: Path, relative: str, suffixes: tuple[str, ...] = GRAPH_SUFFIXES) -> Path:
    parts = PurePosixPath(relative.replace("\\", "/")).parts
    if not parts or relative.startswith("/") or any(p in ("..", ".") or p.startswith(".") for p in parts):
        raise BadPath(f"'{relative}' is not a path inside the graphs folder (no '..', no hidden parts)")
    if suffixes and not relative.lower().endswith(suffixes):
        raise BadPath(f"'{relative}' must end in one of {', '.join(suffixes)}")
    path = root.resolve().joinpath(*parts)
    if root.resolve() not in path.resolve().parents:
        raise BadPath(f"'{relative}' leads outside the graphs folder")
    return path


def list_graphs(root: Path) -> list[dict]:
    found = []
    root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "out"))
        for name in sorted(filenames):
            if name.lower().endswith(GRAPH_SUFFIXES) and not name.startswith("."):
                file = Path(dirpath) / name
                data = file.read_bytes()
                found.append({"path": file.relative_to(root).as_posix(), "sha256": hashlib.sha256(data).hexdigest(),
                              "size": len(data), "modified": file.stat().st_mtime})
    return found


def read_graph(root: Path, relative: str) -> GraphFile | None:
    file = resolve(root, relative)
    if not file.is_file():
        return None
    text = file.read_text(encoding="utf-8")
    return GraphFile(relative, file, text, sha256_text(text))


def render(file: Path, old_text: str | None, document: dict) -> str:
    if file.suffix.lower() == ".json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return updated_yaml(old_text, document)


@contextmanager
def _locked(root: Path):
    with _save_lock, open(root / ".reelgraph-graphs.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save_graph(root: Path, relative: str, *, if_match: str | None, text: str | None = None,
               document: dict | None = None) -> tuple[GraphFile, str | None]:
    """Write a graph file if it still has the sha256 `if_match` (None: it must not exist yet, or
    "*": any). Returns (the new file, the text it replaced or None)."""
    file = resolve(root, relative)
    with _locked(root.resolve()):
        old_text = file.read_text(encoding="utf-8") if file.is_file() else None
        current = sha256_text(old_text) if old_text is not None else None
        if if_match != "*" and if_match != current:
            raise PreconditionFailed(current)
        new_text = text if text is not None else render(file, old_text, document or {})
        file.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=file.parent, prefix=".saving-", suffix=file.suffix)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(new_text)
        os.replace(temporary, file)
    return GraphFile(relative, file, new_text, sha256_text(new_text)), old_text
