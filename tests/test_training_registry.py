"""The registry that lets a reloaded tab find its training again (cnnviz.training.registry)."""

from __future__ import annotations

import time

import pytest

from cnnviz import models
from cnnviz.training.registry import TOKEN_BYTES, JobRegistry, TabClaim
from tests.fake_jobs import FakeJob

GRACE_S = 0.3  # the tests' grace period: long enough to claim in, short enough to wait out


def tab_with_a_job(registry: JobRegistry, grace_s: float = 0.0) -> tuple[TabClaim, FakeJob, str]:
    tab = TabClaim(registry, grace_s=grace_s)
    job = FakeJob(models.TrainingConfig(subset=512, epochs=1))
    tab.jobs["lenet"] = job
    token = tab.file()
    assert token is not None
    return tab, job, token


def wait_for_abandon(job: FakeJob, within_s: float) -> float:
    """Seconds until ``job`` is abandoned; fails after ``within_s``."""
    start = time.monotonic()
    while job.stop_requests != ["abandon"]:
        assert time.monotonic() - start < within_s, f"not abandoned within {within_s} s"
        time.sleep(0.01)
    return time.monotonic() - start


def test_an_f5_lets_go_first_and_the_reloaded_tab_claims_the_jobs_within_the_grace():
    registry = JobRegistry()
    first, job, token = tab_with_a_job(registry, GRACE_S)
    first.release()  # Streamlit releases the old session as soon as the browser disconnects
    assert job.stop_requests == [] and len(registry) == 1
    reloaded = TabClaim(registry, grace_s=GRACE_S)
    assert reloaded.claim(token) is first.jobs  # the new session, a moment later
    assert reloaded.jobs["lenet"] is job and reloaded.token == token
    time.sleep(3 * GRACE_S)  # the cancelled grace period would have run out by now
    assert job.stop_requests == [] and reloaded.jobs == {"lenet": job}
    reloaded.release()  # the reloaded tab is closed too: nobody comes back
    assert wait_for_abandon(job, within_s=10 * GRACE_S) >= GRACE_S * 0.9
    assert len(registry) == 0 and reloaded.jobs == {}
    assert TabClaim(registry).claim(token) is None  # the address finds nothing any more


def test_a_second_tab_holding_the_token_keeps_the_jobs_when_the_first_ends():
    registry = JobRegistry()
    first, job, token = tab_with_a_job(registry)
    second = TabClaim(registry)
    assert second.claim(token) is first.jobs
    first.release()
    assert job.stop_requests == [] and second.jobs == {"lenet": job}
    second.release()
    assert job.stop_requests == ["abandon"] and len(registry) == 0


def test_a_closed_tab_without_grace_abandons_its_jobs_at_once():
    registry = JobRegistry()
    tab, job, token = tab_with_a_job(registry)
    tab.release()
    assert job.stop_requests == ["abandon"] and tab.jobs == {}
    assert TabClaim(registry).claim(token) is None


def test_a_session_that_never_filed_its_jobs_abandons_them_at_once_whatever_the_grace():
    tab = TabClaim(JobRegistry(), grace_s=60)
    job = FakeJob(models.TrainingConfig(subset=512, epochs=1))
    tab.jobs["lenet"] = job
    tab.release()  # no address names them: nobody could come back for them
    assert job.stop_requests == ["abandon"]


def test_releasing_twice_or_an_unknown_token_changes_nothing_and_a_negative_grace_is_refused():
    registry = JobRegistry()
    _, job, token = tab_with_a_job(registry, GRACE_S)
    registry.release(token, GRACE_S)
    registry.release(token, GRACE_S)  # no holder is left to let go: the one timer stands
    wait_for_abandon(job, within_s=10 * GRACE_S)
    registry.release("not-a-token")
    with pytest.raises(ValueError, match="grace_s"):
        registry.release(token, -1.0)


def test_tokens_are_long_random_and_an_unknown_one_finds_nothing():
    registry = JobRegistry()
    tokens = {TabClaim(registry).file() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(token) >= 4 * TOKEN_BYTES // 3 for token in tokens)  # 128 bits, base64
    assert TabClaim(registry).claim("not-a-token") is None


def test_filing_twice_keeps_one_token_and_a_holder_cannot_switch_to_another():
    registry = JobRegistry()
    tab, _, token = tab_with_a_job(registry)
    assert tab.file() == token and len(registry) == 1
    _, _, other = tab_with_a_job(registry)
    assert tab.claim(other) is None and tab.token == token


def test_the_registry_is_bounded():
    registry = JobRegistry(capacity=2)
    assert TabClaim(registry).file() is not None and TabClaim(registry).file() is not None
    assert TabClaim(registry).file() is None  # full: that run just cannot be found after a reload
    with pytest.raises(ValueError, match="capacity"):
        JobRegistry(capacity=0)
