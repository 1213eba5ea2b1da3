"""Shared fixtures: real databases (SQLite, and PostgreSQL when reachable), real stores, runtimes.

The tiny node pack in tests/nodepack is put on the path before anything loads the registry, so
the suite exercises the real entry-point mechanism (and subprocesses see it via PYTHONPATH).
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NODEPACK = REPO / "tests" / "nodepack"
sys.path.insert(0, str(NODEPACK))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NODEPACK), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

from tests.node_harness import ModelHarness, NodeHarness, tiny_model_builder  # noqa: E402

POSTGRES_URL = os.environ.get("REELGRAPH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture
def harness(tmp_path: Path) -> NodeHarness:
    """Runs single nodes against a real artifact store in a temporary workspace."""
    return NodeHarness(tmp_path)


@pytest.fixture(scope="session")
def tiny_models_root(tmp_path_factory) -> Path:
    """A folder whose models/ holds every tiny random-weight diffusers model, built offline once
    per session (about a second) and loaded back by path: the real diffusers loading path."""
    root = tmp_path_factory.mktemp("tiny-models")
    tiny_model_builder().build_tiny_models(root / "models")
    return root


@pytest.fixture
def diffusion(tmp_path: Path, tiny_models_root: Path) -> ModelHarness:
    """Runs single nodes with the tiny models (`models/tiny-sd`...) and a fresh model cache."""
    return ModelHarness(tmp_path, tiny_models_root)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models gain nothing from intra-op threads, and on a shared 2-core machine spinning
    threads made each step ten times slower. (Modules opt in: `pytest.mark.usefixtures`.)"""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _postgres_schema_url() -> tuple[str, str]:
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", schema


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path: Path):
    """A fresh, empty database: SQLite in a temp dir, or a fresh schema in PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reelgraph.db'}"
        return
    if not postgres_reachable():
        if os.environ.get("REELGRAPH_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required (REELGRAPH_REQUIRE_POSTGRES) but not reachable at {POSTGRES_URL}")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    url, schema = _postgres_schema_url()
    yield url
    _drop_schema(schema)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reelgraph.db'}"


@pytest.fixture
def runtime(database_url: str, tmp_path: Path):
    from reelgraph.flows.runtime import open_runtime

    runtime = open_runtime(database_url, str(tmp_path / "store"))
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace holding copies of the example assets."""
    root = tmp_path / "workspace"
    (root / "assets").mkdir(parents=True)
    for asset in (REPO / "examples" / "assets").glob("*.png"):
        (root / "assets" / asset.name).write_bytes(asset.read_bytes())
    return root


def reelgraph_cli(*args: str, cwd: Path, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """The real console script, in a subprocess, as a user would run it."""
    command = [str(Path(sys.executable).parent / "reelgraph"), *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """A real temporary Prefect server (SQLite under a temp PREFECT_HOME), once per session."""
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield PREFECT_API_URL.value()


@pytest.fixture
def ray_session():
    """A local Ray with 4 simulated GPUs, started once and shared by the tests that need one
    (restarted only if another test replaced it, e.g. with a multi-node cluster)."""
    import ray

    from reelgraph.flows.ray_support import shutdown_ray

    if not ray.is_initialized() or ray.cluster_resources().get("GPU") != 4:
        shutdown_ray()
        # address="local": a Ray of its own, even while someone's `ray start` cluster runs on this
        # machine (ray.init would attach to it and refuse num_cpus/num_gpus)
        ray.init(address="local", num_cpus=2, num_gpus=4, include_dashboard=False, namespace="reelgraph",
                 log_to_driver=False)
    yield


def pytest_sessionfinish(session, exitstatus):
    """Stop a Ray that tests left running while the interpreter is whole: left to its exit
    handlers, Ray's shutdown can crash the process after the last test passed."""
    import sys as _sys

    if "ray" in _sys.modules:
        from reelgraph.flows.ray_support import shutdown_ray

        shutdown_ray()
