"""Request and response bodies of the studio API (pydantic), as the OpenAPI document shows them."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Issue(BaseModel):
    """A validation problem, as `reelgraph validate --json` prints it."""
    code: str
    message: str
    node: str | None = None
    field: str | None = None


class Invalid(BaseModel):
    status: str = "invalid"
    errors: list[Issue]


class RunSubmission(BaseModel):
    path: str | None = Field(None, description="A graph document in the graphs folder, e.g. hello.yaml")
    document: dict[str, Any] | None = Field(None, description="A graph document itself (instead of path)")
    overrides: list[str] = Field(default_factory=list, description="node.param=value, as `run --set`")
    targets: list[str] = Field(default_factory=list, description="Run only what these nodes need")
    engine: str | None = Field(None, description="local, ray, prefect, prefect-ray (default: the server's)")
    priority: int = Field(0, description="Higher runs first; equal priorities run in submission order")


class RunAccepted(BaseModel):
    run_id: str
    position: int | None = Field(description="1 = the next run a free worker takes; null if already taken")


class PriorityChange(BaseModel):
    priority: int


class ResumeRequest(BaseModel):
    priority: int | None = None


class QueueState(BaseModel):
    paused: bool
    queued: list[dict[str, Any]]
    running: list[dict[str, Any]]


class GraphSave(BaseModel):
    document: dict[str, Any] | None = Field(
        None, description="The document as JSON; YAML files keep their comments and layout where unchanged")
    text: str | None = Field(None, description="Or the file's full text")


class GraphSaved(BaseModel):
    path: str
    sha256: str
    revision: int
    issues: list[Issue] = Field(description="Validation problems of the saved document (saving never refuses them)")


class Upload(BaseModel):
    path: str = Field(description="Where the file is, relative to the graphs folder (use it in params)")
    sha256: str
    size: int
