import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

from tests.node_harness import NodeHarness  # noqa: E402


@pytest.fixture
def harness(tmp_path: Path) -> NodeHarness:
    """Runs single nodes against a real artifact store in a temporary workspace."""
    return NodeHarness(tmp_path)
