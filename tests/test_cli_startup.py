"""The command line starts at once: `--help` imports no command module, and each command imports
only what it needs (validating a graph never loads the database, networkx or numpy)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

# Node modules may import numpy or Pillow at their top (the built-ins that only need them to run
# import them inside `run`); the database, the engines, the server and torch are what must stay out.
HEAVY = ["sqlalchemy", "alembic", "networkx", "torch", "prefect", "ray", "fastapi", "uvicorn"]


def modules_after(*args: str) -> dict:
    """Run the CLI in a fresh interpreter and report which heavy packages it imported."""
    script = (
        "import json, sys\n"
        f"sys.argv = ['reelgraph', *{list(args)!r}]\n"
        "from reelgraph.flows.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "loaded = sorted({name.split('.')[0] for name in sys.modules})\n"
        "commands = sorted(n for n in sys.modules if n.startswith('reelgraph.flows.cli.') and n.endswith('_commands'))\n"
        "sys.stderr.write('\\n' + json.dumps({'code': code, 'loaded': loaded, 'commands': commands}))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    return json.loads(result.stderr.strip().splitlines()[-1])


def test_help_imports_no_command_module_and_nothing_heavy():
    report = modules_after("--help")
    assert report["code"] == 0
    assert report["commands"] == []
    assert not set(HEAVY + ["numpy", "PIL", "pydantic", "yaml"]) & set(report["loaded"])


def test_validate_loads_only_the_document_commands():
    report = modules_after("validate", "examples/hello.yaml")
    assert report["code"] == 0
    assert report["commands"] == ["reelgraph.flows.cli.document_commands"]
    assert not set(HEAVY) & set(report["loaded"])


def test_nodes_list_needs_no_database():
    report = modules_after("nodes", "list")
    assert report["code"] == 0
    assert not set(HEAVY) & set(report["loaded"])


def test_every_command_in_the_table_is_listed_with_its_own_help():
    import typer

    from reelgraph.flows.cli import COMMANDS, app
    from reelgraph.flows.cli.lazy_group import load_command

    for name, lazy in COMMANDS.items():
        command = load_command(name, lazy)
        own = (command.short_help or command.help or "").strip().split("\n\n")[0].replace("\n", " ")
        assert own == lazy.help, f"{name}: the table says {lazy.help!r}, the command {own!r}"
    group = typer.main.get_command(app)
    assert group.list_commands(None) == list(COMMANDS)


@pytest.mark.parametrize("args", [["schemas", "--help"], ["runs", "--help"], ["validate", "--help"]])
def test_lazily_loaded_commands_keep_their_help_and_groups(args):
    result = subprocess.run([sys.executable, "-c", "from reelgraph.flows.cli import main; main()", *args],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    expected = {"schemas": "export", "runs": "show", "validate": "{file}"}[args[0]]
    assert expected in result.stdout
