"""Errors a node raises on purpose: they reach the user as a sentence, not a traceback."""
from __future__ import annotations


class NodeError(Exception):
    """A failure the user can act on.

    `param` or `port` names what was wrong, `hint` says what to do about it. The runner records
    the message (and the traceback, for the curious) on the node run.
    """

    def __init__(self, message: str, *, hint: str = "", param: str | None = None,
                 port: str | None = None, code: str = "node_failed") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.param = param
        self.port = port
        self.code = code

    def __str__(self) -> str:
        where = f"param '{self.param}': " if self.param else f"port '{self.port}': " if self.port else ""
        return f"{where}{self.message}" + (f" ({self.hint})" if self.hint else "")


class NodeCancelled(BaseException):
    """Raised by `ctx.progress` when the run was asked to stop (a cancel, Ctrl-C, SIGTERM).

    A BaseException, like KeyboardInterrupt and asyncio.CancelledError, so that a node's own broad
    `except Exception` cannot swallow it: the runner catches it, frees the node's lease and puts the
    node back to pending, so `reelgraph resume` runs it again.
    """

    def __init__(self, node_id: str) -> None:
        super().__init__(f"node '{node_id}' stopped: its run was asked to stop")
        self.node_id = node_id


class PathOutsideWorkspace(NodeError):
    def __init__(self, path: str, param: str | None = None) -> None:
        super().__init__(
            f"path '{path}' is outside the workspace",
            hint="use a path relative to the graph document's folder, or allow the folder "
                 "with REELGRAPH_ALLOWED_DIRS",
            param=param, code="path_outside_workspace")
