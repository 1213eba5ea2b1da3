"""What every CLI command shares: options, output helpers, exit codes, error rendering."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from reelgraph.graph import GraphInvalid

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[str | None, typer.Option(
    "--db", help="SQLAlchemy URL of the database [env: REELGRAPH_DATABASE_URL; default: "
                 "SQLite under ./.reelgraph/]", show_default=False)]
StoreOption = Annotated[str | None, typer.Option(
    "--store", help="Artifact store: a folder or an fsspec URL [env: REELGRAPH_STORE; default: "
                    "./.reelgraph/store]", show_default=False)]
FileArgument = Annotated[Path, typer.Argument(help="A graph document (YAML or JSON)", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout")]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a param (node.param=value) or a matrix (matrix.var=a,b); repeatable")]
TargetOption = Annotated[list[str] | None, typer.Option(
    "--target", help="Run only what this node needs (a node id, or an expanded id); repeatable")]


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = EXIT_FAILED, *, as_json: bool = False) -> NoReturn:
    if as_json:
        print_json({"error": message})
    else:
        err_console.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def report_invalid(error: GraphInvalid, *, as_json: bool) -> NoReturn:
    if as_json:
        print_json({"status": "invalid", "errors": [issue.to_json() for issue in error.issues]})
    else:
        err_console.print(f"[bold red]{len(error.issues)} problem(s):[/]")
        for issue in error.issues:
            err_console.print(f"  - {issue}", markup=False, highlight=False)
    raise typer.Exit(EXIT_INVALID)
