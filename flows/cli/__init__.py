"""The `reelgraph` command line (Typer + Rich)."""
from __future__ import annotations

import logging
import sys

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from reelgraph.flows.cli import (inspect_commands, provenance_commands, run_commands, schedule_commands,
                                 storyboard_commands, studio_commands)
from reelgraph.flows.cli.common import EXIT_FAILED, err_console

app = typer.Typer(name="reelgraph", help="Node-graph orchestration for AI video production.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
app.command()(run_commands.validate)
app.command()(run_commands.plan)
app.command()(run_commands.run)
app.command()(run_commands.resume)
app.command()(storyboard_commands.storyboard)
app.command()(schedule_commands.schedule)
app.command()(schedule_commands.serve)
app.command()(studio_commands.ui)
app.command()(studio_commands.worker)
app.add_typer(schedule_commands.schedules_app, name="schedules")
app.add_typer(inspect_commands.runs_app, name="runs")
app.add_typer(inspect_commands.artifacts_app, name="artifacts")
app.add_typer(inspect_commands.nodes_app, name="nodes")
app.add_typer(inspect_commands.schemas_app, name="schemas")
app.add_typer(provenance_commands.keys_app, name="keys")
app.command()(provenance_commands.verify)
app.command()(provenance_commands.lineage)
app.add_typer(provenance_commands.watermark_app, name="watermark")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except (OperationalError, ProgrammingError) as error:
        err_console.print(f"[bold red]database error:[/] {str(error.orig).strip()}\n"
                          "check --db / REELGRAPH_DATABASE_URL and that the database is reachable")
        sys.exit(EXIT_FAILED)
