"""Fixtures for the end-to-end tests: the real app in Chromium, driven by Playwright's sync API.

- `app_url` (session): `streamlit run app.py` on a free loopback port, ready when
  GET /_stcore/health says "ok"; the process group is terminated after the session.
- `browser` (session) and `page` (function: a fresh context, 1400x1000, 30 s default timeout).
- `console_errors` (function): the browser console's errors on `page`, collected as they happen.
- `open_app_page(page, app_url, path)`: go to a page and wait until its script run has finished.
- `ARTIFACTS_DIR` (tests/e2e/artifacts, git-ignored): screenshots; a failing test leaves one there.

The helpers live in `bench/support/harness.py` (the load test uses them too); test modules import
them with ``from bench.support.harness import open_app_page, ARTIFACTS_DIR``. Every e2e test module
sets ``pytestmark = pytest.mark.e2e``; `pytest -m "not e2e"` leaves them out. Take Playwright's
`expect` from ``expect = playwright_expect()`` rather than importing it: without playwright the
module is then skipped (or fails under CNNVIZ_REQUIRE_BROWSER=1) instead of an ImportError.

Without /usr/bin/chromium or the playwright package the browser tests are skipped, unless
CNNVIZ_REQUIRE_BROWSER=1 (set by .ci/run): then they fail with the reason.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from bench.support.harness import (
    ARTIFACTS_DIR,
    AppServer,
    browser_required,
    browser_unavailable_reason,
    console_error_text,
    context_options,
    launch_options,
    prepare_page,
    start_app_server,
)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so `page` can tell whether its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def app_server() -> Iterator[AppServer]:
    """The app, started once for the whole test session."""
    try:
        server = start_app_server()
    except RuntimeError as error:
        pytest.fail(f"could not start the app: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def app_url(app_server: AppServer) -> str:
    """Base URL of the running app, e.g. "http://127.0.0.1:8765"."""
    return app_server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, launched once per session."""
    reason = browser_unavailable_reason()
    if reason is not None:
        if browser_required():
            pytest.fail(f"browser tests are required (CNNVIZ_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(**launch_options())
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, app_server: AppServer) -> Iterator[Any]:
    """A fresh page in its own context (its own Streamlit session)."""
    context = browser.new_context(**context_options())
    new_page = context.new_page()
    prepare_page(new_page)
    try:
        yield new_page
    finally:
        call_report = getattr(request.node, "report_call", None)
        if call_report is not None and call_report.failed:
            _keep_failure_evidence(new_page, request.node.name, app_server)
        context.close()


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    """Console errors and uncaught page errors of `page`, appended as they happen."""
    errors: list[str] = []

    def record_console(message: Any) -> None:
        text = console_error_text(message)
        if text is not None:
            errors.append(text)

    page.on("console", record_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


def _keep_failure_evidence(page: Any, test_name: str, server: AppServer) -> None:
    """A screenshot of what the failing test saw, and the server log beside it."""
    safe_name = "".join(c if c.isalnum() or c in "-_" else "_" for c in test_name)
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS_DIR / f"FAILED-{safe_name}.png"))
    except Exception as error:  # the page may be gone; the log still helps
        print(f"no failure screenshot: {error}")
    shutil.copyfile(server.log_path, ARTIFACTS_DIR / f"FAILED-{safe_name}.server.log")
