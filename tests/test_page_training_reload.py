"""AppTest: a reload's new session finds the training again by the tab's address (?run=…),
and a run is abandoned only once no session has held it for server.disconnectedSessionTTL.

The jobs are fakes (nothing trains). The sessions end in a real F5's order: Streamlit releases
the old session's resources as soon as the browser disconnects, before the reloaded tab's new
session exists. tests/e2e/test_training_e2e.py presses F5 in Chromium during a real training.
"""

from __future__ import annotations

import time

import pytest
from streamlit import config
from streamlit.runtime.caching import cache_resource_api
from streamlit.testing.v1 import AppTest

from cnnviz import training_messages as messages
from tests.apptest_helpers import APP, TENSORFLOW_TIMEOUT_S
from tests.fake_jobs import FakeJob

PAGE = "pages/training.py"
SESSION_TTL_S = 1  # server.disconnectedSessionTTL here: how long a closed tab's run waits


@pytest.fixture
def fake_jobs(monkeypatch) -> list[FakeJob]:
    """Start makes fake jobs (running forever, as far as the page can tell)."""
    made: list[FakeJob] = []

    def fake_job(config, mnist, **options) -> FakeJob:
        made.append(FakeJob(config))
        return made[-1]

    monkeypatch.setattr("cnnviz.training.TrainingJob", fake_job)
    return made


class Sessions:
    """AppTest gives every app one session id, so session-scoped resources would be shared;
    here each tab is a session of its own, and a session can end as Streamlit ends it."""

    def __init__(self, monkeypatch) -> None:
        self.current = "tab 1"
        monkeypatch.setattr(cache_resource_api, "get_session_id_or_throw", lambda: self.current)

    def open(self, name: str, query: dict[str, str] | None = None, page: str = PAGE) -> AppTest:
        """A new tab at ``page`` (its first run is that page's, as after an F5 there)."""
        self.current = name
        app = AppTest.from_file(APP, default_timeout=TENSORFLOW_TIMEOUT_S)
        app.query_params.update(query or {})
        app.switch_page(page).run()
        assert not app.exception, [error.value for error in app.exception]
        return app

    def run(self, name: str, app: AppTest) -> None:
        self.current = name
        app.run()
        assert not app.exception, [error.value for error in app.exception]

    @staticmethod
    def end(name: str) -> None:
        """What Streamlit does as soon as a tab's browser disconnects (an F5 or a closed tab)."""
        cache_resource_api._resource_caches.clear_session(name)


@pytest.fixture
def sessions(monkeypatch) -> Sessions:
    before = config.get_option("server.disconnectedSessionTTL")
    config.set_option("server.disconnectedSessionTTL", SESSION_TTL_S)
    yield Sessions(monkeypatch)
    config.set_option("server.disconnectedSessionTTL", before)


