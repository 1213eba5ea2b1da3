"""The content-addressed artifact store.

Every artifact is a blob named by the sha256 of its bytes, under `objects/ab/cdef...` (`object_key`). Writes go
to a temporary file in the store's own `tmp/` folder and are renamed into place, so a reader
never sees a half-written blob and a crashed writer leaves only a temporary file behind. Reads of
bytes are verified against the name (a corrupted blob raises `ArtifactCorrupted`, never returns
wrong bytes); large files handed out by path are verified on request.

Two backends share one interface: a local folder (the default) and any fsspec URL (s3://,
gcs://, memory://...), which keeps a verified local cache for `local_path`.
"""
from __future__ import annotations

import datetime
import hashlib
import os
import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from reelgraph.nodes.hashing import sha256_file


class ArtifactMissing(FileNotFoundError):
    def __init__(self, sha256: str) -> None:
        super().__init__(f"artifact {sha256} is not in the store")
        self.sha256 = sha256


class ArtifactCorrupted(OSError):
    def __init__(self, sha256: str, actual: str) -> None:
        super().__init__(f"artifact {sha256} is corrupted in the store (its bytes hash to {actual})")
        self.sha256 = sha256


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_sha(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):  # paths are built from it: nothing else
        raise ValueError(f"'{sha256}' is not a sha256 hex digest")
    return sha256


def object_key(sha256: str) -> str:
    """Where a blob lives inside any store, local or remote: `objects/<first 2 hex>/<other 62>`."""
    _check_sha(sha256)
    return f"objects/{sha256[:2]}/{sha256[2:]}"


class LocalArtifactStore:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).resolve()
        self.tmp = self.root / "tmp"
        (self.root / "objects").mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    @property
    def uri(self) -> str:
        return str(self.root)

    def path_for(self, sha256: str) -> Path:
        return self.root / object_key(sha256)

    def uri_for(self, sha256: str) -> str:
        """The blob's address as recorded on its artifact (a path, or a URL for fsspec stores)."""
        return f"{self.uri.rstrip('/')}/{object_key(sha256)}"

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def scratch_path(self, suffix: str = "") -> Path:
        """A unique path on the store's filesystem, so moving it in is an atomic rename."""
        return self.tmp / f"{uuid.uuid4().hex}{suffix}"

    def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha256)
        if not self._touch(target):
            temporary = self.scratch_path()
            temporary.write_bytes(data)
            self._move_into_place(temporary, target)
        return sha256

    @staticmethod
    def _touch(target: Path) -> bool:
        """Mark an existing blob as just written (True), so a concurrent garbage collection, which
        spares recent blobs, keeps bytes a node has just produced again; False when absent."""
        try:
            os.utime(target)
            return True
        except FileNotFoundError:
            return False

    def put_file(self, path: Path) -> str:
        """Move a finished file into the store (copying when it lives on another filesystem)."""
        path = Path(path)
        sha256 = sha256_file(path)
        target = self.path_for(sha256)
        if self._touch(target):
            path.unlink(missing_ok=True)
            return sha256
        if path.parent != self.tmp:
            temporary = self.scratch_path()
            shutil.move(path, temporary)
            path = temporary
        self._move_into_place(path, target)
        return sha256

    def _move_into_place(self, temporary: Path, target: Path) -> None:
        target.parent.mkdir(exist_ok=True)
        os.replace(temporary, target)

    def read_bytes(self, sha256: str) -> bytes:
        try:
            data = self.path_for(sha256).read_bytes()
        except FileNotFoundError:
            raise ArtifactMissing(sha256) from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise ArtifactCorrupted(sha256, actual)
        return data

    def local_path(self, sha256: str) -> Path:
        path = self.path_for(sha256)
        if not path.exists():
            raise ArtifactMissing(sha256)
        return path

    def verify(self, sha256: str) -> None:
        """Raise ArtifactMissing or ArtifactCorrupted unless the blob is intact."""
        actual = sha256_file(self.local_path(sha256))
        if actual != sha256:
            raise ArtifactCorrupted(sha256, actual)

    def size(self, sha256: str) -> int:
        return self.local_path(sha256).stat().st_size

    def iter_blobs(self):
        """(sha256, size, mtime) of every blob in the store."""
        for folder in (self.root / "objects").iterdir():
            if not folder.is_dir() or len(folder.name) != 2:
                continue
            for entry in os.scandir(folder):
                if entry.is_file() and len(folder.name + entry.name) == 64:
                    stat = entry.stat()
                    yield folder.name + entry.name, stat.st_size, stat.st_mtime

    def delete_if_older(self, sha256: str, cutoff: float) -> bool:
        """Delete a blob unless it was modified at or after `cutoff` (epoch seconds): a writer that
        has just produced the same bytes again wins over garbage collection."""
        path = self.path_for(sha256)
        try:
            if path.stat().st_mtime >= cutoff:
                return False
            path.unlink()
            return True
        except FileNotFoundError:
            return False

    def clean_scratch(self, older_than: float) -> int:
        """Remove scratch files a crashed writer left in tmp/ (only those older than `older_than`)."""
        removed = 0
        for entry in os.scandir(self.tmp):
            try:
                if entry.is_file() and entry.stat().st_mtime < older_than:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def quarantine(self, sha256: str) -> None:
        """Move a bad blob aside (kept for inspection under quarantine/), so it is never read again
        and the next writer of the same bytes stores a good copy."""
        path = self.path_for(sha256)
        if path.exists():
            target = self.root / "quarantine" / f"{sha256}.{uuid.uuid4().hex[:8]}"
            target.parent.mkdir(exist_ok=True)
            os.replace(path, target)


