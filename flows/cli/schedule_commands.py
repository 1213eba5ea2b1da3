"""schedule, schedules list/remove, serve: cron renders, kept in reelgraph's database and run as
Prefect deployments by `serve` (registered at once with a configured Prefect server)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reelgraph.flows.cli.common import (EXIT_INVALID, DbOption, JsonOption, SetOption, StoreOption, console, fail, print_json,
                              report_invalid)
from reelgraph.flows.engines import engine_names
from reelgraph.flows.runtime import open_runtime
from reelgraph.graph import GraphInvalid
from reelgraph.storage import schedules as schedule_records

schedules_app = typer.Typer(help="Cron schedules (Prefect deployments).", no_args_is_help=True)


def schedule(file: Annotated[Path, typer.Argument(help="A graph document", show_default=False)],
             cron: Annotated[str, typer.Option("--cron", help='A cron expression, e.g. "0 6 * * 1"')],
             name: Annotated[str | None, typer.Option("--name", help="Default: the graph's name")] = None,
             set_: SetOption = None,
             engine: Annotated[str, typer.Option("--engine", help="The engine each scheduled run uses")] = "local",
             db: DbOption = None, store: StoreOption = None, json_output: JsonOption = False) -> None:
    """Render a graph on a cron schedule (`reelgraph serve` runs it, as a Prefect deployment)."""
    from reelgraph.flows.schedules import ScheduleFailed, create_schedule

    if engine not in engine_names():
        fail(f"unknown engine '{engine}'; choose one of {', '.join(engine_names())}", EXIT_INVALID,
             as_json=json_output)
    runtime = open_runtime(db, store)
    try:
        created = create_schedule(runtime, file, cron=cron, name=name, overrides=set_ or [], engine=engine)
    except GraphInvalid as error:
        report_invalid(error, as_json=json_output)
    except ValueError as error:  # a malformed cron expression
        fail(f"cannot schedule: {error}", EXIT_INVALID, as_json=json_output)
    except ScheduleFailed as error:
        fail(str(error), as_json=json_output)
    if json_output:
        print_json(created)
    elif created["prefect_api"]:
        console.print(f"scheduled [bold]{created['name']}[/] on '{cron}' as deployment {created['deployment']} "
                      f"at {created['prefect_api']}; run `reelgraph serve` to execute schedules", highlight=False)
    else:
        console.print(f"scheduled [bold]{created['name']}[/] on '{cron}' in reelgraph's database; run "
                      "`reelgraph serve` to execute schedules (it makes the Prefect deployments)", highlight=False)


@schedules_app.command("list")
def schedules_list(db: DbOption = None, json_output: JsonOption = False) -> None:
    """The recorded schedules."""
    rows = schedule_records.list_schedules(open_runtime(db).db)
    if json_output:
        print_json(rows)
        return
    table = Table()
    for column in ("name", "cron", "graph", "engine", "overrides"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["cron"], row["graph_path"], row["engine"], " ".join(row["overrides"]))
    console.print(table)


@schedules_app.command("remove")
def schedules_remove(name: Annotated[str, typer.Argument(help="The schedule's name")], db: DbOption = None) -> None:
    """Remove a schedule (and its deployment from a configured Prefect server)."""
    from reelgraph.flows.schedules import ScheduleFailed, remove_schedule

    try:
        removed = remove_schedule(open_runtime(db), name)
    except ScheduleFailed as error:
        fail(str(error))
    if not removed:
        fail(f"no schedule named '{name}'; `reelgraph schedules list` shows them")
    console.print(f"removed schedule {name}")


def serve(db: DbOption = None, store: StoreOption = None,
          run_once: Annotated[bool, typer.Option("--run-once", help="Run what is due now, then exit")] = False) -> None:
    """Run the recorded schedules (a Prefect runner); keep it running, e.g. under systemd."""
    from reelgraph.flows.schedules import ScheduleFailed, serve_schedules

    try:
        served = serve_schedules(open_runtime(db, store), run_once=run_once)
    except ScheduleFailed as error:
        fail(str(error))
    if not served:
        fail("no schedules to serve; create one with `reelgraph schedule FILE --cron ...`")
