"""The studio API against a real server (uvicorn on an ephemeral port), a real database, real
engines and queue workers: auth, runs and their event streams, graphs, artifacts, uploads."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.studio_harness import TOKEN, gated_document, start_studio, stop_studio, wait_until

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def studio(runtime, workspace, tmp_path):
    shutil.copy(REPO / "examples" / "hello.yaml", workspace / "hello.yaml")
    server = start_studio(runtime, workspace, tmp_path / "state", upload_limit=200_000)
    yield server
    stop_studio(server)


def test_every_route_but_login_needs_the_token(studio):
    anonymous = httpx.Client(base_url=studio.base_url)
    for path in ("/", "/api/v1/node-types", "/api/v1/runs", "/api/v1/openapi.json", "/api/v1/events",
                 "/api/v1/graphs/hello.yaml", "/api/v1/queue"):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.post("/api/v1/runs", json={"path": "hello.yaml"}).status_code == 401
    assert anonymous.get("/api/v1/queue", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert anonymous.get("/login").status_code == 200
    page = anonymous.get("/", headers={"Accept": "text/html"})  # a browser is pointed at the login page
    assert page.status_code == 401 and 'url=/login' in page.text
    assert anonymous.get("/login", params={"token": "wrong"}).status_code == 401

    login = anonymous.get("/login", params={"token": TOKEN})
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert TOKEN not in cookie
    assert anonymous.get("/api/v1/queue").status_code == 200  # the cookie now
    assert anonymous.get("/api/v1/openapi.json").json()["paths"]["/api/v1/runs"]
    evil = anonymous.post("/api/v1/queue/pause", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert anonymous.post("/api/v1/queue/pause", headers={"Origin": studio.base_url}).status_code == 200


def _node_outputs(events):
    return {e.data["node_id"]: (e.data["status"], e.data["outputs"]) for e in events if e.kind == "node_finished"}


def test_a_submitted_run_streams_its_events_in_order_and_a_second_is_all_cached(studio):
    run_id = studio.submit(path="hello.yaml")
    events = studio.events(run_id)
    kinds = [e.kind for e in events]
    assert kinds[0] == "run_status" and events[0].data["status"] == "queued"
    assert kinds[-1] == "run_finished" and events[-1].data["status"] == "succeeded"
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert kinds.index("run_status", 1) < kinds.index("node_started")  # running, then nodes
    nodes = studio.client.get(f"/api/v1/runs/{run_id}").json()["nodes"]
    finished = _node_outputs(events)
    assert set(finished) == set(nodes)
    for node_id, (status, outputs) in finished.items():
        started = [e for e in events if e.kind == "node_started" and e.data["node_id"] == node_id]
        done = [e for e in events if e.kind == "node_finished" and e.data["node_id"] == node_id]
        assert status == "succeeded" and len(started) == 1 and started[0].id < done[0].id
        assert outputs == nodes[node_id]["outputs"] and outputs

    second = studio.submit(path="hello.yaml")
    again = studio.events(second)
    assert again[-1].kind == "run_finished" and again[-1].data["status"] == "succeeded"
    assert not [e for e in again if e.kind == "node_started"]
    cached = _node_outputs(again)
    assert set(cached) == set(finished)
    assert all(status == "cached" for status, _ in cached.values())
    assert {n: outputs for n, (_, outputs) in cached.items()} == {n: o for n, (_, o) in finished.items()}


def test_a_stream_resumes_after_its_last_event_id(studio):
    run_id = studio.submit(path="hello.yaml")
    events = studio.events(run_id)
    resumed = studio.events(run_id, last_event_id=events[2].id)
    assert [(e.id, e.kind) for e in resumed] == [(e.id, e.kind) for e in events[3:]]
    over = studio.client.get("/api/v1/events", params={"run_id": run_id}, headers={"Last-Event-ID": str(events[-1].id)})
    assert over.status_code == 204  # nothing will follow: EventSource stops reconnecting on a 204
    everything = studio.client.get("/api/v1/events", params={"after": events[0].id - 1, "run_id": run_id})
    assert everything.text.count("\nid: ") + everything.text.startswith("id: ") == len(events)


def test_cancel_a_queued_run_and_stop_a_running_one(studio, workspace):
    studio.client.post("/api/v1/queue/pause")
    doomed = studio.submit(path="hello.yaml", overrides=["thumb.width=40"])
    kept = studio.submit(path="hello.yaml", overrides=["thumb.width=41"])
    response = studio.client.post(f"/api/v1/runs/{doomed}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    studio.client.post("/api/v1/queue/resume")
    assert studio.wait_finished(kept)["status"] == "succeeded"
    cancelled = studio.client.get(f"/api/v1/runs/{doomed}").json()
    assert cancelled["status"] == "cancelled"
    assert all(node["status"] != "succeeded" for node in cancelled["nodes"].values())
    assert studio.events(doomed)[-1].data["status"] == "cancelled"
    assert studio.client.post(f"/api/v1/runs/{kept}/cancel").status_code == 409  # finished


def test_reordering_changes_which_run_a_worker_takes_first(studio):
    studio.client.post("/api/v1/queue/pause")
    first, second, third = (studio.submit(path="hello.yaml", overrides=[f"thumb.width={w}"]) for w in (50, 51, 52))
    moved = studio.client.patch(f"/api/v1/runs/{third}", json={"priority": 10})
    assert moved.status_code == 200 and moved.json()["position"] == 1
    queue = studio.client.get("/api/v1/queue").json()
    assert queue["paused"] and [entry["run_id"] for entry in queue["queued"]] == [third, first, second]
    studio.client.post("/api/v1/queue/resume")
    for run_id in (first, second, third):
        studio.wait_finished(run_id)
    started = {run_id: studio.client.get(f"/api/v1/runs/{run_id}").json()["started_at"]
               for run_id in (first, second, third)}
    assert sorted(started, key=started.get) == [third, first, second]
    assert studio.client.patch(f"/api/v1/runs/{third}", json={"priority": 1}).status_code == 409


def test_graphs_save_with_if_match_keep_comments_and_refuse_stale_writes(studio, workspace):
    read = studio.client.get("/api/v1/graphs/hello.yaml")
    etag, document = read.headers["etag"], read.json()["document"]
    assert read.json()["sha256"] in etag
    assert studio.client.put("/api/v1/graphs/hello.yaml", json={"document": document}).status_code == 428

    document["ui"] = {"nodes": {"photos": {"x": 10, "y": 20}, "thumb": {"x": 200, "y": 20}}}
    document["nodes"]["thumb"]["params"]["width"] = 64
    saved = studio.client.put("/api/v1/graphs/hello.yaml", json={"document": document}, headers={"If-Match": etag})
    assert saved.status_code == 200, saved.text
    assert saved.json()["issues"] == []  # the ui block validates
    text = (workspace / "hello.yaml").read_text()
    assert "# A CPU-only graph of built-in nodes" in text and "width: 64" in text and "x: 200" in text
    assert "locale: [en, es]" in text  # flow style kept

    stale = studio.client.put("/api/v1/graphs/hello.yaml", json={"document": document}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["etag"] == saved.headers["etag"]
    revisions = studio.client.get("/api/v1/graphs/hello.yaml/revisions").json()
    assert [r["sha256"] for r in revisions] == [saved.json()["sha256"], read.json()["sha256"]]
    assert studio.client.get("/api/v1/graphs").json()[0]["path"] == "hello.yaml"
    assert studio.client.get("/api/v1/graphs/../secret.yaml").status_code in (400, 404)


def test_the_ui_block_changes_no_key_and_no_plan(studio):
    document = studio.client.get("/api/v1/graphs/hello.yaml").json()["document"]
    plain = studio.client.post("/api/v1/plan", json=document)
    with_ui = studio.client.post("/api/v1/plan", json={**document, "ui": {"nodes": {"thumb": {"x": 1, "y": 2}}}})
    assert plain.status_code == 200 and plain.json()["graph"] == "hello"
    assert {row["action"] for row in plain.json()["nodes"]} == {"run"}
    assert plain.json() == with_ui.json()
    narrowed = studio.client.post("/api/v1/plan", params={"targets": "thumb", "overrides": "thumb.width=10"},
                                  json=document).json()
    assert {row["node"] for row in narrowed["nodes"]} == {"photos", "thumb"}
    assert studio.client.post("/api/v1/validate", json={**document, "ui": {"zoom": 1.5}}).json() == []
    broken = {**document, "nodes": {"x": {"type": "no.such"}}}
    issues = studio.client.post("/api/v1/validate", json=broken).json()
    assert issues and issues[0]["node"] == "x" and issues[0]["code"]
    refused = studio.client.post("/api/v1/runs", json={"document": broken})
    assert refused.status_code == 422 and refused.json()["errors"] == issues  # the same issues, no run queued
    assert studio.client.get("/api/v1/queue").json()["queued"] == []
    assert studio.client.post("/api/v1/runs", json={"document": document, "path": "hello.yaml"}).status_code == 422
    assert studio.client.post("/api/v1/runs", json={"path": "hello.yaml", "engine": "nope"}).status_code == 422


def test_node_types_carry_schemas_and_an_etag(studio):
    first = studio.client.get("/api/v1/node-types")
    types = {entry["type"]: entry for entry in first.json()}
    assert "image.resize" in types and "testpack.count" in types  # built-ins and installed packs
    assert types["image.resize"]["schema"]["params"]["properties"]["width"]
    again = studio.client.get("/api/v1/node-types", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_artifact_content_answers_range_requests_and_previews(studio):
    run_id = studio.submit(path="hello.yaml")
    assert studio.wait_finished(run_id)["status"] == "succeeded"
    nodes = studio.client.get(f"/api/v1/runs/{run_id}").json()["nodes"]
    images = nodes["thumb"]["outputs"]["image"]
    info = studio.client.get(f"/api/v1/artifacts/{images}").json()
    assert info["kind"] == "image" and info["sha256"] == images
    full = studio.client.get(f"/api/v1/artifacts/{images}/content")
    assert full.status_code == 200 and "immutable" in full.headers["cache-control"]
    part = studio.client.get(f"/api/v1/artifacts/{images}/content", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == full.content[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(full.content)}"
    preview = studio.client.get(f"/api/v1/artifacts/{images}/preview", params={"w": 64})
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(preview.content)).size[0] == 64
    text = nodes["caption[locale=en]"]["outputs"]["text"]
    assert studio.client.get(f"/api/v1/artifacts/{text}/preview").status_code == 415


def test_uploads_land_in_the_graphs_folder_within_type_and_size_limits(studio, workspace):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 0, 0)).save(buffer, "PNG")
    uploaded = studio.client.post("/api/v1/uploads", params={"name": "mask.png"}, content=buffer.getvalue())
    assert uploaded.status_code == 201, uploaded.text
    assert (workspace / uploaded.json()["path"]).read_bytes() == buffer.getvalue()
    assert studio.client.post("/api/v1/uploads", params={"name": "x.exe"}, content=b"MZ").status_code == 415
    assert studio.client.post("/api/v1/uploads", params={"name": "fake.png"}, content=b"not a png").status_code == 415
    assert studio.client.post("/api/v1/uploads", params={"name": "big.wav"}, content=b"0" * 300_000).status_code == 413
    assert not [p for p in (workspace / "uploads").iterdir() if p.name.startswith(".upload-")]


def test_a_running_run_stops_on_cancel_and_resumes_to_the_end(studio, tmp_path):
    started, release = tmp_path / "gate.started", tmp_path / "gate.release"
    document = gated_document(started, release)
    run_id = studio.submit(document=document)
    wait_until(started.exists, 60, what="the gate node to start")
    response = studio.client.post(f"/api/v1/runs/{run_id}/cancel")
    assert response.status_code == 202 and response.json()["status"] == "cancelling"
    events = studio.events(run_id)
    assert events[-1].kind == "run_finished" and events[-1].data["status"] == "cancelled"
    assert studio.client.get(f"/api/v1/runs/{run_id}").json()["status"] == "cancelled"

    release.touch()
    answer = studio.client.post(f"/api/v1/runs/{run_id}/resume")
    assert answer.status_code == 202 and answer.json()["first_event_id"] > events[-1].id
    finished = studio.wait_finished(run_id)
    assert finished["status"] == "succeeded" and finished["nodes"]["after"]["status"] == "succeeded"
    resumed = studio.events(run_id, last_event_id=events[-1].id)
    assert resumed[-1].kind == "run_finished" and resumed[-1].data["status"] == "succeeded"
    # a client that has not read the old events yet (a reload) follows from the resume's first one
    since_resume = studio.events(run_id, last_event_id=answer.json()["first_event_id"] - 1)
    assert since_resume == resumed
    assert since_resume[0].kind == "run_status" and since_resume[0].data["status"] in ("queued", "running")


@pytest.mark.slow
def test_two_workers_run_on_the_ray_engine_at_once(ray_session, sqlite_url, workspace, tmp_path):
    from reelgraph.flows.runtime import open_runtime

    shutil.copy(REPO / "examples" / "hello.yaml", workspace / "hello.yaml")
    runtime = open_runtime(sqlite_url, str(tmp_path / "store"))
    server = start_studio(runtime, workspace, tmp_path / "state", workers=2)
    try:
        run_ids = [server.submit(path="hello.yaml", engine="ray", overrides=[f"thumb.width={70 + i}"]) for i in range(2)]
        for run_id in run_ids:
            events = server.events(run_id, timeout=300)
            assert events[-1].kind == "run_finished" and events[-1].data["status"] == "succeeded"
            finished = [e for e in events if e.kind == "node_finished"]
            assert len(finished) == len(server.client.get(f"/api/v1/runs/{run_id}").json()["nodes"])
            assert all(e.data["outputs"] for e in finished)
    finally:
        stop_studio(server)
        runtime.db.dispose()
