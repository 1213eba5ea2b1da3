"""The studio's web app: every router wired here, once.

    app = create_app(runtime, StudioConfig(graphs_dir=Path("."), token="..."))

The API lives under /api/v1 (OpenAPI at /api/v1/openapi.json); the editor's built files (package
data in flows/studio/static/) are served at /. Every route needs the token (auth.py).
"""
from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from reelgraph.flows.runtime import Runtime
from reelgraph.flows.studio import (artifacts_api, documents_api, graphs_api, queue, runs_api, uploads)
from reelgraph.flows.studio.auth import TokenAuth, login_router
from reelgraph.flows.studio.context import Studio, StudioConfig
from reelgraph.flows.studio.events import EventHub

API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).parent / "static"
ROUTERS = (documents_api.router, graphs_api.router, runs_api.router, queue.router, artifacts_api.router,
           uploads.router)

_NO_EDITOR = """<!doctype html><meta charset="utf-8"><title>reelgraph studio</title>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>reelgraph studio</h1><p>The API is running at <a href="/api/v1/docs">/api/v1</a>, but the editor
has not been built into this installation. Build it with <code>make ui</code> (Node 20) and restart
<code>reelgraph ui</code>.</p></body>"""


def editor_built() -> bool:
    return (STATIC_DIR / "index.html").is_file()


def create_app(runtime: Runtime, config: StudioConfig) -> FastAPI:
    hub = EventHub(runtime.db)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        task = asyncio.create_task(hub.run(), name="reelgraph-event-hub")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title="reelgraph studio", version="1", lifespan=lifespan, openapi_url=f"{API_PREFIX}/openapi.json",
                  docs_url=f"{API_PREFIX}/docs", redoc_url=None)
    app.state.studio = Studio(runtime=runtime, config=config, hub=hub)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(login_router)
    if editor_built():
        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="editor")
    else:
        app.add_api_route("/", lambda: HTMLResponse(_NO_EDITOR), include_in_schema=False)
    app.add_middleware(TokenAuth, token=config.token)
    return app
