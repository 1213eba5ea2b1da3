"""run, resume: the commands that execute runs."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reelgraph.flows.api import RunStillActive, create_run_from, execute_run, prepare_resume
from reelgraph.flows.cli.common import (EXIT_FAILED, EXIT_INVALID, EXIT_OK, DbOption, FileArgument, JsonOption, SetOption,
                              StoreOption, TargetOption, console, err_console, fail, print_json, report_invalid)
from reelgraph.flows.cli.interrupts import StopOnSignals, exit_past_abandoned_nodes, resume_hint
from reelgraph.flows.cli.progress import RunProgress
from reelgraph.flows.engines import engine_names
from reelgraph.flows.export import ExportFailed, check_out_folder, export_final_outputs
from reelgraph.flows.results import run_result
from reelgraph.flows.runtime import Runtime, open_runtime
from reelgraph.graph import GraphInvalid
from reelgraph.storage import repository as repo
from reelgraph.storage.records import FAILED, INTERRUPTED, SUCCEEDED

EngineOption = Annotated[str, typer.Option("--engine", help=f"Where nodes run: {', '.join(engine_names())}")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Copy the final outputs into this folder")]
AddressOption = Annotated[str | None, typer.Option(
    "--address", help="Ray cluster address for the ray and prefect-ray engines (default: a local Ray)")]


def _engine_options(address: str | None) -> dict:
    return {"address": address} if address else {}


def _check_engine(engine_name: str, json_output: bool) -> None:
    """Before anything is recorded: a misspelt --engine must not leave a new run, or a reset one, behind."""
    if engine_name not in engine_names():
        fail(f"unknown engine '{engine_name}'; choose one of {', '.join(engine_names())}", EXIT_INVALID,
             as_json=json_output)


def _execute(runtime: Runtime, run_id: str, engine_name: str, total: int, json_output: bool,
             out: Path | None, settled: int, options: dict) -> None:
    """The one execution path of `run` and `resume`, as flows.api.run_document and resume_run do it,
    with what a terminal adds: a progress bar, Ctrl-C handling, the summary and --out."""
    with RunProgress(total, enabled=err_console.is_terminal) as progress, StopOnSignals(runtime, run_id) as stop:
        progress.settle(settled)
        status = execute_run(runtime, run_id, engine_name, on_event=progress, cancel=stop.cancel,
                             stopped_as=INTERRUPTED, **options)
    result = run_result(runtime, run_id)
    if status == INTERRUPTED:
        if json_output:
            print_json(result)
        else:
            _print_summary(result)
        err_console.print(resume_hint(run_id), soft_wrap=True, highlight=False)
        exit_past_abandoned_nodes(stop.exit_code)
        raise typer.Exit(stop.exit_code)
    if out is not None:  # a failed copy is part of the one JSON answer, and fails the command
        try:
            written = export_final_outputs(runtime, run_id, out)
            result["export"] = {"out": str(out), "written": [str(path) for path in written]}
        except ExportFailed as error:
            result["export"] = {"out": str(out), "error": str(error)}
    if json_output:
        print_json(result)
    else:
        _print_summary(result)
        if "error" in result.get("export", {}):
            err_console.print(f"[bold red]error:[/] {escape(result['export']['error'])}")
        elif out is not None:
            console.print(f"wrote {len(result['export']['written'])} file(s) to {out}")
    failed = status != SUCCEEDED or "error" in result.get("export", {})
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def _check_out(runtime: Runtime, run_id: str, out: Path | None, json_output: bool, *, new_run: bool) -> None:
    """--out is checked before anything executes; a new run refused here is recorded as failed."""
    if out is None:
        return
    try:
        check_out_folder(runtime, run_id, out)
    except ExportFailed as error:
        if new_run:
            repo.set_run_status(runtime.db, run_id, FAILED, error=f"not started: {error}")
        fail(str(error), as_json=json_output)


def _print_summary(result: dict) -> None:
    counts: dict[str, int] = {}
    for node in result["nodes"].values():
        counts[node["status"]] = counts.get(node["status"], 0) + 1
    style = "green" if result["status"] == SUCCEEDED else "bold red"
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    console.print(f"run [bold]{result['run_id']}[/] [{style}]{result['status']}[/]: {summary}")
    for node_id, node in result["nodes"].items():
        if node["status"] == "failed":
            console.print(f"  [bold red]failed[/] {escape(node_id)}: {escape(node['error'] or '')}",
                          highlight=False)


def run(file: FileArgument, engine: EngineOption = "local", db: DbOption = None, store: StoreOption = None,
        set_: SetOption = None, target: TargetOption = None, json_output: JsonOption = False,
        out: OutOption = None, address: AddressOption = None) -> None:
    """Run a graph: execute what is not cached. Exit 0 when it succeeded, 1 when it failed, 2 when invalid."""
    _check_engine(engine, json_output)
    runtime = open_runtime(db, store)
    try:
        run_id, graph_plan, settled = create_run_from(runtime, file, engine=engine, overrides=set_, targets=target)
    except GraphInvalid as error:
        report_invalid(error, as_json=json_output)
    _check_out(runtime, run_id, out, json_output, new_run=True)
    if not json_output and not sys.stderr.isatty():
        console.print(f"run {run_id}: {len(graph_plan.nodes)} nodes, {settled} cached")
    _execute(runtime, run_id, engine, len(graph_plan.nodes), json_output, out, settled, _engine_options(address))


def resume(run_id: Annotated[str, typer.Argument(help="The run id (or its first characters)")],
           engine: Annotated[str | None, typer.Option("--engine", help="Default: the run's own engine")] = None,
           db: DbOption = None, store: StoreOption = None, json_output: JsonOption = False,
           out: OutOption = None, address: AddressOption = None) -> None:
    """Re-run only what did not succeed in an earlier run (failed, skipped, interrupted nodes)."""
    runtime = open_runtime(db, store)
    matches = repo.find_runs(runtime.db, run_id)
    if len(matches) != 1:
        fail(f"no run matches '{run_id}'" if not matches else f"'{run_id}' matches several runs; give more "
             "characters", as_json=json_output)
    run_info = repo.get_run(runtime.db, matches[0])
    _check_engine(engine or run_info.engine, json_output)
    if store is None and run_info.store_uri != runtime.store.uri:
        runtime = open_runtime(db, run_info.store_uri)
    _check_out(runtime, run_info.id, out, json_output, new_run=False)
    try:  # flows.api.resume_run's first step, which the studio's workers take too
        start = prepare_resume(runtime, run_info.id)
    except RunStillActive as error:
        fail(str(error), as_json=json_output)
    _execute(runtime, run_info.id, engine or run_info.engine, start.total, json_output, out, start.done,
             _engine_options(address))
