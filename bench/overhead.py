"""Per-node overhead of reelgraph's engines on a 1,000-node graph of no-op nodes.

    .venv/bin/python -m bench.overhead                      # the local engine only
    .venv/bin/python -m bench.overhead --engines local,ray,prefect
    .venv/bin/python -m bench.overhead --engines local,ray --chain 1   # 1,000 independent nodes

local: a cold run (plan + record the run + execute every node, database and artifact writes
included) and a fully cached re-run. Goals on a 2-core machine: under 2 ms per node cold, under
0.5 ms cached.
ray / prefect: a cold run of the same graph (every node executed and recorded, planning included)
against the same graph as raw Ray tasks / raw Prefect tasks (each task receiving its upstream's
result), as a ratio. Goal: <= 1.2. The graph is 100 lines of 10 no-op nodes (--chain), which
reelgraph runs as fused lines packed into a few dozen tasks (flows/fusion.py); the `one task per
node` rows run it with REELGRAPH_FUSE=0.
Each figure is the median of --repeats runs, raw and reelgraph alternating so that both see the
same machine, after one warm-up run of each (Ray's workers import reelgraph once, on first use;
the `first run` row shows that cost).
"""
from __future__ import annotations

import argparse
import os
import sys
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from reelgraph.flows.api import create_run_from, execute_run
from reelgraph.flows.runtime import open_runtime
from reelgraph.graph import GraphBuilder
from reelgraph.storage import repository as repo

CHAIN = 10


def noop_graph(count: int, chain: int = CHAIN, salt: str = "") -> dict:
    """`count` util.noop nodes in chains of `chain`: parallel branches with real edges. `salt`
    changes every label, so each engine computes its own nodes instead of finding them cached."""
    g = GraphBuilder(f"noop-{count}{salt}")
    previous = None
    for index in range(count):
        inputs = {"value": previous.value} if previous is not None and index % chain else None
        previous = g.add(f"n{index}", "util.noop", inputs=inputs, label=f"node {index}{salt}")
    return g.document()


def timed_run(runtime, document: dict, workspace: Path, engine: str = "local") -> tuple[float, dict]:
    started = time.perf_counter()
    run_id, _, _ = create_run_from(runtime, document, workspace_root=workspace, engine=engine)
    execute_run(runtime, run_id)
    elapsed = time.perf_counter() - started
    return elapsed, repo.count_node_runs_by_status(runtime.db, run_id)


def raw_ray(count: int, chain: int = CHAIN) -> float:
    import ray

    @ray.remote(num_cpus=1)
    def noop(*upstream):
        return upstream[0] if upstream else 0

    started = time.perf_counter()
    refs, previous = [], None
    for index in range(count):
        previous = noop.remote(previous) if previous is not None and index % chain else noop.remote()
        refs.append(previous)
    ray.get(refs)
    return time.perf_counter() - started


def raw_prefect(count: int, chain: int = CHAIN) -> float:
    from prefect import flow, task
    from prefect.cache_policies import NONE
    from prefect.task_runners import ThreadPoolTaskRunner

    @task(cache_policy=NONE, persist_result=False)
    def noop(upstream=None):
        return upstream

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=os.cpu_count()), persist_result=False)
    def raw_graph():
        futures, previous = [], None
        for index in range(count):
            previous = noop.submit(previous) if previous is not None and index % chain else noop.submit()
            futures.append(previous)
        for future in futures:
            future.result()

    started = time.perf_counter()
    raw_graph()
    return time.perf_counter() - started


