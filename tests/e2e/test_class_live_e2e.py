"""Class mode live, on a real server: an exploring student's tab stays quiet after a question,
every tab comes back by itself after a restart, and a phone's class link shows how to join.
"""

from __future__ import annotations

import pytest

from bench.class_explore import measure

pytestmark = pytest.mark.e2e

# A quiet exploring tab: one version poll a second (a few messages each) and one full run for
# the question. The rerun loop this guards against sent about a thousand a second.
QUIET_MESSAGES_PER_S = 20.0


def test_an_exploring_student_on_the_class_page_gets_the_question_without_a_rerun_loop():
    cost = measure(seconds=5.0)
    assert cost.question_shown
    assert cost.messages_per_s < QUIET_MESSAGES_PER_S, cost
