"""The end-to-end harness without pytest: start the app, launch Chromium, wait for a rerun.

`tests/e2e/conftest.py` wraps these in fixtures; `bench/load_test.py` imports them directly, so the
load test starts the server and waits for Streamlit exactly as the tests do.

How "the script has finished" is detected: Streamlit 1.67 renders the app root as
``<div data-testid="stApp" data-test-script-state="..." data-test-connection-state="...">``.
The script state goes ``initial`` → ``running`` → ``notRunning`` (or ``rerunRequested`` /
``stopRequested`` in between); the connection state is ``CONNECTED`` once the websocket is up. The
"Running..." status widget (``[data-testid=stStatusWidget]``) is only mounted while a run is in
progress, with a 200 ms fade, so the attribute is the reliable signal for a page load. After a
click, the attribute alone can race (under load React may apply a whole rerun in one render, so
"running" never shows): `rerun_after` also counts the server's websocket messages.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = PROJECT_ROOT / "tests" / "e2e" / "artifacts"
DOCS_DIR = PROJECT_ROOT / "docs"
SHARED_MNIST = PROJECT_ROOT.parent / "shared" / "data" / "mnist.npz"

CHROMIUM_PATH = Path("/usr/bin/chromium")
# Without the networking flags Chromium tries to reach Google's hosts and fails noisily offline.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1400, "height": 1000}
DEFAULT_TIMEOUT_MS = 30_000
SERVER_START_TIMEOUT_S = 60.0
SERVE_START_TIMEOUT_S = 240.0  # cnnviz.serve starts several Streamlit processes at once
# Tallest full-page screenshot; beyond this a README image is unreadable anyway.
MAX_SCREENSHOT_HEIGHT = 7000

# Environment switches (documented in README / .ci/run).
REQUIRE_BROWSER_ENV = "CNNVIZ_REQUIRE_BROWSER"
UPDATE_SCREENSHOTS_ENV = "CNNVIZ_UPDATE_SCREENSHOTS"

APP_ROOT_SELECTOR = "[data-testid='stApp']"
NAV_LINK = "[data-testid='stSidebarNav'] [data-testid='stSidebarNavLink']"  # a page's link
APP_IDLE_SELECTOR = (
    "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
    "[data-test-script-state='notRunning']"
)

BENIGN_404_URL = re.compile(r"/[^/]+/_stcore/(health|host-config)$")

# Installed in every page before Streamlit loads. It counts the websocket messages from the
# server and logs the script-state transitions. Under load React may apply a whole rerun's
# messages in one render, so "running" never reaches the DOM: the messages are the reliable sign
# that a rerun happened, and the attribute (plus no stale elements) that it has ended.
RUN_COUNTER_SCRIPT = """
(() => {
  window.__cnnvizMessages = {count: 0, lastAt: 0};
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", () => {
        window.__cnnvizMessages.count += 1;
        window.__cnnvizMessages.lastAt = performance.now();
      });
    }
  };
  window.__cnnvizRunLog = [];  // the last transitions, [ms since load, from, to]
  const observer = new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      const state = mutation.target.getAttribute("data-test-script-state");
      if (state === mutation.oldValue) continue;
      window.__cnnvizRunLog.push([Math.round(performance.now()), mutation.oldValue, state]);
      if (window.__cnnvizRunLog.length > 400) window.__cnnvizRunLog.shift();
    }
  });
  observer.observe(document, {
    subtree: true,
    attributes: true,
    attributeOldValue: true,
    attributeFilter: ["data-test-script-state"],
  });
})();
"""
# How long the server must have been silent before a finished-looking rerun counts as finished.
QUIET_MS = 250
# The rerun has ended when a message arrived after the action, the app is idle with no stale
# elements left, and the server has been quiet for QUIET_MS. Returns the ms from the action to
# the rerun's last message, or false. (Argument: [message count before, performance.now() then].)
RERUN_DONE_JS = (
    """