@contextmanager
def server_output_to(log: Path):
    """The temporary Prefect server is a child process writing to our stderr; at shutdown its
    services print pages of CancelledError tracebacks (work in flight is cancelled). Its stderr goes
    to a file instead (the child inherits the descriptor when it starts); the file's tail is shown
    only if the benchmark fails."""
    saved = os.dup(2)
    with open(log, "wb") as handle:
        os.dup2(handle.fileno(), 2)
    try:
        yield
    except BaseException:
        os.dup2(saved, 2)
        sys.stderr.write(log.read_text(errors="replace")[-4000:])
        raise
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def settle_prefect_server(quiet_seconds: float = 1.0, timeout: float = 300) -> None:
    """Wait until the temporary Prefect server has recorded the task runs sent so far: it records
    them from events after the flow returns, and a backlog of a thousand would slow whatever is
    measured next. Done when its count of task runs holds still for `quiet_seconds`."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        last, since, deadline = None, time.monotonic(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            count = client.request("POST", "/task_runs/count", json={}).json()
            if count != last:
                last, since = count, time.monotonic()
            elif time.monotonic() - since >= quiet_seconds:
                return
            time.sleep(0.2)


def compare(rows: list, name: str, raw, ours, repeats: int, settle=lambda: None) -> None:
    """Warm both up once, then time them alternately (`settle` between runs lets the backend catch
    up); rows get the medians and the ratios."""
    raw(0)
    settle()
    first = ours("warm-up", True)
    raws, fused, single = [], [], []
    for index in range(repeats):
        for measure, times in ((lambda: raw(index), raws), (lambda: ours(f"fused-{index}", True), fused),
                               (lambda: ours(f"single-{index}", False), single)):
            settle()
            times.append(measure())
    raw_s, fused_s, single_s = (statistics.median(v) for v in (raws, fused, single))
    rows.append((f"raw {name} tasks", raw_s, None, ""))
    rows.append((f"{name} engine cold", fused_s, fused_s / raw_s, "<= 1.2 x raw"))
    rows.append(("  one task per node", single_s, single_s / raw_s, "(REELGRAPH_FUSE=0)"))
    rows.append(("  first run", first, first / raw_s, "(workers start)"))


def engine_run(runtime, workspace: Path, count: int, engine: str, chain: int):
    def ours(salt: str, fuse: bool) -> float:
        os.environ["REELGRAPH_FUSE"] = "1" if fuse else "0"
        try:
            seconds, counts = timed_run(runtime, noop_graph(count, chain, salt=f"-{engine}-{salt}"), workspace, engine)
        finally:
            os.environ.pop("REELGRAPH_FUSE", None)
        assert counts == {"succeeded": count}, counts
        return seconds
    return ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chain", type=int, default=CHAIN,
                        help="nodes per line (1: a fan-out of independent nodes, which reelgraph packs)")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--engines", default="local", help="comma-separated: local, ray, prefect")
    args = parser.parse_args()
    engines = args.engines.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        runtime = open_runtime(args.db or f"sqlite:///{workspace / 'bench.db'}", str(workspace / "store"))
        document = noop_graph(args.nodes, args.chain)
        if "local" in engines:
            cold, counts = timed_run(runtime, document, workspace)
            cached, cached_counts = timed_run(runtime, document, workspace)
            assert counts == {"succeeded": args.nodes} and cached_counts == {"cached": args.nodes}
            rows.append(("local cold", cold, None, "< 2.0 ms/node"))
            rows.append(("local cached", cached, None, "< 0.5 ms/node"))
        if "ray" in engines:
            import ray

            ray.init(include_dashboard=False, log_to_driver=False, namespace="reelgraph")
            compare(rows, "Ray", lambda _: raw_ray(args.nodes, args.chain),
                    engine_run(runtime, workspace, args.nodes, "ray", args.chain), args.repeats)
            ray.shutdown()
        if "prefect" in engines:
            # The engine's module sets Prefect's quiet defaults (WARNING logs, no telemetry): import it
            # before Prefect reads its settings, or the raw baseline runs with INFO logs and heartbeats.
            # The temporary server's services log CancelledError and `database is locked` tracebacks
            # while it stops (work in flight is cancelled): noise, not figures, and both runs are
            # checked by their results, so the benchmark's server logs only what is critical.
            os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
            import reelgraph.flows.prefect_engine  # noqa: F401
            from prefect.testing.utilities import prefect_test_harness

            os.environ.setdefault("PREFECT_HOME", str(workspace / "prefect"))
            with server_output_to(workspace / "prefect-server.log"), prefect_test_harness(server_startup_timeout=120):
                compare(rows, "Prefect", lambda _: raw_prefect(args.nodes, args.chain),
                        engine_run(runtime, workspace, args.nodes, "prefect", args.chain), args.repeats,
                        settle_prefect_server)
    print(f"{args.nodes} no-op nodes in lines of {args.chain}, {runtime.db.engine.dialect.name}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'run':<22} {'total s':>8} {'ms/node':>8} {'ratio':>6}  goal")
    for name, seconds, ratio, goal in rows:
        ratio_text = f"{ratio:.2f}" if ratio is not None else ""
        print(f"{name:<22} {seconds:>8.3f} {seconds * 1000 / args.nodes:>8.3f} {ratio_text:>6}  {goal}")


if __name__ == "__main__":
    main()
