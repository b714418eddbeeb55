"""The registry that lets a reloaded tab find its training again (cnnviz.training.registry)."""

from __future__ import annotations

import pytest

from cnnviz import models
from cnnviz.training.registry import TOKEN_BYTES, JobRegistry, TabClaim
from tests.fake_jobs import FakeJob


def tab_with_a_job(registry: JobRegistry) -> tuple[TabClaim, FakeJob, str]:
    tab = TabClaim(registry)
    job = FakeJob(models.TrainingConfig(subset=512, epochs=1))
    tab.jobs["lenet"] = job
    token = tab.file()
    assert token is not None
    return tab, job, token


def test_a_reload_takes_over_the_jobs_and_the_old_session_ending_leaves_them_running():
    registry = JobRegistry()
    first, job, token = tab_with_a_job(registry)
    reloaded = TabClaim(registry)
    assert reloaded.claim(token) is first.jobs
    assert reloaded.jobs["lenet"] is job and reloaded.token == token
    first.release()  # Streamlit drops the old session after its TTL
    assert job.stop_requests == [] and reloaded.jobs == {"lenet": job}
    reloaded.release()  # the reloaded tab is closed too: nobody wants the run
    assert job.stop_requests == ["abandon"] and len(registry) == 0


def test_a_closed_tab_that_nobody_reloads_abandons_its_jobs():
    registry = JobRegistry()
    tab, job, token = tab_with_a_job(registry)
    tab.release()
    assert job.stop_requests == ["abandon"] and tab.jobs == {}
    assert TabClaim(registry).claim(token) is None  # the address finds nothing any more


def test_a_session_that_never_filed_its_jobs_abandons_them_when_it_ends():
    tab = TabClaim(JobRegistry())
    job = FakeJob(models.TrainingConfig(subset=512, epochs=1))
    tab.jobs["lenet"] = job
    tab.release()
    assert job.stop_requests == ["abandon"]


def test_tokens_are_long_random_and_an_unknown_one_finds_nothing():
    registry = JobRegistry()
    tokens = {TabClaim(registry).file() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(token) >= 4 * TOKEN_BYTES // 3 for token in tokens)  # 128 bits, base64
    assert TabClaim(registry).claim("not-a-token") is None
    assert registry.release("not-a-token") is None


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
