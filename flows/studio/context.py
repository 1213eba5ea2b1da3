"""What every route of one studio server shares: the runtime, the graphs folder, the token, the
event hub. Routes reach it through `studio(request)`; it is built once, in app.create_app."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException, Request

from reelgraph.flows.runtime import Runtime
from reelgraph.flows.studio.events import EventHub

DEFAULT_UPLOAD_LIMIT = 256 * 1024 * 1024


@dataclass
class StudioConfig:
    graphs_dir: Path                     # documents, uploads and the files graphs read
    token: str
    default_engine: str = "local"
    upload_limit: int = DEFAULT_UPLOAD_LIMIT
    state_dir: Path = field(default_factory=lambda: Path(".reelgraph"))  # previews cache, token file


@dataclass
class Studio:
    runtime: Runtime
    config: StudioConfig
    hub: EventHub


def studio(request: Request) -> Studio:
    return request.app.state.studio


def not_found(what: str) -> HTTPException:
    return HTTPException(404, detail=what)


def conflict(message: str) -> HTTPException:
    return HTTPException(409, detail=message)