def abandoned_within(job: FakeJob, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while job.stop_requests[-1:] != ["abandon"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return job.stop_requests[-1:] == ["abandon"]


def test_the_address_names_the_run_and_a_reload_finds_it_again(fake_jobs, sessions):
    tab = sessions.open("tab 1")
    assert "run" not in tab.query_params  # nothing to find yet
    tab.number_input(key="train_subset").set_value(512)
    next(button for button in tab.button if button.label == "Start training").click()
    sessions.run("tab 1", tab)
    token = tab.query_params["run"]
    assert len(token) >= 20 and len(fake_jobs) == 1

    sessions.end("tab 1")  # F5: the old session lets go first...
    reloaded = sessions.open("tab 1, reloaded", {"run": token})  # ...then the new one opens
    assert reloaded.session_state["training_jobs"]["lenet"] is fake_jobs[0]
    assert [toast.value for toast in reloaded.toast] == [messages.FOUND_AGAIN]
    progress = [element.proto.text for element in reloaded.get("progress")]
    assert progress == [
        "LeNet-5 (512 images) · Running · epoch 1/5 · batch 3/80"
    ]  # 512 images, 5 epochs
    assert reloaded.query_params["run"] == token
    # Another page drops the parameter from the address; coming back puts it there again.
    reloaded.switch_page("pages/home.py")
    sessions.run("tab 1, reloaded", reloaded)
    reloaded.switch_page(PAGE)
    sessions.run("tab 1, reloaded", reloaded)
    assert reloaded.query_params["run"] == token

    time.sleep(2 * SESSION_TTL_S)  # the old session's grace would be over: the claim holds
    assert fake_jobs[0].stop_requests == []
    sessions.run("tab 1, reloaded", reloaded)
    assert reloaded.session_state["training_jobs"]["lenet"] is fake_jobs[0]
    sessions.end("tab 1, reloaded")  # its tab is closed too...
    assert fake_jobs[0].stop_requests == []  # ...and the run waits for it to come back
    assert abandoned_within(fake_jobs[0], 5 * SESSION_TTL_S)  # nobody did: abandoned
    assert "no longer on the server" in sessions.open("tab 2", {"run": token}).info[0].value


def test_a_closed_tab_nobody_reloads_still_abandons_its_run(fake_jobs, sessions):
    tab = sessions.open("tab A")
    tab.number_input(key="train_subset").set_value(512)
    next(button for button in tab.button if button.label == "Start training").click()
    sessions.run("tab A", tab)
    sessions.end("tab A")
    assert abandoned_within(fake_jobs[0], 5 * SESSION_TTL_S)


def test_a_session_whose_browser_reconnects_holds_its_run_again(fake_jobs, sessions):
    """A network drop: Streamlit releases the session's resources at the disconnect, and the
    browser comes back to the same session (its state kept) within the TTL."""
    tab = sessions.open("tab W")
    tab.number_input(key="train_subset").set_value(512)
    next(button for button in tab.button if button.label == "Start training").click()
    sessions.run("tab W", tab)
    tab.switch_page("pages/pooling.py")  # the student moves on while it trains
    sessions.run("tab W", tab)
    sessions.end("tab W")  # the Wi-Fi drops: the hold on the run goes with the resources
    sessions.run("tab W", tab)  # back, the same session: its next run holds the run again
    time.sleep(2 * SESSION_TTL_S)  # past the grace period the drop started
    assert fake_jobs[0].stop_requests == []
    tab.switch_page(PAGE)
    sessions.run("tab W", tab)
    assert tab.session_state["training_jobs"]["lenet"] is fake_jobs[0]
    assert tab.get("progress")  # its run is still on the page
    sessions.end("tab W")  # and closed for good: abandoned after the grace period
    assert abandoned_within(fake_jobs[0], 5 * SESSION_TTL_S)


def test_an_address_whose_run_is_gone_says_so_and_forgets_it(sessions):
    app = sessions.open("tab B", {"run": "a-token-nobody-filed"})
    assert app.session_state["training_jobs"] == {}
    infos = " ".join(info.value for info in app.info)
    assert (
        infos.startswith("The training this address pointed to is no longer on the server")
        and "for more than 1 s" in infos
    )
    assert "run" not in app.query_params


def go_to(app: AppTest, page: str) -> AppTest:
    """Follow a menu link: the browser's address loses its query parameters, as in a real tab."""
    app.query_params.clear()
    return app.switch_page(page)


def test_every_page_keeps_the_run_in_the_address_so_a_reload_there_finds_it(fake_jobs, sessions):
    tab = sessions.open("tab P")
    tab.number_input(key="train_subset").set_value(512)
    next(button for button in tab.button if button.label == "Start training").click()
    sessions.run("tab P", tab)
    token = tab.query_params["run"]
    go_to(tab, "pages/pooling.py")
    sessions.run("tab P", tab)
    assert tab.query_params["run"] == token  # the address on the pooling page names the run

    sessions.end("tab P")  # F5 on the pooling page: a new session with the same address
    reloaded = sessions.open("tab P, reloaded", {"run": token}, page="pages/pooling.py")
    assert "Pooling" in reloaded.title[0].value
    assert [toast.value for toast in reloaded.toast] == [messages.FOUND_AGAIN]
    go_to(reloaded, "pages/home.py")
    sessions.run("tab P, reloaded", reloaded)
    assert reloaded.query_params["run"] == token
    go_to(reloaded, PAGE)  # back to Live training: the run is there, not the empty form
    sessions.run("tab P, reloaded", reloaded)
    assert reloaded.session_state["training_jobs"]["lenet"] is fake_jobs[0]
    assert reloaded.get("progress") and reloaded.query_params["run"] == token
    time.sleep(2 * SESSION_TTL_S)  # past the old session's grace: the new one holds the run
    assert fake_jobs[0].stop_requests == []
