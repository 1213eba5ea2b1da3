"""The editor's own logic (document edits, run states, schema widgets, which edges connect), in
Node's test runner: flows/studio/web/test/*.test.js. Skipped where Node is missing."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.browser import REPO

WEB = REPO / "flows" / "studio" / "web"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed (the editor needs Node >= 18)")
def test_the_editors_logic_passes_its_node_tests():
    result = subprocess.run(["node", "--test", "test/"], cwd=WEB, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
