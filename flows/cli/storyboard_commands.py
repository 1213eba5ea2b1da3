"""storyboard: compile a storyboard (shots, narration, transitions) into a graph document and run it."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

StoryboardArgument = Annotated[Path, typer.Argument(help="A storyboard YAML file", show_default=False)]


def storyboard(file: StoryboardArgument,
               write: Annotated[Path | None, typer.Option(
                   "--write", help="Where to write the graph document (default: <storyboard>.graph.yaml beside "
                                   "it; paths in it are relative to the storyboard's folder)")] = None,
               no_run: Annotated[bool, typer.Option("--no-run", help="Only write the graph document")] = False,
               engine: Annotated[str, typer.Option("--engine", help="Where nodes run")] = "local",
               db: Annotated[str | None, typer.Option("--db", show_default=False)] = None,
               store: Annotated[str | None, typer.Option("--store", show_default=False)] = None,
               set_: Annotated[list[str] | None, typer.Option("--set", help="As for run: node.param=value, "
                                                                           "matrix.locale=en,es")] = None,
               json_output: Annotated[bool, typer.Option("--json", help="Print the run as JSON")] = False,
               out: Annotated[Path | None, typer.Option("--out", help="Copy the videos into this folder")] = None,
               ) -> None:
    """Turn a storyboard into a graph (a fan-out over shots, gathered into sequence.assemble, one video per
    locale) and run it like `reelgraph run`."""
    import yaml

    from reelgraph.flows.cli.common import console, report_invalid
    from reelgraph.graph import GraphInvalid
    from reelgraph.graph.storyboard import compile_storyboard, load_storyboard

    try:
        document = compile_storyboard(load_storyboard(file))
    except GraphInvalid as error:
        report_invalid(error, as_json=json_output)
    target = write or file.with_name(f"{file.stem}.graph.yaml")
    if target.resolve().parent != file.resolve().parent:
        console.print(f"[yellow]note:[/] {target} is not beside {file}: the storyboard's relative paths "
                      "are read from the graph document's folder")
    header = f"# Compiled from {file.name} by `reelgraph storyboard`; edit the storyboard, not this file.\n"
    target.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100),
                      encoding="utf-8")
    if no_run:
        console.print(f"wrote {target}")
        return
    from reelgraph.flows.cli.run_commands import run

    run(file=target, engine=engine, db=db, store=store, set_=set_, target=None, json_output=json_output, out=out)
