"""A training whose tab is gone stops when Streamlit drops the session, and frees the slot.

The server trains one model at a time (CNNVIZ_MAX_TRAININGS=1). A first student starts a long
training and closes the tab; once the server has dropped that session (after a short
``server.disconnectedSessionTTL``), a second student's training must start at once rather than
wait behind the orphan ("Busy, you are next"). Speaks Streamlit's protocol
(bench/support/streamlit_client.py); no Chromium needed.
"""

from __future__ import annotations

import asyncio

import pytest

from bench.support.harness import run_coroutine, running_app
from bench.support.streamlit_client import StreamlitClient

pytestmark = pytest.mark.e2e

SESSION_TTL_S = 2
TIMEOUT_S = 60.0
BUSY = "Busy, you are next"


async def start_long_training(app_url: str, name: str) -> StreamlitClient:
    """Open Live training and start the LeNet-5 recipe on all of MNIST (minutes of work)."""
    client = StreamlitClient(app_url, name=name, timeout_s=TIMEOUT_S)
    await client.connect()
    await client.open_page("Live training")
    await client.set_value("Training images", 60000)
    await client.set_value("Epochs", 5)
    started = await client.click("Start training")
    assert started.status == "success", started
    await client.wait_auto_reruns(2)  # the live charts are ticking: the job is under way
    return client


async def close_tab_then_train_again(app_url: str) -> tuple[list[str], list[str]]:
    first = await start_long_training(app_url, "first")
    await first.close()  # the tab is gone, the training still running
    await asyncio.sleep(SESSION_TTL_S + 1)
    # Streamlit's session store drops expired sessions on its next write: a visitor's arrival.
    probe = StreamlitClient(app_url, name="probe", timeout_s=TIMEOUT_S)
    await probe.connect()
    await probe.close()
    second = await start_long_training(app_url, "second")
    try:
        second_texts = second.texts()
        stop = await second.click("Stop training")
        assert stop.status == "success", stop
    finally:
        await second.close()
    return first.texts(), second_texts


@pytest.mark.full_mnist  # a training of all 60,000 images, minutes long
def test_closing_the_tab_stops_its_training_and_frees_the_slot():
    arguments = ["--server.disconnectedSessionTTL", str(SESSION_TTL_S)]
    with running_app(extra_args=arguments, extra_env={"CNNVIZ_MAX_TRAININGS": "1"}) as server:
        first_texts, second_texts = run_coroutine(
            close_tab_then_train_again(server.url), timeout_s=4 * TIMEOUT_S
        )
    assert not any(BUSY in text for text in first_texts)  # the first had the slot
    assert not any(BUSY in text for text in second_texts), "the closed tab's training kept the slot"
