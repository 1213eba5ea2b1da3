"""`reelgraph db backup`: a consistent copy of a SQLite database while it may be in use.

Copying the .db file is not a backup in WAL mode (recent records may sit in .db-wal) nor while
a run writes; SQLite's online backup API copies a consistent snapshot, WAL included.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from reelgraph.storage.db import Database


class BackupRefused(Exception):
    pass


def backup_sqlite(db: Database, destination: str | Path) -> Path:
    """Copy the database to `destination` (a new file) and return its path."""
    if db.engine.dialect.name != "sqlite":
        raise BackupRefused("the database is PostgreSQL: back it up with `pg_dump` "
                            "(e.g. pg_dump -Fc -f reelgraph.dump DATABASE)")
    target = Path(destination)
    if target.exists():
        raise BackupRefused(f"{target} exists already; name a new file")
    if not target.parent.is_dir():
        raise BackupRefused(f"{target.parent} is not a folder; create it first")
    partial = target.with_name(target.name + ".partial")
    connection = db.engine.raw_connection()
    try:
        copy = sqlite3.connect(partial)
        try:
            connection.driver_connection.backup(copy)
        finally:
            copy.close()
        partial.replace(target)  # a reader never sees half a backup
    except (sqlite3.Error, OSError) as error:
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"cannot write the backup to {target}: {error}") from None
    finally:
        connection.close()
    return target
