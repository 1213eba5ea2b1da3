"""The database (SQLite and PostgreSQL) and the content-addressed artifact store."""
from __future__ import annotations

import hashlib
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from reelgraph.storage import ArtifactCorrupted, ArtifactMissing, open_database, open_store
from reelgraph.storage.artifact_store import FsspecArtifactStore, LocalArtifactStore
from reelgraph.storage.models import Base


def test_migrations_create_exactly_the_models(database_url):
    db = open_database(database_url)
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    db.dispose()


def test_opening_twice_is_a_no_op(database_url):
    open_database(database_url).dispose()
    db = open_database(database_url)
    with db.engine.connect() as connection:
        assert connection.execute(text("select count(*) from runs")).scalar() == 0
    db.dispose()


def test_sqlite_runs_in_wal_mode(sqlite_url):
    db = open_database(sqlite_url)
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_store_is_content_addressed_and_deduplicates(tmp_path):
    store = LocalArtifactStore(tmp_path / "store")
    sha = store.put_bytes(b"hello")
    assert sha == hashlib.sha256(b"hello").hexdigest()
    assert store.put_bytes(b"hello") == sha
    assert store.read_bytes(sha) == b"hello"
    assert len(list((tmp_path / "store" / "objects").rglob("*"))) == 2  # one folder, one blob
    assert list((tmp_path / "store" / "tmp").iterdir()) == []  # no temporary left behind


def test_put_file_moves_a_finished_file_in(tmp_path):
    store = LocalArtifactStore(tmp_path / "store")
    scratch = store.scratch_path(".bin")
    scratch.write_bytes(b"video bytes")
    sha = store.put_file(scratch)
    assert not scratch.exists()
    assert store.local_path(sha).read_bytes() == b"video bytes"


def test_a_corrupted_blob_is_detected_on_read(tmp_path):
    store = LocalArtifactStore(tmp_path / "store")
    sha = store.put_bytes(b"precious frames")
    store.path_for(sha).write_bytes(b"precious frameZ")
    with pytest.raises(ArtifactCorrupted):
        store.read_bytes(sha)
    with pytest.raises(ArtifactCorrupted):
        store.verify(sha)


def test_a_missing_blob_is_reported(tmp_path):
    store = LocalArtifactStore(tmp_path / "store")
    with pytest.raises(ArtifactMissing):
        store.read_bytes("0" * 64)
    with pytest.raises(ValueError):
        store.local_path("../../etc/passwd")


def test_concurrent_writers_of_the_same_blob(tmp_path):
    store = LocalArtifactStore(tmp_path / "store")
    data = bytes(range(256)) * 4096
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.put_bytes(data))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and store.read_bytes(results[0]) == data


def test_fsspec_store_round_trips_through_its_filesystem(tmp_path):
    store = open_store(f"memory://reelgraph-test-{tmp_path.name}")
    assert isinstance(store, FsspecArtifactStore)
    sha = store.put_bytes(b"remote bytes")
    assert store.exists(sha)
    fresh = FsspecArtifactStore(store.url, cache_dir=tmp_path / "other-cache")  # another machine's cache
    assert fresh.read_bytes(sha) == b"remote bytes"
    assert fresh.local_path(sha).read_bytes() == b"remote bytes"