([countBefore, startedAt]) => {
  const messages = window.__cnnvizMessages;
  const app = document.querySelector("[data-testid='stApp']");
  if (!messages || !app || messages.count <= countBefore) return false;
  if (app.getAttribute("data-test-script-state") !== "notRunning") return false;
  if (app.getAttribute("data-test-connection-state") !== "CONNECTED") return false;
  if (document.querySelector("[data-stale='true']")) return false;
  if (performance.now() - messages.lastAt < QUIET_MS) return false;
  return Math.max(messages.lastAt - startedAt, 0);
}
"""
).replace("QUIET_MS", str(QUIET_MS))
RERUN_MARK_JS = (
    "() => [window.__cnnvizMessages ? window.__cnnvizMessages.count : 0, performance.now()]"
)


def browser_unavailable_reason() -> str | None:
    """Say why a browser test cannot run here, or None when it can."""
    if not CHROMIUM_PATH.is_file():
        return (
            f"Chromium not found at {CHROMIUM_PATH}: install it with `apt-get install -y chromium`"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: `pip install -r requirements-dev.txt`"
    return None


def browser_required() -> bool:
    """True when browser tests must fail, not skip, without Chromium (CI sets the variable)."""
    return os.environ.get(REQUIRE_BROWSER_ENV, "") not in ("", "0", "false", "no")


def playwright_expect() -> Any:
    """Playwright's `expect`, for a test module's top level.

    Without playwright (or Chromium) the module is skipped with the reason, or, under
    CNNVIZ_REQUIRE_BROWSER=1, its collection fails with it, instead of an ImportError.
    """
    import pytest  # only test modules call this; the load test does not need pytest

    reason = browser_unavailable_reason()
    if reason is not None:
        if browser_required():
            pytest.fail(f"browser tests are required (CNNVIZ_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason, allow_module_level=True)
    from playwright.sync_api import expect

    return expect


def run_coroutine(coroutine: Any, timeout_s: float) -> Any:
    """Run an asyncio coroutine to completion and return its result, from any test.

    On a thread of its own: Playwright's sync API (the browser fixtures) keeps an event loop
    running on the main thread for the whole session, and ``asyncio.run`` refuses to start
    inside a running loop.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def bounded() -> Any:
        return await asyncio.wait_for(coroutine, timeout=timeout_s)

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, bounded()).result()


