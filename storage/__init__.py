"""Persistence: the SQL database (runs, node runs, artifacts) and the content-addressed store."""
from reelgraph.storage.artifact_store import ArtifactCorrupted, ArtifactMissing, ArtifactStore, open_store
from reelgraph.storage.db import Database, database_url, open_database

__all__ = ["ArtifactCorrupted", "ArtifactMissing", "ArtifactStore", "Database", "database_url",
           "open_database", "open_store"]
