"""The studio's web editor in a real Chromium, against a real `reelgraph ui` server.

A director's path through it: find a node in the palette, wire it, see a wrong connection
refused and a bad param flagged, save a commented YAML file and keep its comments, run, watch
the nodes light up, look at the thumbnail and play the video, reload mid-run, use the keyboard,
manage the queue. Skipped, with the reason, where Chromium or the built editor is missing.
"""
from __future__ import annotations

import os
import re
import shutil
import uuid

import httpx
import pytest

from tests.browser import REPO, TOKEN, StudioProcess, launch_chromium, logged_in_page, why_no_browser
from tests.conftest import reelgraph_cli

# CI sets REELGRAPH_REQUIRE_BROWSER: there a missing Chromium or editor build fails the suite.
if why_no_browser() is not None and os.environ.get("REELGRAPH_REQUIRE_BROWSER"):
    pytest.fail(f"the browser tests are required (REELGRAPH_REQUIRE_BROWSER): {why_no_browser()}",
                pytrace=False)
pytestmark = pytest.mark.skipif(why_no_browser() is not None, reason=why_no_browser() or "")

CLIP = """\
# Two photographs filmed by a slow camera move and encoded: the editor's run test.
reelgraph: 1
name: clip
nodes:
  photos:   # from the graphs folder
    type: image.load
    params: {paths: [assets/coffee.png, assets/rocket.png]}
  camera:
    type: camera.move
    inputs: {images: photos.images}
    params: {seconds: 1, fps: 8, width: 160, height: 96}   # tiny, so it renders in a second
  video:
    type: video.encode
    inputs: {frames: camera.frames}
    params: {preset: ultrafast}
"""

SLEEPY = """\
reelgraph: 1
name: sleepy
nodes:
  nap:
    type: util.sleep
    params: {seconds: 4, label: awake}
  after:
    type: util.noop
    inputs: {value: nap.value}
"""

BROKEN = """\
reelgraph: 1
name: broken
nodes:
  photos:
    type: image.load
    params: {paths: [assets/broken.png]}
  thumb:
    type: image.resize
    inputs: {image: photos.image}
"""

SPOKEN = """\
reelgraph: 1
name: spoken
nodes:
  script:
    type: l10n.translate
    params: {script: campaign/script.yaml, target: en}
  voice:
    type: l10n.voiceover
    inputs: {script: script.script}
  subs:
    type: l10n.subtitles
    inputs: {script: script.script, timing: voice.timing}
"""


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("studio")
    graphs = workdir / "graphs"
    graphs.mkdir()
    shutil.copytree(REPO / "examples" / "assets", graphs / "assets")
    shutil.copy(REPO / "examples" / "hello.yaml", graphs / "hello.yaml")
    (graphs / "clip.yaml").write_text(CLIP)
    (graphs / "commented.yaml").write_text(CLIP.replace("name: clip", "name: commented"))
    (graphs / "sleepy.yaml").write_text(SLEEPY)
    (graphs / "broken.yaml").write_text(BROKEN)
    (graphs / "assets" / "broken.png").write_bytes(b"not a picture")  # valid document, fails at run time
    shutil.copy(REPO / "examples" / "hello.yaml", graphs / "revised.yaml")
    shutil.copytree(REPO / "examples" / "campaign", graphs / "campaign")
    (graphs / "spoken.yaml").write_text(SPOKEN)
    server = StudioProcess(workdir, graphs).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, studio):
    page = logged_in_page(browser, studio)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # What the browser said, shown with a failing test's output.
    page.on("console", lambda message: print(f"browser {message.type}: {message.text}"))
    page.on("response", lambda response: response.status >= 400 and print(f"HTTP {response.status} {response.url}"))
    page.set_default_timeout(20_000)
    yield page
    page.context.close()
    assert not errors, f"the page raised: {errors}"


