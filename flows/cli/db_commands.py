"""db backup: a consistent copy of the run history."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reelgraph.flows.cli.common import DbOption, JsonOption, console, fail, print_json

db_app = typer.Typer(help="The run database.", no_args_is_help=True)


@db_app.command("backup")
def backup(destination: Annotated[Path, typer.Argument(help="A new file to write, e.g. backup.db")],
           db: DbOption = None, json_output: JsonOption = False) -> None:
    """Copy the SQLite database with SQLite's online backup API (safe while runs write)."""
    from reelgraph.storage import open_database
    from reelgraph.storage.db_backup import BackupRefused, backup_sqlite

    database = open_database(db)
    try:
        written = backup_sqlite(database, destination)
    except BackupRefused as error:
        fail(str(error), as_json=json_output)
    if json_output:
        print_json({"backup": str(written.resolve()), "bytes": written.stat().st_size})
    else:
        console.print(f"backed up the database to {written} ({written.stat().st_size:,} bytes)")
