"""Load on the studio: 50 runs of hello.yaml submitted at once while 20 clients follow the events.

    .venv/bin/python -m bench.studio [--runs 50] [--clients 20] [--workers 2] [--db URL]

A real `reelgraph ui` subprocess (uvicorn, its queue workers, SQLite unless --db) on a fresh
database. The 20 clients hold `GET /api/v1/events` (every event of every run) from before the
first submission until every run has finished. It checks that every run succeeded and that each
stream got every event row, in order, with no id missing (ids are gap-free); and prints
submissions per second (50 POSTs in flight together) and event latency (row written -> client
received, one clock).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-studio-token"


def start_server(workdir: Path, db_url: str, workers: int) -> tuple[subprocess.Popen, str]:
    command = [str(Path(sys.executable).parent / "reelgraph"), "ui", "--port", "0", "--workers", str(workers),
               "--graphs", str(workdir), "--db", db_url, "--store", str(workdir / "store")]
    process = subprocess.Popen(command, cwd=workdir, env={**os.environ, "REELGRAPH_UI_TOKEN": TOKEN},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        if "login URL:" in line:
            return process, line.split("login URL:")[1].strip().split("/login")[0]
    raise SystemExit(f"reelgraph ui exited with {process.wait()}")


async def follow(client: httpx.AsyncClient, runs: int, received: list, ready: asyncio.Event) -> None:
    """Every event until `runs` run_finished events arrived: (id, kind, latency in seconds)."""
    finished = 0
    async with client.stream("GET", "/api/v1/events", timeout=None) as response:
        ready.set()
        event_id = kind = None
        async for line in response.aiter_lines():
            if line.startswith("id:"):
                event_id = int(line[3:])
            elif line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data = json.loads(line[5:])
                written = datetime.fromisoformat(data["created_at"]).timestamp()
                received.append((event_id, kind, time.time() - written, written))
                finished += kind == "run_finished"
                if finished == runs:
                    return


async def load(base: str, runs: int, clients: int) -> dict:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    limits = httpx.Limits(max_connections=clients + runs + 10)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as client:
        streams: list[list] = [[] for _ in range(clients)]
        ready = [asyncio.Event() for _ in range(clients)]
        followers = [asyncio.create_task(follow(client, runs, streams[i], ready[i])) for i in range(clients)]
        await asyncio.gather(*(event.wait() for event in ready))
        started = time.perf_counter()
        answers = await asyncio.gather(*(client.post("/api/v1/runs", json={"path": "hello.yaml"}) for _ in range(runs)))
        submitted = time.perf_counter() - started
        burst_over = time.time()
        assert all(answer.status_code == 202 for answer in answers), [a.text for a in answers if a.status_code != 202]
        run_ids = [answer.json()["run_id"] for answer in answers]
        await asyncio.wait_for(asyncio.gather(*followers), timeout=600)
        drained = time.perf_counter() - started
        statuses = [(await client.get(f"/api/v1/runs/{run_id}")).json()["status"] for run_id in run_ids]
    return {"streams": streams, "submitted": submitted, "drained": drained, "statuses": statuses,
            "burst_over": burst_over}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default=None, help="Database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-studio-") as temporary:
        workdir = Path(temporary)
        shutil.copy(REPO / "examples" / "hello.yaml", workdir / "hello.yaml")
        shutil.copytree(REPO / "examples" / "assets", workdir / "assets")
        db_url = args.db or f"sqlite:///{workdir / 'reelgraph.db'}"
        server, base = start_server(workdir, db_url, args.workers)
        try:
            result = asyncio.run(load(base, args.runs, args.clients))
        finally:
            server.terminate()
            server.wait(timeout=30)
            server.stdout.close()
    streams = result["streams"]
    reference = [event[0] for event in streams[0]]
    gap_free = all([event[0] for event in stream] == list(range(1, len(stream) + 1)) for stream in streams)
    identical = all([event[0] for event in stream] == reference for stream in streams)
    latencies = sorted(event[2] for stream in streams for event in stream)
    after_burst = sorted(event[2] for stream in streams for event in stream if event[3] > result["burst_over"])
    succeeded = result["statuses"].count("succeeded")
    print(f"runs: {succeeded}/{args.runs} succeeded in {result['drained']:.1f} s "
          f"({args.runs / result['drained']:.1f} runs/s, {args.workers} workers)")
    print(f"submissions: {args.runs} in {result['submitted']:.2f} s = {args.runs / result['submitted']:.0f}/s")
    print(f"streams: {args.clients} x {len(reference)} events; gap-free: {gap_free}; all identical: {identical}")
    print(f"event latency (written -> received): p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    if after_burst:
        print(f"  after the submissions returned: p50 {statistics.median(after_burst) * 1000:.0f} ms, "
              f"p95 {after_burst[int(len(after_burst) * 0.95)] * 1000:.0f} ms ({len(after_burst)} deliveries)")
    if succeeded != args.runs or not gap_free or not identical:
        raise SystemExit("FAILED: a run did not succeed or a stream lost events")


if __name__ == "__main__":
    main()
