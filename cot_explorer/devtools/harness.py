"""Start the real app (python app.py) on a free loopback port and drive Debian's Chromium."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listeners(port: int) -> set[int]:
    """The processes listening on `port` (the suite runs on two workers, and a port found free
    by both before either app bound it is one app's only: an app takes seconds to start)."""
    import psutil  # a test dependency, as Playwright is

    return {c.pid for c in psutil.net_connections(kind="tcp")
            if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN and c.pid}


class AppUrl(str):
    """The app's address, which also knows the app's process id (for memory measurements)."""

    def __new__(cls, url: str, pid: int):
        obj = super().__new__(cls, url)
        obj.pid = pid
        return obj


def user_home(name: str) -> Path:
    """A fresh home folder for the app's user, outside /tmp and outside the checkout: the
    store then lands in the user data folder, where it lands for a real user (a fixture under
    /tmp once hid a bug that broke every image upload)."""
    base = Path.home() / ".cache" / "cot-explorer-tests"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))


def store_of(user_home_dir: Path) -> Path:
    """Where the app puts its store for that user (platformdirs' user data dir on Linux)."""
    return user_home_dir / ".local" / "share" / "cot-explorer"


@contextmanager
def running_app(user_home_dir: Path, env: dict | None = None, timeout: float = 120.0):
    """`python app.py`, as the README starts it, for a user whose home is `user_home_dir`. An
    app that exits before it serves, or finds its port taken by another process, is started
    again on another port, twice at most (see `_listeners`)."""
    for attempt in range(3):
        proc, url, log, log_path = _start_app(user_home_dir, env)
        try:
            outcome = _served(proc, url, timeout)
            if outcome == "served":
                break
            if outcome == "timeout" or attempt == 2:
                raise RuntimeError(f"the app did not start ({outcome}): {log_path.read_text()[-2000:]}")
        except BaseException:
            _stop(proc, log)
            raise
        _stop(proc, log)   # exited, or its port taken: another port
    try:
        yield AppUrl(url, proc.pid)
    finally:
        _stop(proc, log)


def _start_app(user_home_dir: Path, env: dict | None):
    port = free_port()
    full_env = {**os.environ, "HOME": str(user_home_dir), "GRADIO_SERVER_PORT": str(port),
                "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
    for key in ("ANTHROPIC_API_KEY", "COT_EXPLORER_HOME", "XDG_DATA_HOME", "SPACE_ID"):
        if key not in (env or {}):
            full_env.pop(key, None)
    log_path = user_home_dir / f"app-{port}.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}/", log, log_path


def _served(proc, url: str, timeout: float) -> str:
    """"served" once the app answers at `url` and is the one listening there; "exited" if it
    exits first; "port taken" if another process listens there and it does not, 15 s on;
    "timeout" otherwise."""
    port = int(url.rsplit(":", 1)[1].strip("/"))
    start = time.time()
    while time.time() < start + timeout:
        if proc.poll() is not None:
            return "exited"
        listening = _listeners(port)
        if proc.pid in listening:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status in (200, 401):
                        return "served"
            except urllib.error.HTTPError as e:
                if e.code == 401:
                    return "served"
            except OSError:
                pass
        elif listening and time.time() > start + 15:
            return "port taken"
        time.sleep(0.5)
    return "timeout"


def _stop(proc, log) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    log.close()


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright  # a test dependency, needed only here

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium chromium-driver")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def boxes(page, *selectors: str, timeout: float = 60_000) -> list[dict]:
    """Where the elements are ({x, y, width, height} each), read in one go in the page once all
    of them are drawn: the span editor draws itself again as answers come, and an element read
    between two draws had no box (CI)."""
    handle = page.wait_for_function(
        """(sels) => { const found = sels.map((s) => document.querySelector(s));
            if (found.some((e) => !e || !e.getClientRects().length)) return null;
            return found.map((e) => { const b = e.getBoundingClientRect();
                                      return { x: b.x, y: b.y, width: b.width, height: b.height }; }); }""",
        arg=list(selectors), timeout=timeout)
    return handle.json_value()


def slow_network(page, ms: int = 800) -> None:
    """Every request of the page waits `ms` before it leaves: time to act while one is on its way."""
    page.evaluate("""(ms) => { const f = window.fetch;
        window.fetch = (...a) => new Promise((ok) => setTimeout(() => ok(f(...a)), ms)); }""", ms)


def pick(page, elem_id: str, option: str) -> None:
    """Choose an option of a Gradio dropdown."""
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def pick_post(page, elem_id: str, post_id: str) -> None:
    """Choose a post in a dropdown whose options read `<text> · <post id>[ · with an image]`."""
    page.locator(f"#{elem_id} input").click()
    # "/" escaped too: Playwright writes the pattern out as a /.../ literal
    post = re.escape(post_id).replace("/", r"\/")
    page.get_by_role("option", name=re.compile(rf" · {post}( · with an image)?$")).first.click()


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def fill(page, elem_id: str, text: str) -> None:
    """Type into a Gradio textbox (an input or a textarea, depending on its size)."""
    page.locator(f"#{elem_id}").locator("textarea, input").first.fill(text)
