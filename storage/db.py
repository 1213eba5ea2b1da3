"""Opening the database: URL resolution, engine settings per dialect, migrations.

SQLite (the embedded default, under `.reelgraph/` in the working directory) runs in WAL mode so
readers never block the writer, with a busy timeout so concurrent writers wait instead of failing.
PostgreSQL is reached through psycopg 3. Migrations run on open when the schema is behind.

In WAL mode the .db file may hold nothing until a checkpoint: every record of a command sits in
.db-wal until the last connection closes. Every engine opened here is checkpointed and disposed
when the command ends (`close_databases`, also at interpreter exit), so a user who copies the
.db file copies the history.
"""
from __future__ import annotations

import atexit
import os
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from reelgraph.storage.db_errors import DatabaseUnavailable, explain

MIGRATIONS = Path(__file__).parent / "migrations"
DATABASE_ENV = "REELGRAPH_DATABASE_URL"


def default_database_url() -> str:
    return f"sqlite:///{Path('.reelgraph') / 'reelgraph.db'}"


def database_url(explicit: str | None = None) -> str:
    """`--db`, else REELGRAPH_DATABASE_URL, else SQLite under ./.reelgraph/."""
    url = explicit or os.environ.get(DATABASE_ENV) or default_database_url()
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):  # psycopg 3 is the driver we ship
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    elif parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        # absolute, so the URL means the same file to a Ray worker or a scheduled run elsewhere
        url = parsed.set(database=str(Path(parsed.database).resolve())).render_as_string(hide_password=False)
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL keeps it consistent
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=8, max_overflow=8)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)


def _alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


# Alembic's `context` is module-global, so two threads of one process must not migrate at once;
# across processes and machines, PostgreSQL's advisory lock (or SQLite's write lock) serialises
# them. Whoever comes second finds the schema current and does nothing.
_migration_lock = threading.Lock()
MIGRATION_LOCK_ID = 0x7265656C  # "reel"


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration, when it is not there already."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with engine.connect() as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
    with _migration_lock, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        if MigrationContext.configure(connection).get_current_revision() != head:
            command.upgrade(_alembic_config(connection), "head")


@dataclass
class Database:
    url: str
    engine: Engine

    def dispose(self) -> None:
        checkpoint_and_dispose(self.engine)
        _open_engines.discard(self.engine)


_open_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def open_database(url: str | None = None) -> Database:
    """Open (and migrate) the database; a driver failure becomes DatabaseUnavailable."""
    resolved = database_url(url)
    try:
        engine = create_db_engine(resolved)
        migrate(engine)
    except SQLAlchemyError as error:
        raise explain(resolved, error) from None
    except OSError as error:  # the SQLite file's folder cannot be made
        raise DatabaseUnavailable(resolved, f"cannot create the database's folder: {error}",
                                  "check the path and its permissions, or point --db elsewhere") from None
    _open_engines.add(engine)
    return Database(resolved, engine)


def checkpoint_and_dispose(engine: Engine) -> None:
    """Move SQLite's write-ahead log into the .db file, then close every pooled connection."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except SQLAlchemyError:
            pass  # another process holds the log; whoever closes last checkpoints it
    engine.dispose()


def close_databases() -> None:
    """Checkpoint and dispose every engine this process opened: at the end of a command."""
    for engine in list(_open_engines):
        checkpoint_and_dispose(engine)
        _open_engines.discard(engine)


atexit.register(close_databases)
