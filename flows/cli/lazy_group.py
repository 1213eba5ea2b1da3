"""A Typer group whose commands are imported when they run, not when the CLI starts.

`reelgraph --help` lists every command from a table of names and one-line helps, so it imports no
command module (and none of SQLAlchemy, Alembic, networkx, numpy or the node library behind them).
Running a command imports only its own module. Typer builds the real click command on first use.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    target: str   # "package.module:attribute": a Typer app (a group) or a function (one command)
    help: str     # what `reelgraph --help` lists; a test checks it is the command's own first line


def load_command(name: str, lazy: LazyCommand) -> Any:
    """The click command behind `lazy`, as Typer would have built it when registered eagerly."""
    module_name, _, attribute = lazy.target.partition(":")
    target = getattr(importlib.import_module(module_name), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)  # a group even when it holds one subcommand
    else:
        single = typer.Typer(add_completion=False)
        single.command(name=name)(target)
        command = typer.main.get_command(single)  # one command and no callback: the command itself
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """Commands from `lazy_commands` are imported by `get_command` when a command runs; while the
    group's own help is written it hands out stand-ins that carry only a name and a help line."""

    lazy_commands: dict[str, LazyCommand] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.lazy_commands if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in self.lazy_commands:
            return super().get_command(ctx, cmd_name)
        lazy = self.lazy_commands[cmd_name]
        if self._listing:
            return TyperCommand(name=cmd_name, help=lazy.help, short_help=lazy.help)
        command = self.commands[cmd_name] = load_command(cmd_name, lazy)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def lazy_group(commands: dict[str, LazyCommand]) -> type[LazyGroup]:
    """A LazyGroup class for one table of commands (Typer takes a class, not an instance)."""
    return type("ReelgraphCommands", (LazyGroup,), {"lazy_commands": dict(commands)})
