"""A real studio server (`reelgraph ui` in a subprocess) and a real Chromium, for the editor's
browser tests and bench.editor.

Playwright cannot download its browsers here; it drives Debian's `chromium` package instead
(PITFALLS: Web, browsers). Whoever lacks it gets a skip that says why.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STATIC = REPO / "flows" / "studio" / "static"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
TOKEN = "editor-test-token"
URL_LINE = re.compile(r"reelgraph studio on (http://\S+)")


def chromium_path() -> str | None:
    found = os.environ.get("REELGRAPH_CHROMIUM") or next(
        (path for path in CHROMIUM_CANDIDATES if Path(path).is_file()), None)
    return found or shutil.which("chromium")


def why_no_browser() -> str | None:
    """A reason to skip, or None when the browser tests can run."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if importlib.util.find_spec("reelgraph.flows.studio.app") is None:
        return "the studio server (reelgraph.flows.studio, issue 11) is not in this tree"
    if chromium_path() is None:
        return "Chromium is missing: apt-get install chromium (playwright cannot download browsers here)"
    if not (STATIC / "index.html").is_file():
        return "the editor is not built: run `make ui` (Node 20 + npm)"
    return None


@dataclass
class StudioProcess:
    """`reelgraph ui` on a free port, with its own database, store and graphs folder."""

    workdir: Path
    graphs: Path
    url: str = ""
    process: subprocess.Popen | None = None
    output: list[str] | None = None

    def start(self, timeout: float = 120.0, workers: int = 1) -> StudioProcess:
        self.graphs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "REELGRAPH_UI_TOKEN": TOKEN, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
        command = [str(Path(sys.executable).parent / "reelgraph"), "ui", "--host", "127.0.0.1", "--port", "0",
                   "--workers", str(workers), "--graphs", str(self.graphs),
                   "--db", f"sqlite:///{self.workdir / 'studio.db'}", "--store", str(self.workdir / "store")]
        self.process = subprocess.Popen(command, cwd=self.workdir, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.output = []
        found = threading.Event()

        def read() -> None:  # keep draining, or a chatty server blocks on a full pipe
            for line in self.process.stdout:
                self.output.append(line)
                match = URL_LINE.search(line)
                if match and not found.is_set():
                    self.url = match.group(1)
                    found.set()
            found.set()

        threading.Thread(target=read, daemon=True, name="studio-output").start()
        if not found.wait(timeout) or not self.url:
            self.stop()
            raise RuntimeError("reelgraph ui did not start:\n" + "".join(self.output))
        return self

    @property
    def login_url(self) -> str:
        return f"{self.url}/login?token={TOKEN}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # our own process group only
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def logged_in_page(browser, studio: StudioProcess, viewport=(1366, 768)):
    """A page with the studio's session cookie (the login URL sets it), on a laptop-sized screen."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.goto(studio.login_url)
    page.wait_for_url(studio.url + "/")
    return page