@pytest.fixture
def api(studio):
    with httpx.Client(base_url=studio.url + "/api/v1", headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_graph(page, studio, path: str) -> None:
    page.goto(f"{studio.url}/#graph={path}")
    page.wait_for_selector(".rg-node")


def node(page, node_id: str):
    return page.locator(f'.rg-node[data-node-id="{node_id}"]')


def handle(page, node_id: str, port: str, side: str):
    return node(page, node_id).locator(f'.react-flow__handle.{side}[data-handleid="{port}"]')


def centre(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag_connection(page, source, target, *, check_while_dragging=None) -> None:
    page.mouse.move(*centre(source))
    page.mouse.down()
    x, y = centre(target)
    page.mouse.move(x - 30, y, steps=8)
    page.mouse.move(x, y, steps=4)
    if check_while_dragging:
        check_while_dragging()
    page.mouse.up()


def test_palette_lists_node_types_by_category(page, studio, api):
    page.goto(studio.url + "/")
    installed = {entry["type"] for entry in api.get("/node-types").json()}
    items = page.locator(".palette-item")
    expect(items.first).to_be_visible()
    assert set(items.evaluate_all("items => items.map(i => i.dataset.type)")) == installed
    expect(page.locator(".palette-group summary", has_text="video")).to_be_visible()
    page.fill(".palette .search", "encode")
    shown = set(items.evaluate_all("items => items.map(i => i.dataset.type)"))
    assert "video.encode" in shown and "image.load" not in shown


def test_nodes_are_added_and_wired_and_a_wrong_kind_is_refused(page, studio):
    page.goto(studio.url + "/")
    canvas = page.locator(".canvas")
    for node_type, x, y in (("image.load", 120, 120), ("image.resize", 520, 120), ("text.template", 520, 420)):
        page.locator(f'.palette-item[data-type="{node_type}"]').drag_to(canvas, target_position={"x": x, "y": y})
    expect(page.locator(".rg-node")).to_have_count(3)
    unwired = node(page, "resize").locator(".rg-port.in", has_text="image")
    expect(unwired).to_have_class(re.compile("port-issue"))  # image.resize needs its image

    drag_connection(page, handle(page, "load", "image", "source"), handle(page, "resize", "image", "target"))
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    expect(unwired).not_to_have_class(re.compile("port-issue"))
    node(page, "resize").locator(".rg-head").click()
    expect(page.locator(".inspector .input-row", has_text="image")).to_contain_text("load.image")

    def refused_as_it_is_dragged():
        expect(page.locator(".connection-line.invalid")).to_be_visible()

    drag_connection(page, handle(page, "load", "image", "source"), handle(page, "template", "text", "target"),
                    check_while_dragging=refused_as_it_is_dragged)
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    node(page, "template").locator(".rg-head").click()
    expect(page.locator(".inspector .input-row", has_text="text")).not_to_contain_text("load.image")


def add_load_and_camera(page) -> None:
    canvas = page.locator(".canvas")
    for node_type, x, y in (("image.load", 120, 160), ("camera.move", 560, 160)):
        page.locator(f'.palette-item[data-type="{node_type}"]').drag_to(canvas, target_position={"x": x, "y": y})
    expect(page.locator(".rg-node")).to_have_count(2)


def test_an_edge_converting_its_kind_connects_as_the_served_schemas_say(page, studio):
    page.goto(studio.url + "/")
    add_load_and_camera(page)
    # image -> images: not the same kind, but camera.move's schema lists image in `accepts`
    drag_connection(page, handle(page, "load", "image", "source"), handle(page, "move", "images", "target"))
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    node(page, "move").locator(".rg-head").click()
    expect(page.locator(".inspector .input-row", has_text="images")).to_contain_text("load.image")


def test_the_editor_refuses_what_the_served_schemas_do_not_accept(page, studio):
    """The editor keeps no compatibility table: served schemas that drop image from camera.move's
    `accepts` make the same drag a refused one."""
    def without_image(route) -> None:
        served = route.fetch().json()
        for entry in served:
            if entry["type"] == "camera.move":
                entry["schema"]["inputs"]["images"]["accepts"] = ["images"]
        route.fulfill(json=served)

    page.route("**/api/v1/node-types", without_image)
    page.goto(studio.url + "/")
    add_load_and_camera(page)

    def refused_as_it_is_dragged():
        expect(page.locator(".connection-line.invalid")).to_be_visible()

    drag_connection(page, handle(page, "load", "image", "source"), handle(page, "move", "images", "target"),
                    check_while_dragging=refused_as_it_is_dragged)
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    drag_connection(page, handle(page, "load", "images", "source"), handle(page, "move", "images", "target"))
    expect(page.locator(".react-flow__edge")).to_have_count(1)  # what it still accepts connects


def test_an_invalid_param_is_flagged_on_its_node_and_field(page, studio):
    open_graph(page, studio, "hello.yaml")
    node(page, "thumb").locator(".rg-head").click()
    page.fill('.inspector [data-field="width"] input', "-5")
    expect(node(page, "thumb").locator(".badge.issue")).to_be_visible()
    expect(page.locator('.inspector [data-field="width"] .field-issue')).to_contain_text("greater than or equal to 1")
    expect(page.get_by_test_id("issues-count")).to_have_text("1 issue")
    page.locator(".react-flow__pane").click(position={"x": 10, "y": 10})
    expect(page.locator(".inspector")).to_have_count(0)
    page.get_by_test_id("issues-count").click()  # takes you to the node with the issue
    expect(page.locator(".inspector .node-id")).to_have_value("thumb")
    page.fill('.inspector [data-field="width"] input', "160")
    expect(page.get_by_test_id("issues-count")).to_have_text("valid")
    expect(node(page, "thumb").locator(".badge.issue")).to_have_count(0)


def test_saving_keeps_the_comments_and_the_file_validates(page, studio):
    original = (studio.graphs / "commented.yaml").read_text()
    open_graph(page, studio, "commented.yaml")
    node(page, "camera").locator(".rg-head").click()
    page.fill('.inspector [data-field="fps"] input', "10")
    head = node(page, "video").locator(".rg-head")
    x, y = centre(head)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 90, steps=6)
    page.mouse.up()
    page.keyboard.press("Control+s")
    expect(page.locator(".toast")).to_contain_text("saved commented.yaml")

    saved = (studio.graphs / "commented.yaml").read_text()
    comments = [line.split("#", 1)[1].strip() for line in original.splitlines() if "#" in line]
    for comment in comments:
        assert comment in saved, f"the comment '{comment}' was lost:\n{saved}"
    assert "fps: 10" in saved and "ui:" in saved
    result = reelgraph_cli("validate", "commented.yaml", cwd=studio.graphs)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_run_lights_every_node_and_shows_the_thumbnail_and_the_video(page, studio):
    open_graph(page, studio, "clip.yaml")
    page.get_by_role("button", name="▶ Run").click()
    for node_id in ("photos", "camera", "video"):
        expect(node(page, node_id)).to_have_attribute("data-status", "succeeded", timeout=180_000)
    expect(page.get_by_test_id("run-status")).to_contain_text("succeeded")
    thumbnail = node(page, "photos").locator("img.preview-image")
    thumbnail.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    video = node(page, "video").locator("video")
    video.wait_for()
    page.wait_for_function("video => video.readyState >= 2", arg=video.element_handle(), timeout=30_000)

    page.reload()  # a finished run comes back as it ended, from its record
    expect(node(page, "video")).to_have_attribute("data-status", "succeeded")

    first_run = page.get_by_test_id("run-status").get_attribute("data-run")
    page.get_by_role("button", name="▶ Run").click()  # nothing changed: every node is a cache hit
    expect(page.get_by_test_id("run-status")).not_to_have_attribute("data-run", first_run)
    for node_id in ("photos", "camera", "video"):
        expect(node(page, node_id)).to_have_attribute("data-status", "cached", timeout=60_000)
    expect(node(page, "video").locator("video")).to_be_visible()  # cached nodes keep their outputs


def test_a_reload_restores_a_queued_then_running_run(page, studio, api):
    # A label of its own, so that no earlier run of the same graph makes this one a cache hit.
    (studio.graphs / "napping.yaml").write_text(SLEEPY.replace("label: awake", f"label: {uuid.uuid4().hex}"))
    open_graph(page, studio, "napping.yaml")
    page.click('[data-tab="queue"]')
    page.get_by_role("button", name="Pause queue").click()
    expect(page.get_by_role("button", name="Resume queue")).to_be_visible()
    try:
        page.get_by_role("button", name="▶ Run").click()
        status = page.get_by_test_id("run-status")
        expect(status).to_contain_text("queued")
        run_id = status.get_attribute("data-run")

        page.reload()
        expect(page.get_by_test_id("run-status")).to_have_attribute("data-run", run_id)
        expect(node(page, "nap")).to_have_attribute("data-status", "queued")
        page.click('[data-tab="queue"]')
        expect(page.locator(f'.queue-item[data-run="{run_id}"]')).to_be_visible()
        page.get_by_role("button", name="Resume queue").click()
        expect(node(page, "nap")).to_have_attribute("data-status", "running")
        expect(node(page, "nap").locator("progress")).to_be_visible()  # its progress, as it reports it
        page.reload()  # mid-run: the record, then the events, bring the states back
        expect(node(page, "nap")).to_have_attribute("data-status", re.compile("running|succeeded"))
    finally:
        api.post("/queue/resume")
    expect(node(page, "after")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(node(page, "nap")).to_have_attribute("data-status", "succeeded")


def test_a_cancelled_run_resumes_after_a_reload(page, studio):
    (studio.graphs / "resumable.yaml").write_text(SLEEPY.replace("label: awake", f"label: {uuid.uuid4().hex}"))
    open_graph(page, studio, "resumable.yaml")
    page.get_by_role("button", name="▶ Run").click()
    expect(node(page, "nap")).to_have_attribute("data-status", "running", timeout=60_000)
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("cancelled", timeout=30_000)
    page.reload()  # the run comes back cancelled, with its events (a resume follows on from them)
    expect(page.get_by_test_id("run-status")).to_contain_text("cancelled")
    page.get_by_role("button", name="Resume").click()
    expect(node(page, "after")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.get_by_test_id("run-status")).to_contain_text("succeeded")


def test_the_keyboard_copies_pastes_deletes_undoes_and_redoes(page, studio):
    open_graph(page, studio, "hello.yaml")
    nodes = page.locator(".rg-node")
    expect(nodes).to_have_count(4)
    node(page, "thumb").locator(".rg-head").click()
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(nodes).to_have_count(5)
    pasted = node(page, "thumb_2")
    expect(pasted).to_be_visible()
    expect(page.locator(".inspector .input-row", has_text="image")).to_contain_text("photos.image")
    page.keyboard.press("Delete")
    expect(nodes).to_have_count(4)
    page.keyboard.press("Control+z")
    expect(nodes).to_have_count(5)
    page.keyboard.press("Control+Shift+z")
    expect(nodes).to_have_count(4)
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    expect(nodes).to_have_count(4)
    expect(pasted).to_have_count(0)

    edge = page.locator('.react-flow__edge[data-id="thumb.image"]')
    edge.click()
    page.keyboard.press("Delete")
    expect(edge).to_have_count(0)
    node(page, "thumb").locator(".rg-head").click()
    expect(page.locator(".inspector .input-row", has_text="image")).to_contain_text("not connected")
    page.keyboard.press("Control+z")
    expect(edge).to_have_count(1)


def test_the_queue_panel_reorders_and_cancels(page, studio, api):
    api.post("/queue/pause")
    try:
        first = api.post("/runs", json={"path": "sleepy.yaml"}).json()["run_id"]
        second = api.post("/runs", json={"path": "sleepy.yaml", "priority": -1}).json()["run_id"]
        page.goto(studio.url + "/")
        page.click('[data-tab="queue"]')
        items = page.locator(".queue-item")
        expect(items).to_have_count(2)
        assert items.evaluate_all("items => items.map(i => i.dataset.run)") == [first, second]
        page.locator(f'.queue-item[data-run="{second}"]').get_by_title("Earlier").click()
        expect(items.first).to_have_attribute("data-run", second)
        for run_id in (first, second):
            page.locator(f'.queue-item[data-run="{run_id}"]').get_by_role("button", name="Cancel").click()
        expect(items).to_have_count(0)
        assert api.get(f"/runs/{first}").json()["status"] == "cancelled"
    finally:
        api.post("/queue/resume")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is missing (apt-get install espeak-ng)")
def test_a_voice_over_plays_and_its_subtitles_show_as_text(page, studio):
    open_graph(page, studio, "spoken.yaml")
    page.get_by_role("button", name="▶ Run").click()
    expect(node(page, "subs")).to_have_attribute("data-status", "succeeded", timeout=120_000)
    audio = node(page, "voice").locator("audio")
    audio.wait_for()
    page.wait_for_function("audio => audio.readyState >= 1 && audio.duration > 1", arg=audio.element_handle())
    expect(node(page, "subs").locator(".preview-text")).to_contain_text("Every good morning starts")
    expect(node(page, "subs").locator(".preview-text")).to_contain_text("00:00.0")


def test_the_matrix_panel_changes_a_nodes_fan_out(page, studio):
    open_graph(page, studio, "hello.yaml")
    expect(node(page, "caption").locator(".badge.fanout")).to_have_text("×2")
    page.click('[data-tab="matrix"]')
    page.fill('.matrix-row[data-var="locale"] input', "en, es, ca")
    expect(node(page, "caption").locator(".badge.fanout")).to_have_text("×3")
    expect(page.locator(".matrix-panel")).to_contain_text("caption ×3")


def test_a_failed_node_shows_its_message_and_its_dependants_are_skipped(page, studio):
    open_graph(page, studio, "broken.yaml")
    page.get_by_role("button", name="▶ Run").click()
    expect(node(page, "photos")).to_have_attribute("data-status", "failed", timeout=60_000)
    expect(node(page, "photos").locator(".rg-error")).to_contain_text("not an image")
    expect(node(page, "thumb")).to_have_attribute("data-status", "skipped")
    expect(page.get_by_test_id("run-status")).to_contain_text("failed")


def test_a_file_param_is_uploaded_into_the_graphs_folder(page, studio):
    open_graph(page, studio, "hello.yaml")
    node(page, "photos").locator(".rg-head").click()
    first_path = page.locator('.inspector [data-field="paths"] .list-row').first
    first_path.locator('input[type="file"]').set_input_files(str(REPO / "examples" / "assets" / "chelsea.png"))
    expect(first_path.locator('input[type="text"]')).to_have_value("uploads/chelsea.png")
    assert (studio.graphs / "uploads" / "chelsea.png").read_bytes() == \
        (REPO / "examples" / "assets" / "chelsea.png").read_bytes()
    expect(page.get_by_test_id("issues-count")).to_have_text("valid")


def test_saves_are_listed_as_revisions_and_a_stale_save_is_refused(page, studio):
    open_graph(page, studio, "revised.yaml")
    node(page, "thumb").locator(".rg-head").click()
    page.fill('.inspector [data-field="width"] input', "100")
    page.keyboard.press("Control+s")
    expect(page.locator(".toast")).to_contain_text("saved revised.yaml")
    page.click('[data-tab="files"]')
    expect(page.locator(".revisions li")).to_have_count(2)  # the file as it was, and this save

    path = studio.graphs / "revised.yaml"
    path.write_text(path.read_text() + "# edited elsewhere meanwhile\n")
    page.click('[data-tab="node"]')
    page.fill('.inspector [data-field="width"] input', "90")
    page.keyboard.press("Control+s")
    expect(page.locator(".toast")).to_contain_text("changed on disk")
    assert "width: 90" not in path.read_text() and "edited elsewhere" in path.read_text()

    page.click('[data-tab="files"]')  # open it again, as the message says (dropping the edit)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".files").get_by_role("button", name="revised.yaml").click()
    expect(page.locator(".revisions li")).to_have_count(2)  # newest first: this save, the file before it
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".revisions li").nth(1).get_by_role("button", name="restore").click()
    expect(page.locator(".toast")).to_contain_text("restored revised.yaml")
    restored = path.read_text()
    assert restored == (REPO / "examples" / "hello.yaml").read_text()
    # the restore, and before it the outside edit it replaced: nothing anyone wrote is lost
    expect(page.locator(".revisions li")).to_have_count(4)


@pytest.mark.slow
def test_a_two_hundred_node_graph_opens_and_drags(page, studio):
    """A benchmark figure (README), not a timed assertion: see bench/editor.py."""
    from bench.editor import measure_large_graph

    figures = measure_large_graph(page, studio, nodes=200)
    print(f"\n200-node graph: first render {figures['first_render_ms']:.0f} ms, all nodes shown "
          f"{figures['all_nodes_ms']:.0f} ms, drag {figures['drag_fps']:.0f} frames/s")
    assert figures["rendered_nodes"] > 0 and figures["drag_frames"] > 0
