"""The teacher's training permission applied to a student's Start (cnnviz.classroom.teaching)."""

import pytest

from cnnviz import pooling_settings
from cnnviz.classroom import TrainingPermission, teaching


def test_off_refuses_every_start_and_says_the_teacher_turned_it_off():
    decision = teaching.student_training(TrainingPermission.OFF, 64)
    assert not decision.allowed
    assert decision.message.startswith("Your teacher has turned training off for students")


@pytest.mark.parametrize("asked", [1, 1999, 2000])
def test_small_subsets_keep_a_request_within_the_cap_silently(asked):
    decision = teaching.student_training("subsets", asked)
    assert decision.allowed and decision.subset == asked and decision.message is None


def test_small_subsets_clamp_a_bigger_request_to_the_cap_and_say_both_numbers():
    decision = teaching.student_training("subsets", 2001)
    assert decision.allowed and decision.subset == teaching.STUDENT_SUBSET_MAX == 2000
    assert "trains on 2,000 images instead of the 2,001 you asked for" in decision.message


def test_on_lets_a_student_train_all_of_mnist():
    decision = teaching.student_training("on", 60_000)
    assert decision.allowed and decision.subset == 60_000 and decision.message is None


@pytest.mark.parametrize("subset", [0, -5, 2.5, True, None])
def test_a_subset_that_is_not_a_positive_count_is_refused(subset):
    with pytest.raises(ValueError, match="subset must be a positive number of images"):
        teaching.student_training("on", subset)


def test_an_unknown_permission_is_refused():
    with pytest.raises(ValueError):
        teaching.student_training("sometimes", 100)


@pytest.mark.parametrize("permission", list(TrainingPermission))
def test_the_rule_sentence_names_the_permission_and_that_the_teacher_goes_first(permission):
    sentence = teaching.student_training_rule(permission)
    expected = {"off": "turned training off", "subsets": "at most 2,000 images", "on": "any"}
    assert expected[permission.value] in sentence
    assert sentence.endswith(teaching.TEACHER_FIRST)
    assert "the teacher's Start stops it" in teaching.TEACHER_FIRST


def test_a_follower_takes_over_exactly_the_pooling_pages_settings():
    followed = teaching.FOLLOWED_SETTINGS["pooling"]
    assert followed == {s.key: s.options for s in pooling_settings.POOLING_SETTINGS}
    assert followed["pool_size"] == followed["stride"] == tuple(range(1, 9))
    published = {"pool_size": 8, "stride": 9, "mode": "avg", "padding": "full", "evil": 1}
    assert teaching.settings_to_apply("pooling", published) == {"pool_size": 8, "mode": "avg"}
    assert teaching.settings_to_apply("pooling", {"pool_size": True}) == {}  # bool is no size
