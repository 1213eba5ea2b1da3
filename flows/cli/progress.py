"""Live progress of a run in the terminal: one bar for the run, one line per running node."""
from __future__ import annotations

import threading
from types import TracebackType

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from reelgraph.flows.cli.common import err_console
from reelgraph.flows.events import Event, NodeFinished, NodeStarted
from reelgraph.nodes import ProgressEvent

STATUS_STYLE = {"succeeded": "green", "cached": "cyan", "failed": "bold red", "skipped": "yellow"}


class RunProgress:
    """An event sink that draws on stderr; a no-op when stderr is not a terminal."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._tasks: dict[str, TaskID] = {}
        self._started: set[str] = set()
        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                  MofNCompleteColumn(), TimeElapsedColumn(), console=err_console,
                                  transient=False)
        self._run_task = self._progress.add_task("[bold]run", total=total)

    def __enter__(self) -> RunProgress:
        if self.enabled:
            self._progress.start()
        return self

    def __exit__(self, kind: type | None, value: BaseException | None, trace: TracebackType | None) -> None:
        if self.enabled:
            self._progress.stop()

    def __call__(self, event: Event) -> None:
        if isinstance(event, NodeStarted):
            self._started.add(event.node_id)
        elif isinstance(event, ProgressEvent) and event.message and event.node_id not in self._started:
            # a node that has not started reports why it waits (another owner's lease): always say so
            err_console.print(f"  [yellow]{'waiting':>9}[/] {event.node_id}: {event.message}", highlight=False)
            return
        if not self.enabled:
            return
        with self._lock:
            if isinstance(event, NodeStarted):
                label = event.node_id if event.attempt == 1 else f"{event.node_id} (attempt {event.attempt})"
                self._tasks[event.node_id] = self._progress.add_task(f"  {label}", total=None)
            elif isinstance(event, ProgressEvent) and event.node_id in self._tasks:
                self._progress.update(self._tasks[event.node_id], completed=event.done, total=event.total)
            elif isinstance(event, NodeFinished):
                task = self._tasks.pop(event.node_id, None)
                if task is not None:
                    self._progress.remove_task(task)
                style = STATUS_STYLE.get(event.status, "")
                detail = f": {event.error}" if event.error else f" ({event.seconds:.1f}s)" if event.seconds else ""
                self._progress.console.print(f"  [{style}]{event.status:>9}[/] {escape(event.node_id + detail)}",
                                             highlight=False)
                self._progress.advance(self._run_task)

    def settle(self, already_done: int) -> None:
        """Count the nodes settled before execution (cache hits) as done."""
        self._progress.advance(self._run_task, already_done)
