"""The `reelgraph` command line (Typer + Rich), which starts at once.

Nothing here imports a command's module: `reelgraph --help` lists COMMANDS from their help lines,
and `reelgraph <command>` imports only the module that holds that command (see lazy_group.py).

Adding a command:
1. Write it in a module of this package: a function with Typer annotations for one command, or a
   `typer.Typer(help=...)` holding subcommands for a group. That module may import what it needs
   at its top (the database, the engines...): it is imported only when its command runs.
2. Add one line to COMMANDS below: the name, "module:attribute", and the help line `--help` shows
   (the function's docstring's first paragraph, or the group's help; tests/test_cli.py checks
   they agree and that `--help` imports none of the command modules).
Keep heavy imports out of this file and out of common.py: every command pays for them.
"""
from __future__ import annotations

import logging
import sys

import typer

from reelgraph.flows.cli.lazy_group import LazyCommand, lazy_group

_CLI = "reelgraph.flows.cli"
COMMANDS: dict[str, LazyCommand] = {
    "validate": LazyCommand(f"{_CLI}.document_commands:validate",
                            "Check a graph document; report every problem at once. Exit 0 when valid, 2 when not."),
    "plan": LazyCommand(f"{_CLI}.document_commands:plan", "Show the expanded nodes with their cache keys, and "
                        "whether each would run or come from cache."),
    "run": LazyCommand(f"{_CLI}.run_commands:run", "Run a graph: execute what is not cached. Exit 0 when it "
                       "succeeded, 1 when it failed, 2 when invalid."),
    "resume": LazyCommand(f"{_CLI}.run_commands:resume", "Re-run only what did not succeed in an earlier run "
                          "(failed, skipped, interrupted nodes)."),
    "storyboard": LazyCommand(f"{_CLI}.storyboard_commands:storyboard", "Turn a storyboard into a graph (a "
                              "fan-out over shots, gathered into sequence.assemble, one video per locale) and run it "
                              "like `reelgraph run`."),
    "schedule": LazyCommand(f"{_CLI}.schedule_commands:schedule", "Render a graph on a cron schedule "
                            "(`reelgraph serve` runs it, as a Prefect deployment)."),
    "serve": LazyCommand(f"{_CLI}.schedule_commands:serve", "Run the recorded schedules (a Prefect runner); keep "
                         "it running, e.g. under systemd."),
    "ui": LazyCommand(f"{_CLI}.studio_commands:ui", "The studio: the HTTP API (/api/v1), the editor (/) and N "
                      "queue workers. Prints a login URL."),
    "worker": LazyCommand(f"{_CLI}.studio_commands:worker", "Take runs from the studio's queue (the database) "
                          "and execute them, until stopped."),
    "verify": LazyCommand(f"{_CLI}.provenance_commands:verify", "Check a video's C2PA manifest: exit 0 when "
                          "valid, 1 when altered after signing or unsigned."),
    "lineage": LazyCommand(f"{_CLI}.provenance_commands:lineage", "How an artifact was made: the run, the graph "
                           "and every upstream node with its models and seeds."),
    "schedules": LazyCommand(f"{_CLI}.schedule_commands:schedules_app", "Cron schedules (Prefect deployments)."),
    "runs": LazyCommand(f"{_CLI}.inspect_commands:runs_app", "Runs recorded in the database."),
    "artifacts": LazyCommand(f"{_CLI}.inspect_commands:artifacts_app", "Artifacts in the store."),
    "store": LazyCommand(f"{_CLI}.store_commands:store_app", "The artifact store: disk usage and garbage "
                         "collection."),
    "nodes": LazyCommand(f"{_CLI}.catalog_commands:nodes_app", "Installed node types."),
    "schemas": LazyCommand(f"{_CLI}.catalog_commands:schemas_app", "JSON Schemas of documents and node types."),
    "keys": LazyCommand(f"{_CLI}.provenance_commands:keys_app", "Signing keys for C2PA manifests."),
    "watermark": LazyCommand(f"{_CLI}.provenance_commands:watermark_app", "Invisible watermarks."),
    "db": LazyCommand(f"{_CLI}.db_commands:db_app", "The run database."),
}

app = typer.Typer(name="reelgraph", help="Node-graph orchestration for AI video production.",
                  cls=lazy_group(COMMANDS), no_args_is_help=True, pretty_exceptions_enable=False,
                  add_completion=False)


@app.callback()
def _reelgraph() -> None:
    # A callback makes `app` a group even though no command is registered on it eagerly.
    pass


def _database_error(error: BaseException) -> bool:
    """Whether `error` is SQLAlchemy's (checked without importing SQLAlchemy when nothing did)."""
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(error, (exc.OperationalError, exc.ProgrammingError, exc.DatabaseError))


def _database_failure(message: str) -> None:
    from rich.markup import escape

    from reelgraph.flows.cli.common import EXIT_FAILED, err_console, print_json

    if "--json" in sys.argv[1:]:  # the contract: one JSON object on stdout, whatever happened
        print_json({"status": "error", "error": message})
    else:  # one line a user can copy, not wrapped at 80 columns
        err_console.print(f"[bold red]database error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(EXIT_FAILED)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except Exception as error:
        db_errors = sys.modules.get("reelgraph.storage.db_errors")
        if db_errors is not None and isinstance(error, db_errors.DatabaseUnavailable):
            _database_failure(str(error))
        if not _database_error(error):
            raise
        _database_failure(f"{str(error.orig).strip()}; check --db / REELGRAPH_DATABASE_URL and that the "
                          "database is reachable")
    finally:  # checkpoint SQLite's log into the .db file before the process ends
        opened = sys.modules.get("reelgraph.storage.db")  # not imported: nothing was opened
        if opened is not None:
            opened.close_databases()
