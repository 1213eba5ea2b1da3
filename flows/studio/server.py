"""`reelgraph ui` and `reelgraph worker`: the processes around the app and the worker loop."""
from __future__ import annotations

import logging
import signal
import socket
import threading
from pathlib import Path

from reelgraph.flows.runtime import Runtime
from reelgraph.flows.studio.worker import QueueWorker, start_worker_threads, worker_name

log = logging.getLogger(__name__)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one (tests), and the URL printed says which."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(runtime: Runtime, *, host: str, port: int, workers: int, graphs_dir: Path, engine: str,
          state_dir: Path, token: str, announce=print) -> None:
    import uvicorn

    from reelgraph.flows.studio.app import create_app, editor_built
    from reelgraph.flows.studio.context import StudioConfig

    config = StudioConfig(graphs_dir=graphs_dir.resolve(), token=token, default_engine=engine,
                          state_dir=state_dir.resolve())
    app = create_app(runtime, config)
    sock = bind(host, port)
    actual_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{actual_port}"
    stop = threading.Event()
    threads = start_worker_threads(runtime, workers, stop)
    announce(f"reelgraph studio on {base} (graphs: {config.graphs_dir}; {workers} queue worker(s), engine {engine})")
    announce(f"login URL: {base}/login?token={token}")
    if not editor_built():
        announce("the editor is not built: `make ui` builds it; the API works without it")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                           timeout_graceful_shutdown=3))
    try:
        server.run(sockets=[sock])
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        runtime.db.dispose()  # SQLite: leave nothing in the -wal file (PITFALLS)


def work(runtime: Runtime, *, workers: int, engine: str | None, announce=print) -> None:
    """Run queue workers in this process until SIGINT/SIGTERM."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    announce(f"reelgraph worker {worker_name()}: {workers} worker(s) on {runtime.db.url.split('@')[-1]}")
    if workers == 1:
        QueueWorker(runtime, name=worker_name(0), engine=engine).run_forever(stop)
    else:
        threads = start_worker_threads(runtime, workers, stop, engine=engine)
        while any(thread.is_alive() for thread in threads) and not stop.is_set():
            stop.wait(1.0)
        for thread in threads:
            thread.join()
    runtime.db.dispose()
