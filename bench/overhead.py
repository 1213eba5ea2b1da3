"""Per-node overhead of the local engine on a 1,000-node graph of no-op nodes.

    .venv/bin/python -m bench.overhead [--nodes 1000] [--db URL]

Cold: plan + record the run + execute every node (database writes and artifact writes included).
Cached: the same graph again, where every node comes from the cache. Goals on a 2-core machine:
under 2 ms per node cold, under 0.5 ms per node cached.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from flows.api import create_run_from, execute_run
from flows.runtime import open_runtime
from graph import GraphBuilder
from storage import repository as repo


def noop_graph(count: int, chain: int = 10) -> dict:
    """`count` util.noop nodes in chains of `chain`: parallel branches with real edges."""
    g = GraphBuilder(f"noop-{count}")
    previous = None
    for index in range(count):
        inputs = {"value": previous.value} if previous is not None and index % chain else None
        previous = g.add(f"n{index}", "util.noop", inputs=inputs, label=f"node {index}")
    return g.document()


def timed_run(runtime, document: dict, workspace: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    run_id, _, _ = create_run_from(runtime, document, workspace_root=workspace)
    execute_run(runtime, run_id)
    elapsed = time.perf_counter() - started
    return elapsed, repo.count_node_runs_by_status(runtime.db, run_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        runtime = open_runtime(args.db or f"sqlite:///{workspace / 'bench.db'}", str(workspace / "store"))
        document = noop_graph(args.nodes)
        cold, cold_counts = timed_run(runtime, document, workspace)
        cached, cached_counts = timed_run(runtime, document, workspace)
        assert cold_counts == {"succeeded": args.nodes}, cold_counts
        assert cached_counts == {"cached": args.nodes}, cached_counts
        print(f"local engine, {args.nodes} no-op nodes, {runtime.db.engine.dialect.name}")
        print(f"{'run':<8} {'total s':>9} {'ms/node':>9} {'goal':>8}")
        print(f"{'cold':<8} {cold:>9.3f} {cold * 1000 / args.nodes:>9.3f} {'< 2.0':>8}")
        print(f"{'cached':<8} {cached:>9.3f} {cached * 1000 / args.nodes:>9.3f} {'< 0.5':>8}")


if __name__ == "__main__":
    main()