class FsspecArtifactStore(LocalArtifactStore):
    """Blobs on any fsspec filesystem; the local folder is a verified read cache and scratch area."""

    def __init__(self, url: str, cache_dir: str | os.PathLike | None = None) -> None:
        import fsspec

        super().__init__(cache_dir or tempfile.mkdtemp(prefix="reelgraph-store-cache-"))
        self.url = url.rstrip("/")
        self.fs, self.base = fsspec.core.url_to_fs(self.url)

    @property
    def uri(self) -> str:
        return self.url

    def _remote(self, sha256: str) -> str:
        return f"{self.base}/{object_key(sha256)}"

    def exists(self, sha256: str) -> bool:
        return self.fs.exists(self._remote(sha256))

    def _upload(self, local: Path, sha256: str) -> None:
        remote = self._remote(sha256)
        if not self.fs.exists(remote):
            partial = f"{remote}.{uuid.uuid4().hex}.partial"
            self.fs.put_file(str(local), partial)
            self.fs.mv(partial, remote)

    def put_bytes(self, data: bytes) -> str:
        sha256 = super().put_bytes(data)
        self._upload(self.path_for(sha256), sha256)
        return sha256

    def put_file(self, path: Path) -> str:
        sha256 = super().put_file(path)
        self._upload(self.path_for(sha256), sha256)
        return sha256

    def local_path(self, sha256: str) -> Path:
        cached = self.path_for(sha256)
        if not cached.exists():
            if not self.exists(sha256):
                raise ArtifactMissing(sha256)
            temporary = self.scratch_path()
            self.fs.get_file(self._remote(sha256), str(temporary))
            actual = sha256_file(temporary)
            if actual != sha256:
                temporary.unlink()
                raise ArtifactCorrupted(sha256, actual)
            self._move_into_place(temporary, cached)
        return cached

    def read_bytes(self, sha256: str) -> bytes:
        self.local_path(sha256)
        return super().read_bytes(sha256)

    def iter_blobs(self):
        for path, info in self.fs.find(f"{self.base}/objects", detail=True).items():
            folder, name = path.rstrip("/").split("/")[-2:]
            if len(folder) == 2 and len(folder + name) == 64:
                modified = info.get("mtime") or info.get("LastModified") or info.get("created") or time.time()
                if isinstance(modified, datetime.datetime):
                    modified = modified.timestamp()
                yield folder + name, int(info.get("size") or 0), float(modified)

    def delete_if_older(self, sha256: str, cutoff: float) -> bool:
        remote = self._remote(sha256)
        try:
            modified = self.fs.modified(remote).timestamp()
        except (FileNotFoundError, NotImplementedError):
            modified = cutoff - 1 if self.fs.exists(remote) else None
        if modified is None or modified >= cutoff:
            return False
        self.fs.rm(remote)
        super().delete_if_older(sha256, float("inf"))  # the local read cache's copy too
        return True

    def quarantine(self, sha256: str) -> None:
        super().quarantine(sha256)
        remote = self._remote(sha256)
        if self.fs.exists(remote):
            self.fs.rm(remote)


ArtifactStore = LocalArtifactStore | FsspecArtifactStore


def open_store(location: str | os.PathLike) -> ArtifactStore:
    """A local folder for plain paths and file:// URLs, fsspec for every other URL."""
    text = str(location)
    if "://" in text and not text.startswith("file://"):
        return FsspecArtifactStore(text)
    return LocalArtifactStore(text.removeprefix("file://"))
