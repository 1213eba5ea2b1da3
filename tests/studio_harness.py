"""A real studio server for tests: uvicorn on an ephemeral port in a thread, a real database and
store, real queue workers; and helpers to read its SSE streams and wait on its state."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

TOKEN = "test-token-0123456789"


def gated_document(started: Path, release: Path) -> dict:
    """A node that starts, says so in `started`, and finishes once `release` exists."""
    return {"reelgraph": 1, "name": "gated", "nodes": {
        "gate": {"type": "testpack.wait_for_file", "params": {"started": str(started), "release": str(release)}},
        "after": {"type": "util.noop", "inputs": {"value": "gate.value"}}}}


@dataclass
class Event:
    id: int
    kind: str
    data: dict


def read_sse(response: httpx.Response) -> Iterator[Event]:
    """Parse a text/event-stream response into events (comments and retry lines skipped)."""
    event_id, kind, data = None, None, []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield Event(int(event_id), kind, json.loads("\n".join(data)))
            event_id, kind, data = None, None, []
        elif line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


def wait_until(condition: Callable[[], object], timeout: float = 60.0, interval: float = 0.05, what: str = "") -> object:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or condition}")
        time.sleep(interval)


@dataclass
class StudioServer:
    base_url: str
    client: httpx.Client
    runtime: object
    graphs_dir: Path
    stop: threading.Event
    server: object
    threads: list = field(default_factory=list)

    def events(self, run_id: str | None = None, last_event_id: int | None = None, timeout: float = 120) -> list[Event]:
        """A run's whole event stream (the server ends it after run_finished)."""
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        params = {"run_id": run_id} if run_id else {}
        with self.client.stream("GET", "/api/v1/events", params=params, headers=headers, timeout=timeout) as response:
            assert response.status_code == 200, response.read()
            return list(read_sse(response))

    def submit(self, **body) -> str:
        response = self.client.post("/api/v1/runs", json=body)
        assert response.status_code == 202, response.text
        return response.json()["run_id"]

    def wait_finished(self, run_id: str, timeout: float = 120) -> dict:
        def finished():
            run = self.client.get(f"/api/v1/runs/{run_id}").json()
            return run if run["status"] in ("succeeded", "failed", "cancelled", "interrupted") else None
        return wait_until(finished, timeout, what=f"run {run_id} to finish")


def start_studio(runtime, graphs_dir: Path, state_dir: Path, *, workers: int = 1, upload_limit: int | None = None):
    import uvicorn

    from reelgraph.flows.studio.app import create_app
    from reelgraph.flows.studio.context import StudioConfig
    from reelgraph.flows.studio.server import bind
    from reelgraph.flows.studio.worker import start_worker_threads

    config = StudioConfig(graphs_dir=graphs_dir, token=TOKEN, state_dir=state_dir)
    if upload_limit is not None:
        config.upload_limit = upload_limit
    app = create_app(runtime, config)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 30, what="the server to start")
    stop = threading.Event()
    threads = [thread, *start_worker_threads(runtime, workers, stop)]
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    return StudioServer(base, client, runtime, graphs_dir, stop, server, threads)


def stop_studio(studio: StudioServer) -> None:
    studio.stop.set()
    studio.server.should_exit = True
    studio.client.close()
    for thread in studio.threads:
        thread.join(timeout=30)
