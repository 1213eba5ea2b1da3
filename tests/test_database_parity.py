"""The same graph on SQLite and on PostgreSQL records the same node runs and artifacts."""
from __future__ import annotations

import os

import pytest

from reelgraph.flows.api import run_document
from reelgraph.flows.runtime import open_runtime
from reelgraph.storage import repository as repo
from tests.conftest import REPO, _drop_schema, _postgres_schema_url, postgres_reachable


def recorded(runtime, run_id: str) -> tuple[dict, dict]:
    node_runs = {n.node_id: (n.status, n.type, n.cache_key, n.outputs, n.attempts)
                 for n in repo.list_node_runs(runtime.db, run_id)}
    shas = {sha for n in node_runs.values() for sha in n[3].values()}
    artifacts = {sha: (a.kind, a.mime, a.size, a.meta) for sha, a in repo.get_artifacts(runtime.db, shas).items()}
    return node_runs, artifacts


@pytest.mark.postgres
def test_sqlite_and_postgres_record_the_same_runs(tmp_path):
    if not postgres_reachable():
        if os.environ.get("REELGRAPH_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required but not reachable")
        pytest.skip("PostgreSQL is not reachable")
    url, schema = _postgres_schema_url()
    try:
        results = []
        for database in (f"sqlite:///{tmp_path / 'r.db'}", url):
            runtime = open_runtime(database, str(tmp_path / f"store-{len(results)}"))
            first = run_document(runtime, REPO / "examples" / "hello.yaml")
            second = run_document(runtime, REPO / "examples" / "hello.yaml", overrides=["thumb.width=100"])
            results.append((recorded(runtime, first["run_id"]), recorded(runtime, second["run_id"])))
            runtime.db.dispose()
        assert results[0] == results[1]
        assert len(results[0][0][1]) >= 5  # real artifacts were compared, not two empty sets
    finally:
        _drop_schema(schema)
