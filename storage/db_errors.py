"""A database that cannot be used, said as a sentence: which URL, what is wrong, what to do.

SQLAlchemy's own exceptions carry a driver message inside a long traceback; a damaged SQLite file
raised `DatabaseError: file is not a database` through 137 lines of it. Opening the database
translates every driver failure into DatabaseUnavailable, which the CLI prints as one message.
"""
from __future__ import annotations

from sqlalchemy.engine import make_url

DB_SETTING = "--db / REELGRAPH_DATABASE_URL"


class DatabaseUnavailable(Exception):
    def __init__(self, url: str, problem: str, hint: str) -> None:
        super().__init__(f"{problem} ({safe_url(url)}); {hint}")
        self.url, self.problem, self.hint = safe_url(url), problem, hint


def safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: say it as given
        return url


def _sqlite_problem(path: str, reason: str) -> tuple[str, str]:
    lowered = reason.lower()
    if "not a database" in lowered or "malformed" in lowered or "disk image" in lowered:
        return (f"{path} is not a usable SQLite database (damaged, truncated, or another kind of file)",
                "restore it from a copy (`reelgraph db backup` makes one), or move it aside to start a "
                f"new history, or point {DB_SETTING} at the right file")
    if "unable to open" in lowered or "readonly" in lowered or "read-only" in lowered:
        return (f"cannot open or write the SQLite database {path}: {reason}",
                f"check that its folder exists and is writable, or point {DB_SETTING} elsewhere")
    if "locked" in lowered:
        return (f"the SQLite database {path} stayed locked by another process: {reason}",
                "wait for the other reelgraph command to finish, or use PostgreSQL for many writers")
    return (f"the SQLite database {path} failed: {reason}", f"check the file, or point {DB_SETTING} elsewhere")


def explain(url: str, error: BaseException) -> DatabaseUnavailable:
    """The DatabaseUnavailable for a driver error met while opening or using `url`."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0] if str(error).strip() else \
        type(error).__name__
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        problem, hint = _sqlite_problem(parsed.database or ":memory:", reason)
        return DatabaseUnavailable(url, problem, hint)
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
    if parsed.get_backend_name() == "postgresql":
        return DatabaseUnavailable(url, f"cannot use PostgreSQL at {where}: {reason}",
                                   f"check that the server is running and reachable, and the user, password "
                                   f"and database in {DB_SETTING}")
    return DatabaseUnavailable(url, f"cannot use the database: {reason}", f"check {DB_SETTING}")
