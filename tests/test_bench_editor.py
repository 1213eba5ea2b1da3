"""bench.editor's screenshot graph (docs/editor.png) stays runnable as examples/campaign.yaml grows.

The campaign once gained a watermark, an encode and a signing node: the screenshot's layout left
two nodes unplaced, and without a signing key the editor kept Run disabled, so
`python -m bench.editor --screenshot` printed its timings and wrote no picture.
"""
from __future__ import annotations

import yaml

from bench.editor import SCREENSHOT_LAYOUT, write_screenshot_workspace
from reelgraph.graph.validate import validate_document
from reelgraph.nodes import Workspace, default_registry
from reelgraph.nodes.provenance.sign import CERT_ENV, KEY_ENV


def test_the_screenshot_graph_is_valid_where_the_studio_runs_it(tmp_path, monkeypatch):
    workdir, graphs = tmp_path, tmp_path / "graphs"
    graphs.mkdir()
    for variable in (KEY_ENV, CERT_ENV):  # only the key the bench writes
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(workdir)  # the studio server's working folder: where provenance.sign finds the key
    name = write_screenshot_workspace(workdir, graphs)
    document = yaml.safe_load((graphs / name).read_text())
    _, issues = validate_document(document, default_registry(), Workspace(graphs))
    assert [str(issue) for issue in issues] == []
    assert set(document["ui"]["nodes"]) == set(document["nodes"]) == set(SCREENSHOT_LAYOUT)
