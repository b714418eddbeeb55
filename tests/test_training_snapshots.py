"""Filter snapshots: their cadence and bound by hand, their contents against the trained model."""

import json

import numpy as np
import pytest

from cnnviz import inference
from cnnviz.data import load_mnist
from cnnviz.models import TrainingConfig
from cnnviz.training import FilterSnapshot, TrainingJob
from cnnviz.training.snapshots import (
    MAX_SNAPSHOTS,
    PROBE_INDEX,
    SnapshotSchedule,
    SnapshotSeries,
    thin,
)

JOB_TIMEOUT_S = 120


def snapshot_at(step: int) -> FilterSnapshot:
    return FilterSnapshot(step, step / 10, np.full((2, 3, 3), step), np.zeros((4, 4, 2)))


def test_the_schedule_takes_one_every_interval_and_doubles_it_when_the_series_thins():
    schedule = SnapshotSchedule(interval=2.0, capacity=3)
    clock = np.arange(0.0, 60.0, 0.5)  # a live point every half second
    taken = [t for t in clock if schedule.due(t) and schedule.taken(t) is None]
    # 2 s apart until the 4th snapshot thins the series (3 → 2 kept), then 4 s, 8 s, ...
    assert taken == [0.0, 2.0, 4.0, 6.0, 10.0, 14.0, 22.0, 30.0, 46.0]
    series = SnapshotSeries(capacity=3)
    for t in taken:
        series.add(t)
        assert len(series) <= 3
    assert series.items == (14.0, 30.0, 46.0)  # evenly spread, 16 s apart, the newest kept


def test_a_long_run_stays_bounded_and_evenly_spread():
    schedule, series = SnapshotSchedule(interval=1.0), SnapshotSeries()
    for second in range(100_000):  # a day and more of training, one live point a second
        if schedule.due(second):
            schedule.taken(second)
            series.add(second)
    times = np.array(series.items)
    assert MAX_SNAPSHOTS // 2 <= len(times) <= MAX_SNAPSHOTS
    gaps = np.diff(times)
    assert gaps.max() == gaps.min()  # one spacing throughout
    assert times[-1] > 100_000 - gaps[0] - 1  # and it reaches the end of the run


def snapshots_of_a_run(total_steps: int, seconds_per_step: float, steps_per_call: int) -> list:
    """The steps whose snapshots a run keeps, the fitting loop's way: one before the first
    batch, one whenever the schedule says so at a live point, one after the last batch."""
    schedule = SnapshotSchedule(total_steps=total_steps)
    series = SnapshotSeries()

    def take(step: int) -> None:
        schedule.taken(step * seconds_per_step, step)
        series.add(step)

    take(0)
    step = 0
    while step < total_steps:
        step = min(step + steps_per_call, total_steps)
        if schedule.due(step * seconds_per_step, step):
            take(step)
    if series.items[-1] != total_steps:
        take(total_steps)
    return list(series.items)


@pytest.mark.parametrize(
    ("total_steps", "seconds_per_step"),
    [
        (24, 0.001),  # the shipped sample's tiniest run
        (1125, 0.001),  # 12,000 images × 3 epochs on a fast machine: over in about a second
        (1125, 0.02),
        (9380, 0.003),  # LeNet-5's default run
        (18_750, 0.5),  # AlexNet, hours
        (1_000_000, 0.01),
    ],
)
def test_every_run_keeps_several_snapshots_spread_over_its_length_and_never_over_the_cap(
    total_steps, seconds_per_step
):
    steps_per_call = max(1, min(16, total_steps // 3 // 8))  # fitting's live-point grouping
    kept = snapshots_of_a_run(total_steps, seconds_per_step, steps_per_call)
    assert 8 <= len(kept) <= MAX_SNAPSHOTS, kept
    assert kept[0] == 0 or kept[0] <= total_steps / 4  # the early filters are still there
    assert kept[-1] == total_steps  # so are the trained ones
    gaps = np.diff(kept)
    assert gaps.max() <= total_steps / 4  # no stretch of the run left without a picture


def test_a_short_fast_run_is_no_longer_left_with_two_snapshots():
    # 12,000 images × 3 epochs in about a second: a snapshot every 2 s of training took one
    # before the first batch and one after the last, nothing to scrub between.
    kept = snapshots_of_a_run(1125, 0.001, steps_per_call=15)
    assert len(kept) >= 8


def test_thin_keeps_every_other_from_the_newest():
    assert thin(range(7)) == [0, 2, 4, 6]
    assert thin(range(6)) == [1, 3, 5]


def test_a_snapshot_survives_a_history_file_within_a_level_of_quantisation():
    rng = np.random.default_rng(0)
    original = FilterSnapshot(
        3, 1.25, rng.normal(0, 0.3, (6, 5, 5)), np.tanh(rng.normal(0, 1, (32, 32, 6)))
    )
    text = json.dumps(original.as_json())
    restored = FilterSnapshot.from_json(json.loads(text))
    assert (restored.step, restored.elapsed_s) == (3, 1.25)
    for before, after in ((original.kernels, restored.kernels), (original.maps, restored.maps)):
        span = before.max() - before.min()
        assert np.abs(after - before).max() <= span / 255 / 2 + 1e-6
    assert len(text) < 10_000  # LeNet-5's first layer, even as noise (which cannot compress)
    with pytest.raises(ValueError, match="Not a filter snapshot"):
        FilterSnapshot.from_json({"step": 1})


def test_a_snapshot_refuses_arrays_that_do_not_match_and_cannot_be_changed():
    with pytest.raises(ValueError, match="as many filters"):
        FilterSnapshot(0, 0.0, np.zeros((6, 5, 5)), np.zeros((4, 4, 3)))
    snapshot = snapshot_at(1)
    with pytest.raises(ValueError, match="read-only"):
        snapshot.kernels[0, 0, 0] = 5.0


@pytest.mark.slow
def test_a_job_snapshots_the_first_layer_from_random_to_trained(monkeypatch):
    import cnnviz.training.fitting as fitting

    mnist = load_mnist(allow_download=False)
    # Every live point is due: the bound and the thinning are exercised within seconds.
    real_fit = fitting.fit
    monkeypatch.setattr(
        fitting, "fit", lambda *args, **kwargs: real_fit(*args, snapshot_seconds=1e-9, **kwargs)
    )
    job = TrainingJob(TrainingConfig(subset=2048, epochs=2, seed=3), mnist).start()
    assert job.wait(JOB_TIMEOUT_S), "the job did not finish"
    snapshot = job.snapshot()
    assert snapshot.status == "finished", snapshot.error
    series = snapshot.filter_snapshots
    assert 2 <= len(series) <= MAX_SNAPSHOTS
    steps = [item.step for item in series]
    assert steps == sorted(steps) and steps[-1] == snapshot.total_batches
    # The last snapshot is the trained model's first layer, filters and probe maps alike.
    model = job.result.model
    first = inference.first_layer_filters(model)
    np.testing.assert_allclose(series[-1].kernels, first.kernels, atol=1e-6)
    probe = mnist.x_test[PROBE_INDEX].astype(np.float32) / 255.0
    maps = inference.activation_maps(model, probe)[0].maps
    np.testing.assert_allclose(series[-1].maps, maps, atol=1e-5)
    assert series[-1].kernels.shape == (6, 5, 5) and series[-1].maps.shape == (32, 32, 6)
    # Training changed the filters between the first and the last snapshot kept.
    assert np.abs(series[-1].kernels - series[0].kernels).max() > 1e-3
    history = job.history()
    assert len(history["filter_snapshots"]) == len(series)
    json.dumps(history)  # the CLI writes it as JSON
