"""runs, artifacts, nodes, schemas: the commands that look at what is recorded and installed."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reelgraph.flows.cli.common import DbOption, JsonOption, StoreOption, console, fail, print_json
from reelgraph.flows.results import run_result
from reelgraph.flows.runtime import open_runtime
from reelgraph.nodes import default_registry
from reelgraph.storage import repository as repo
from reelgraph.ui_schemas.generate import export_schemas, node_schema

runs_app = typer.Typer(help="Runs recorded in the database.", no_args_is_help=True)
artifacts_app = typer.Typer(help="Artifacts in the store.", no_args_is_help=True)
nodes_app = typer.Typer(help="Installed node types.", no_args_is_help=True)
schemas_app = typer.Typer(help="JSON Schemas of documents and node types.", no_args_is_help=True)


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
    for column in ("node", "type", "status", "attempts", "outputs", "error"):
        table.add_column(column)
    for node_id, node in result["nodes"].items():
        outputs = ", ".join(f"{port}={sha[:12]}" for port, sha in node["outputs"].items())
        table.add_row(node_id, node["type"], node["status"], str(node["attempts"]), outputs, node["error"] or "")
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


@nodes_app.command("list")
def nodes_list(json_output: JsonOption = False) -> None:
    """Every installed node type (built-ins and node packs)."""
    registry = default_registry()
    rows = [{"type": t.type, "version": t.version, "title": t.title, "category": t.category,
             "gpus": t.resources.gpus} for t in registry]
    if json_output:
        print_json(rows)
    else:
        table = Table()
        for column in ("type", "version", "category", "title"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["type"], str(row["version"]), row["category"], row["title"])
        console.print(table)
    for error in registry.load_errors:
        console.print(f"[yellow]node pack {error.entry_point} failed to load: {error.error}[/]")


@nodes_app.command("show")
def nodes_show(node_type: Annotated[str, typer.Argument(help="A node type, e.g. image.resize")],
               json_output: JsonOption = False) -> None:
    """A node type's ports, params (defaults, ranges) and resources."""
    cls = default_registry().get(node_type)
    if cls is None:
        fail(f"no node type '{node_type}'; `reelgraph nodes list` shows the installed ones", as_json=json_output)
    schema = node_schema(cls)
    if json_output:
        print_json(schema)
        return
    console.print(f"[bold]{cls.type}[/] v{cls.version}: {cls.title}\n{schema['description']}\n")
    for direction in ("inputs", "outputs"):
        for port, spec in schema[direction].items():
            optional = " (optional)" if spec.get("optional") else ""
            console.print(f"  {direction[:-1]:6} [bold]{port}[/]: {spec['kind']}{optional}  {spec['description']}")
    table = Table(title="params")
    for column in ("param", "type", "default", "range", "description"):
        table.add_column(column)
    for name, prop in schema["params"].get("properties", {}).items():
        limits = [f"{symbol}{prop[key]}" for key, symbol in (("minimum", ">="), ("exclusiveMinimum", ">"),
                                                            ("maximum", "<="), ("exclusiveMaximum", "<"))
                  if key in prop]
        kind = prop.get("type") or ("|".join(str(v) for v in prop["enum"]) if "enum" in prop else "any")
        table.add_row(name, str(kind), repr(prop.get("default", "required")), " ".join(limits),
                      prop.get("description", ""))
    console.print(table)
    console.print(f"resources: {schema['resources']}; deterministic: {schema['deterministic']}")


@schemas_app.command("export")
def schemas_export(directory: Annotated[Path, typer.Argument(help="Where to write the schemas")]) -> None:
    """Write graph.schema.json and nodes/<type>.schema.json for every installed node type."""
    written = export_schemas(directory, default_registry())
    console.print(f"wrote {len(written)} schema files to {directory}")
