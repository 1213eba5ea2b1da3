"""nodes, schemas: the commands that look at what is installed (no database)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reelgraph.flows.cli.common import JsonOption, console, fail, print_json
from reelgraph.nodes import default_registry
from reelgraph.ui_schemas.generate import export_schemas, node_schema

nodes_app = typer.Typer(help="Installed node types.", no_args_is_help=True)
schemas_app = typer.Typer(help="JSON Schemas of documents and node types.", no_args_is_help=True)


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