def find_free_port() -> int:
    """Ask the kernel for a free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_environment() -> dict[str, str]:
    """The server's environment: ours, with CNNVIZ_MNIST defaulting to the shared MNIST file."""
    env = dict(os.environ)
    if "CNNVIZ_MNIST" not in env and SHARED_MNIST.is_file():
        env["CNNVIZ_MNIST"] = str(SHARED_MNIST)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class AppServer:
    """The app's server on loopback (`streamlit run app.py`, or `python -m cnnviz.serve`),
    started in its own process group."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    _log_file: Any = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self, last_chars: int = 6000) -> str:
        """The tail of the server's stdout and stderr."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(server log unreadable: {error})"
        return text[-last_chars:]

    def stop(self, timeout_s: float = 10.0) -> None:
        """Terminate the whole process group (Streamlit may spawn helpers), then kill it."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout_s)
        self._log_file.close()


def start_app_server(
    project_root: Path = PROJECT_ROOT,
    *,
    port: int | None = None,
    timeout_s: float = SERVER_START_TIMEOUT_S,
    extra_env: dict[str, str] | None = None,
    extra_args: Sequence[str] = (),
) -> AppServer:
    """Start the app and return once GET /_stcore/health answers "ok".

    `extra_args` are appended to the `streamlit run` command line (more config options, e.g.
    ``["--server.disconnectedSessionTTL", "5"]`` for the load test).

    Raises
    ------
    RuntimeError
        When the server exits or is not healthy within `timeout_s`; the message holds its log.
    """
    port = port or find_free_port()
    env = app_environment()
    env.update(extra_env or {})
    # Closed by AppServer.stop; a file, not a pipe, so a chatty server never blocks on output.
    log_file = tempfile.NamedTemporaryFile(
        prefix=f"cnnviz-streamlit-{port}-", suffix=".log", delete=False
    )
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        *extra_args,
    ]
    process = subprocess.Popen(
        command,
        cwd=project_root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() reaches every child
    )
    server = AppServer(process=process, port=port, log_path=Path(log_file.name), _log_file=log_file)
    try:
        wait_for_health(server, timeout_s)
    except BaseException:
        server.stop()
        raise
    return server


def wait_for_health(server: AppServer, timeout_s: float) -> None:
    """Poll /_stcore/health until it says "ok"; fail early if the process dies."""
    deadline = time.monotonic() + timeout_s
    health_url = f"{server.url}/_stcore/health"
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {server.process.returncode} before it was healthy.\n"
                f"--- server log ({server.log_path}) ---\n{server.log_text()}"
            )
        try:
            with urllib.request.urlopen(health_url, timeout=2) as response:
                body = response.read().decode(errors="replace").strip()
            if body == "ok":
                return
            last_error = f"health said {body!r}"
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last_error = str(error)
        time.sleep(0.25)
    raise RuntimeError(
        f"streamlit was not healthy at {health_url} within {timeout_s:.0f} s ({last_error}).\n"
        f"--- server log ({server.log_path}) ---\n{server.log_text()}"
    )


def start_served_app(
    processes: int, streamlit_args: Sequence[str] = (), timeout_s: float = SERVE_START_TIMEOUT_S
) -> AppServer:
    """``python -m cnnviz.serve --processes N`` on a free loopback port, once it serves.

    `streamlit_args` are passed on to every Streamlit process (after the ``--``).

    Raises
    ------
    RuntimeError
        When cnnviz.serve exits or does not serve within `timeout_s`; the message holds its log.
    """
    port = find_free_port()
    log_file = tempfile.NamedTemporaryFile(
        prefix=f"cnnviz-serve-{port}-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "cnnviz.serve", "--processes", str(processes)),
            *("--port", str(port), "--host", "127.0.0.1", "--"),
            *("--server.fileWatcherType", "none", *streamlit_args),
        ],
        cwd=PROJECT_ROOT,
        env=app_environment(),
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() reaches every child
    )
    server = AppServer(process=process, port=port, log_path=Path(log_file.name), _log_file=log_file)
    deadline = time.monotonic() + timeout_s
    while "serving on" not in server.log_text():
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"cnnviz.serve did not start:\n{server.log_text()}")
        time.sleep(0.5)
    return server


@contextlib.contextmanager
def running_app(**kwargs: Any) -> Iterator[AppServer]:
    """`with running_app() as server:` starts the app and always stops it."""
    server = start_app_server(**kwargs)
    try:
        yield server
    finally:
        server.stop()


def launch_options() -> dict[str, Any]:
    """Keyword arguments for playwright's `chromium.launch` (sync or async API)."""
    return {"executable_path": str(CHROMIUM_PATH), "args": list(CHROMIUM_ARGS), "headless": True}


def context_options() -> dict[str, Any]:
    """Keyword arguments for `browser.new_context`."""
    return {"viewport": dict(VIEWPORT)}


def prepare_page(page: Any) -> None:
    """Default timeout and the run counter, for a fresh sync-API page."""
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page.add_init_script(RUN_COUNTER_SCRIPT)


