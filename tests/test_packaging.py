"""Installed, reelgraph is `reelgraph.*` only: nothing generic (`nodes`, `graph`) lands in site-packages.

The repository keeps the design card's top-level folders (graph/ nodes/ flows/ storage/ ui_schemas/);
pyproject's package-dir mapping installs them under the `reelgraph` namespace. These tests build the
real wheel and run the real CLI next to a project that has its own `nodes.py` and `graph.py` first on
sys.path (ComfyUI's layout).
"""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE_FOLDERS = ("graph", "nodes", "flows", "storage", "ui_schemas")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(build / "src.tar"), "HEAD"],
                   check=True)
    source = build / "src"
    source.mkdir()
    subprocess.run(["tar", "-xf", str(build / "src.tar"), "-C", str(source)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(source)], check=True, capture_output=True, timeout=300)
    (path,) = out.glob("reelgraph-*.whl")
    return path


def test_the_wheel_installs_only_reelgraph(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    assert top_level == {"reelgraph", next(n for n in top_level if n.endswith(".dist-info"))}
    assert "reelgraph/__init__.py" not in names, "reelgraph is a namespace package"


def test_every_package_folder_is_in_the_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    committed = subprocess.run(["git", "-C", str(REPO), "ls-files", *PACKAGE_FOLDERS], check=True,
                               capture_output=True, text=True).stdout.split()
    # flows/studio/web/ is the editor's source (npm files); its build, flows/studio/static/, is the package data
    missing = [f"reelgraph/{path}" for path in committed
               if path.endswith(("__init__.py", ".json")) and not path.startswith("flows/studio/web/")
               and f"reelgraph/{path}" not in names]
    assert not missing, f"add these packages/data to pyproject's [tool.setuptools] lists: {missing}"
    assert "reelgraph/storage/alembic.ini" in names or any(n.startswith("reelgraph/storage/migrations/versions/")
                                                          for n in names)


def test_reelgraph_works_beside_a_project_with_its_own_nodes_and_graph_modules(tmp_path: Path) -> None:
    other = tmp_path / "comfy_like"
    other.mkdir()
    (other / "nodes.py").write_text("OWNER = 'the other project'\n")
    (other / "graph.py").write_text("OWNER = 'the other project'\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(other), os.environ.get("PYTHONPATH")]))}
    script = ("import nodes, graph, reelgraph.nodes, reelgraph.graph, reelgraph.flows.cli\n"
              "assert nodes.OWNER == graph.OWNER == 'the other project'\n"
              "assert reelgraph.nodes.Node and reelgraph.graph.GraphBuilder\n"
              "print('ok')")
    result = subprocess.run([sys.executable, "-c", script], cwd=other, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    validate = subprocess.run([str(Path(sys.executable).parent / "reelgraph"), "validate",
                               str(REPO / "examples" / "hello.yaml")], cwd=other, env=env,
                              capture_output=True, text=True)
    assert validate.returncode == 0, validate.stdout + validate.stderr
