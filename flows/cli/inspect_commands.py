"""runs, artifacts: the commands that look at what is recorded (catalog_commands: what is installed)."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from reelgraph.flows.cli.common import DbOption, JsonOption, StoreOption, console, fail, print_json
from reelgraph.flows.results import run_result
from reelgraph.flows.runtime import open_runtime
from reelgraph.storage import repository as repo

runs_app = typer.Typer(help="Runs recorded in the database.", no_args_is_help=True)
artifacts_app = typer.Typer(help="Artifacts in the store.", no_args_is_help=True)


@runs_app.command("list")
def runs_list(db: DbOption = None, limit: Annotated[int, typer.Option(help="At most this many")] = 50,
              json_output: JsonOption = False) -> None:
    """Runs, newest first."""
    runtime = open_runtime(db)
    from reelgraph.flows import session

    found = session.settle_dead_runs(runtime, repo.list_runs(runtime.db, limit))  # never a dead run as running
    if json_output:
        print_json([run.to_json() for run in found])
        return
    table = Table()
    for column in ("run", "graph", "status", "engine", "created", "finished"):
        table.add_column(column)
    for run in found:
        table.add_row(run.id, run.graph_name, run.status, run.engine, f"{run.created_at:%Y-%m-%d %H:%M:%S}",
                      f"{run.finished_at:%H:%M:%S}" if run.finished_at else "")
    console.print(table)


@runs_app.command("show")
def runs_show(run_id: Annotated[str, typer.Argument(help="The run id (or its first characters)")],
              db: DbOption = None, json_output: JsonOption = False) -> None:
    """A run and each of its node runs."""
    runtime = open_runtime(db)
    matches = repo.find_runs(runtime.db, run_id)
    if len(matches) != 1:
        fail(f"no run matches '{run_id}'" if not matches else f"'{run_id}' matches several runs",
             as_json=json_output)
    from reelgraph.flows import session

    run = session.settle_dead_runs(runtime, [repo.get_run(runtime.db, matches[0])])[0]
    result = {**run.to_json(), "nodes": run_result(runtime, run.id)["nodes"]}
    if json_output:
        print_json(result)
        return
    console.print(f"run [bold]{run.id}[/] of [bold]{run.graph_name}[/] on {run.engine}: {run.status}")
    table = Table()
    table.add_column("node", overflow="fold")  # expanded ids whole: caption[locale=en], not caption
    for column in ("type", "status", "attempts", "outputs", "error"):
        table.add_column(column)
    for node_id, node in result["nodes"].items():
        outputs = ", ".join(f"{port}={sha[:12]}" for port, sha in node["outputs"].items())
        # escape: Rich reads "[locale=en]" as markup and drops it
        table.add_row(escape(node_id), node["type"], node["status"], str(node["attempts"]), outputs,
                      escape(node["error"] or ""))
    console.print(table)


@artifacts_app.command("show")
def artifacts_show(sha: Annotated[str, typer.Argument(help="The sha256 (or its first characters)")],
                   db: DbOption = None, store: StoreOption = None, json_output: JsonOption = False) -> None:
    """An artifact's kind, size, local path or URI, and metadata."""
    runtime = open_runtime(db, store)
    matches = repo.find_artifacts(runtime.db, sha.lower())
    if len(matches) != 1:
        fail(f"no artifact matches '{sha}'" if not matches else f"'{sha}' matches several artifacts",
             as_json=json_output)
    artifact = matches[0]
    info = artifact.to_json()
    try:
        info["path"] = str(runtime.store.local_path(artifact.sha256))
    except FileNotFoundError:
        info["path"] = None
    if json_output:
        print_json(info)
        return
    for key, value in info.items():
        console.print(f"[bold]{key}[/]: {value}", highlight=False)


# `runs pin` / `runs unpin` belong to the store's garbage collection (store_commands), shown under `runs`.
from reelgraph.flows.cli.store_commands import runs_pin, runs_unpin  # noqa: E402

runs_app.command("pin")(runs_pin)
runs_app.command("unpin")(runs_unpin)
