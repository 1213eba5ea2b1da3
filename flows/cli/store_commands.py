"""store gc, store du, runs pin/unpin: what the artifact store holds, and giving space back.

Imports stay inside the commands, so `reelgraph --help` loads none of this."""
from __future__ import annotations

from typing import Annotated

import typer

from reelgraph.flows.cli.common import DbOption, JsonOption, StoreOption

store_app = typer.Typer(help="The artifact store: disk usage and garbage collection.", no_args_is_help=True)
RunArgument = Annotated[str, typer.Argument(help="The run id (or its first characters)")]


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


@store_app.command("gc")
def store_gc(keep_last: Annotated[int | None, typer.Option(min=0, help="Keep the newest N runs [default: 10 "
                                                                        "when neither --keep-* is given]")] = None,
             keep_days: Annotated[float | None, typer.Option(min=0, help="Keep runs younger than D days [default: "
                                                                          "7 when neither --keep-* is given]")] = None,
             grace_minutes: Annotated[float, typer.Option(min=0, help="Never delete blobs written this recently")] = 10,
             dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be freed; delete "
                                                                    "nothing")] = False,
             db: DbOption = None, store: StoreOption = None, json_output: JsonOption = False) -> None:
    """Delete the blobs no kept run references. Kept: the newest --keep-last runs, runs younger
    than --keep-days, pinned runs (`reelgraph runs pin`), and runs queued or running."""
    from reelgraph.flows.cli.common import console, print_json
    from reelgraph.flows.runtime import open_runtime
    from reelgraph.flows.store_maintenance import collect_garbage
    from reelgraph.storage.garbage import GcPolicy

    if keep_last is None and keep_days is None:
        keep_last, keep_days = 10, 7
    runtime = open_runtime(db, store)
    try:
        report = collect_garbage(runtime, GcPolicy(keep_last, keep_days, grace_minutes * 60), dry_run=dry_run)
    finally:
        runtime.db.dispose()
    if json_output:
        print_json({"dry_run": dry_run, "kept_runs": report.kept_runs, "dropped_runs": report.dropped_runs,
                    "deleted": report.deleted, "freed_bytes": report.freed_bytes,
                    "kept_bytes": report.kept_bytes, "spared_new": report.spared_new})
        return
    verb = "would free" if dry_run else "freed"
    for sha, size in report.deleted.items():
        console.print(f"  {'would delete' if dry_run else 'deleted'} {sha[:16]}  {_megabytes(size)}", highlight=False)
    console.print(f"{verb} {_megabytes(report.freed_bytes)} in {len(report.deleted)} blob(s); kept "
                  f"{len(report.kept_runs)} run(s) holding {_megabytes(report.kept_bytes)}, dropped "
                  f"{len(report.dropped_runs)} run(s)"
                  + (f"; spared {report.spared_new} unreferenced blob(s) newer than the grace period"
                     if report.spared_new else ""), highlight=False)


@store_app.command("du")
def store_du(db: DbOption = None, store: StoreOption = None, json_output: JsonOption = False) -> None:
    """What each run holds in the store: its blobs, their bytes, and the bytes no other run shares."""
    from rich.table import Table

    from reelgraph.flows.cli.common import console, print_json
    from reelgraph.flows.runtime import open_runtime
    from reelgraph.flows.store_maintenance import disk_usage

    runtime = open_runtime(db, store)
    try:
        usage, total, unreferenced = disk_usage(runtime)
    finally:
        runtime.db.dispose()
    if json_output:
        print_json({"total_bytes": total, "unreferenced_bytes": unreferenced,
                    "runs": [{"run_id": u.run_id, "status": u.status, "created_at": u.created_at, "pinned": u.pinned,
                              "blobs": u.blobs, "bytes": u.bytes, "unique_bytes": u.unique_bytes} for u in usage]})
        return
    table = Table()
    for column in ("run", "status", "created", "pinned", "blobs", "holds", "only this run"):
        table.add_column(column, justify="right" if column in ("blobs", "holds", "only this run") else "left")
    for u in usage:
        table.add_row(u.run_id, u.status, f"{u.created_at:%Y-%m-%d %H:%M:%S}", "yes" if u.pinned else "",
                      str(u.blobs), _megabytes(u.bytes), _megabytes(u.unique_bytes))
    console.print(table)
    console.print(f"store: {_megabytes(total)}, of which {_megabytes(unreferenced)} referenced by no run "
                  "(`reelgraph store gc` frees what no kept run references)", highlight=False)


def _set_pinned(run_id: str, pinned: bool, db: str | None) -> None:
    from reelgraph.flows.cli.common import console, fail
    from reelgraph.flows.runtime import open_runtime
    from reelgraph.storage import repository as repo
    from reelgraph.storage.garbage import set_pinned

    runtime = open_runtime(db)
    try:
        matches = repo.find_runs(runtime.db, run_id)
        if len(matches) != 1:
            fail(f"no run matches '{run_id}'" if not matches else f"'{run_id}' matches several runs; give more "
                 "characters")
        set_pinned(runtime.db, matches[0], pinned)
    finally:
        runtime.db.dispose()
    console.print(f"run {matches[0]} {'pinned: store gc keeps its outputs' if pinned else 'unpinned'}",
                  highlight=False)


def runs_pin(run_id: RunArgument, db: DbOption = None) -> None:
    """Keep everything this run references through `reelgraph store gc`, whatever its age."""
    _set_pinned(run_id, True, db)


def runs_unpin(run_id: RunArgument, db: DbOption = None) -> None:
    """Let `reelgraph store gc` collect this run's outputs again once it is old enough."""
    _set_pinned(run_id, False, db)
