"""validate, plan: the commands that read a graph document without running it.

`validate` needs only the document, the node library and pydantic, so this module imports the
database (for `plan`'s cache look-up) inside `plan`: validating never loads SQLAlchemy.
"""
from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from reelgraph.flows.cli.common import (EXIT_INVALID, EXIT_OK, DbOption, FileArgument, JsonOption, SetOption, StoreOption,
                                        TargetOption, console, err_console, print_json, report_invalid)
from reelgraph.graph.document import read_document_file
from reelgraph.graph.issues import GraphInvalid
from reelgraph.graph.validate import validate_document
from reelgraph.nodes import Workspace, default_registry


def validate(file: FileArgument, json_output: JsonOption = False) -> None:
    """Check a graph document; report every problem at once. Exit 0 when valid, 2 when not."""
    try:
        raw = read_document_file(file)
        _, issues = validate_document(raw, default_registry(), Workspace(file.resolve().parent))
    except GraphInvalid as error:
        issues = error.issues
    if json_output:
        print_json([issue.to_json() for issue in issues])
    elif issues:
        err_console.print(f"[bold red]{file}: {len(issues)} problem(s)[/]")
        for issue in issues:
            err_console.print(f"  - {issue}", markup=False, highlight=False)
    else:
        console.print(f"[green]{file} is valid[/]")
    raise typer.Exit(EXIT_INVALID if issues else EXIT_OK)


def plan(file: FileArgument, set_: SetOption = None, target: TargetOption = None, db: DbOption = None,
         store: StoreOption = None, json_output: JsonOption = False) -> None:
    """Show the expanded nodes with their cache keys, and whether each would run or come from cache."""
    from reelgraph.flows.plan_report import plan_report
    from reelgraph.flows.runtime import open_runtime
    from reelgraph.graph.loading import load_plan

    try:
        graph_plan = load_plan(file, overrides=set_ or [], targets=target or [])
    except GraphInvalid as error:
        report_invalid(error, as_json=json_output)
    report = plan_report(open_runtime(db, store), graph_plan)
    rows = report["nodes"]
    if json_output:
        print_json(report)
        return
    table = Table(title=f"{graph_plan.name}: {len(rows)} nodes")
    for column in ("node", "type", "cache key", "action"):
        table.add_column(column)
    for row in rows:
        style = "cyan" if row["action"] == "cached" else "green"
        table.add_row(escape(row["node"]), row["type"], row["cache_key"][:16], f"[{style}]{row['action']}[/]")
    console.print(table)
