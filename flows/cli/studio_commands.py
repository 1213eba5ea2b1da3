"""ui, worker: the studio server and the queue worker. FastAPI and uvicorn are imported when a
command runs, never when the CLI loads."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reelgraph.flows.cli.common import EXIT_INVALID, DbOption, StoreOption, console, fail
from reelgraph.flows.engines import engine_names

WorkersOption = Annotated[int, typer.Option("--workers", min=0, help="Queue workers in this process")]


def ui(host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
       port: Annotated[int, typer.Option(help="Port (0: any free one)")] = 8740,
       workers: WorkersOption = 1,
       graphs: Annotated[Path, typer.Option("--graphs", help="The folder of graph documents and uploads")] = Path("."),
       engine: Annotated[str, typer.Option(help=f"Default engine of submitted runs: {', '.join(engine_names())}")] = "local",
       db: DbOption = None, store: StoreOption = None) -> None:
    """The studio: the HTTP API (/api/v1), the editor (/) and N queue workers. Prints a login URL."""
    if engine not in engine_names():
        fail(f"unknown engine '{engine}'; choose one of {', '.join(engine_names())}", EXIT_INVALID)
    if not graphs.is_dir():
        fail(f"--graphs {graphs} is not a folder", EXIT_INVALID)
    from reelgraph.flows.runtime import open_runtime
    from reelgraph.flows.studio.auth import load_or_create_token
    from reelgraph.flows.studio.server import serve

    state_dir = Path(".reelgraph")
    token = load_or_create_token(state_dir)
    serve(open_runtime(db, store), host=host, port=port, workers=workers, graphs_dir=graphs, engine=engine,
          state_dir=state_dir, token=token, announce=lambda line: console.print(line, highlight=False, soft_wrap=True))


def worker(engine: Annotated[str | None, typer.Option(
               help="Run every claimed run on this engine (default: the engine each run was submitted with)")] = None,
           workers: WorkersOption = 1, db: DbOption = None, store: StoreOption = None) -> None:
    """Take runs from the studio's queue (the database) and execute them, until stopped."""
    if engine is not None and engine not in engine_names():
        fail(f"unknown engine '{engine}'; choose one of {', '.join(engine_names())}", EXIT_INVALID)
    from reelgraph.flows.runtime import open_runtime
    from reelgraph.flows.studio.server import work

    work(open_runtime(db, store), workers=max(workers, 1), engine=engine,
         announce=lambda line: console.print(line, highlight=False, soft_wrap=True))
