"""Saved versions of the studio's graph files: every PUT keeps the text it wrote."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from reelgraph.storage.db import Database
from reelgraph.storage.models import GraphRevisionRecord
from reelgraph.storage.repository import now

revisions = GraphRevisionRecord.__table__


@dataclass(frozen=True)
class GraphRevision:
    id: int
    path: str
    sha256: str
    saved_by: str | None
    created_at: datetime
    size: int

    def to_json(self) -> dict:
        return {"id": self.id, "path": self.path, "sha256": self.sha256, "saved_by": self.saved_by,
                "created_at": self.created_at.isoformat(), "size": self.size}


def add_revision(db: Database, path: str, sha256: str, content: str, saved_by: str | None) -> int:
    with db.engine.begin() as connection:
        return connection.execute(insert(revisions).values(
            path=path, sha256=sha256, content=content, saved_by=saved_by, created_at=now())
            .returning(revisions.c.id)).scalar_one()


def has_revision(db: Database, path: str, sha256: str) -> bool:
    with db.engine.connect() as connection:
        return connection.scalar(select(revisions.c.id).where(
            (revisions.c.path == path) & (revisions.c.sha256 == sha256)).limit(1)) is not None


def list_revisions(db: Database, path: str) -> list[GraphRevision]:
    """Newest first."""
    with db.engine.connect() as connection:
        rows = connection.execute(select(revisions).where(revisions.c.path == path)
                                  .order_by(revisions.c.id.desc()))
        return [GraphRevision(row.id, row.path, row.sha256, row.saved_by, row.created_at,
                              len(row.content.encode("utf-8"))) for row in rows]


def revision_content(db: Database, path: str, revision_id: int) -> str | None:
    with db.engine.connect() as connection:
        return connection.scalar(select(revisions.c.content).where(
            (revisions.c.path == path) & (revisions.c.id == revision_id)))