def wait_for_app_idle(page: Any, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until the websocket is connected and no script run is in progress.

    Polled on a timer, not with Playwright's ``wait_for_selector``: that one checks on animation
    frames, and Chromium stops giving those to a tab that is not in front, so with a teacher
    and three students open it waited out its timeout on a page that had long been idle.
    """
    page.wait_for_function(
        "(selector) => document.querySelector(selector) !== null",
        arg=APP_IDLE_SELECTOR,
        polling=50,
        timeout=timeout_ms,
    )


def open_app_page(page: Any, app_url: str, path: str = "/") -> None:
    """Go to `app_url + path` and wait for the app root and for its first script run to end."""
    url = app_url.rstrip("/") + "/" + path.lstrip("/")
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(APP_ROOT_SELECTOR, state="attached")
    wait_for_app_idle(page)


def new_user_page(browser: Any) -> tuple[Any, Any]:
    """A browser context of its own (another person: own cookies, own session) and its page,
    prepared; the caller closes the context."""
    context = browser.new_context(**context_options())
    page = context.new_page()
    prepare_page(page)
    return context, page


def click_nav(page: Any, label: str) -> None:
    """Open the page titled ``label`` from the sidebar navigation and wait for its run."""
    rerun_after(page, lambda: page.locator(NAV_LINK, has_text=label).click())


def rerun_after(
    page: Any, action: Callable[[], Any], timeout_ms: float = DEFAULT_TIMEOUT_MS
) -> float:
    """Do `action` (a click, a key, a stroke), wait for the rerun it causes to end.

    Returns the seconds from just before the action to the rerun's last message from the server
    (the quiet period that proves it was the last is not counted).
    """
    mark = page.evaluate(RERUN_MARK_JS)
    action()
    handle = page.wait_for_function(RERUN_DONE_JS, arg=mark, timeout=timeout_ms, polling=50)
    return float(handle.json_value()) / 1000


def is_benign_console_error(text: str, url: str) -> bool:
    """True for the 404s Streamlit's frontend causes itself on a deep link such as /pooling.

    It first looks for its endpoints under the page's path (/pooling/_stcore/health and
    /pooling/_stcore/host-config), gets 404, and falls back to the root: harmless noise.
    """
    return "status of 404" in text and bool(BENIGN_404_URL.search(url))


def console_error_text(message: Any) -> str | None:
    """The text of a Playwright console message worth reporting, or None."""
    if message.type != "error":
        return None
    url = (message.location or {}).get("url", "")
    if is_benign_console_error(message.text, url):
        return None
    return f"{message.text} ({url})" if url else message.text


def exception_texts(page: Any) -> list[str]:
    """The text of every Streamlit exception box on the page (a traceback shown to the user)."""
    return [text.strip() for text in page.locator("[data-testid='stException']").all_inner_texts()]


def updating_screenshots() -> bool:
    """True when CNNVIZ_UPDATE_SCREENSHOTS=1: the tests refresh the README's docs/*.png."""
    return os.environ.get(UPDATE_SCREENSHOTS_ENV) == "1"


# True once no element is still a loading skeleton and every Plotly chart has drawn its SVG.
RENDERED_JS = """
() => {
  const main = document.querySelector("[data-testid='stMain']");
  if (!main) return false;
  const skeletons = "[data-testid='stSkeleton'], [data-testid='stSkeletonElement']";
  if (main.querySelector(skeletons)) return false;
  const charts = [...main.querySelectorAll("[data-testid='stPlotlyChart']")];
  return charts.every((chart) => chart.querySelector(".main-svg"));
}
"""


def wait_for_rendered(page: Any, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until the page has drawn everything: no loading skeletons, every chart drawn."""
    page.wait_for_function(RENDERED_JS, timeout=timeout_ms, polling=100)


def save_screenshot(
    page: Any, name: str, *, full_page: bool | None = None, docs: bool = False
) -> Path:
    """Save `name`.png into ARTIFACTS_DIR (and into docs/ when docs=True and
    CNNVIZ_UPDATE_SCREENSHOTS=1). Returns the artifacts path.

    `full_page` defaults to True only while updating the docs: a tall page takes seconds to
    render whole, so the everyday test run keeps the viewport.

    Streamlit scrolls inside its main container, not the document, so Playwright's own
    `full_page` sees one viewport: the viewport is stretched to the content's height instead.
    """
    if full_page is None:
        full_page = docs and updating_screenshots()
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    artifact_path = ARTIFACTS_DIR / f"{name}.png"
    original_viewport = page.viewport_size
    if full_page and original_viewport is not None:
        content_height = int(
            page.evaluate(
                """() => {
                  const main = document.querySelector("[data-testid='stMain']");
                  return Math.max(main ? main.scrollHeight : 0, document.body.scrollHeight);
                }"""
            )
        )
        height = min(max(content_height, original_viewport["height"]), MAX_SCREENSHOT_HEIGHT)
        page.set_viewport_size({"width": original_viewport["width"], "height": height})
        page.wait_for_timeout(500)  # let Plotly and the layout settle at the new height
    wait_for_app_idle(page)
    wait_for_rendered(page)
    try:
        page.screenshot(path=str(artifact_path))
    finally:
        if full_page and original_viewport is not None:
            page.set_viewport_size(original_viewport)
    if docs and updating_screenshots():
        DOCS_DIR.mkdir(parents=True, exist_ok=True)
        (DOCS_DIR / f"{name}.png").write_bytes(artifact_path.read_bytes())
    return artifact_path
