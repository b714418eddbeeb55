"""The pages' server-wide caches (pages.glue.figure_cache): one figure built
for every session on the same arguments, never a stale one for other arguments."""

import numpy as np
import pytest

from cnnviz import charts, shifts
from pages.glue.figure_cache import shared_figure, shared_result


def test_the_same_arguments_give_the_one_figure_built_for_them():
    image = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    first = shared_figure(charts.heatmap, image, "Input", zmin=0, zmax=1)
    # Equal values in another array (another session's copy) find the same figure.
    assert shared_figure(charts.heatmap, image.copy(), "Input", zmin=0, zmax=1) is first
    assert first.to_dict() == charts.heatmap(image, "Input", zmin=0, zmax=1).to_dict()


@pytest.mark.parametrize(
    "change",
    [
        lambda image: ((image[::-1], "Input"), {"zmin": 0, "zmax": 1}),  # other values
        lambda image: ((image, "Output"), {"zmin": 0, "zmax": 1}),  # another title
        lambda image: ((image, "Input"), {"zmin": 0, "zmax": 2}),  # another keyword
    ],
)
def test_other_arguments_get_their_own_figure(change):
    image = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    original = shared_figure(charts.heatmap, image, "Input", zmin=0, zmax=1)
    args, kwargs = change(image)
    other = shared_figure(charts.heatmap, *args, **kwargs)
    assert other is not original
    assert other.to_dict() == charts.heatmap(*args, **kwargs).to_dict()
    assert other.to_dict() != original.to_dict()


def test_a_shared_result_is_the_functions_and_each_caller_gets_a_copy():
    image = np.zeros((16, 16), dtype=np.float32)
    image[5:9, 6] = 1.0
    args = (image, (0, 1), 2, 2, "valid", "max")
    direct = shifts.measure_translation(*args)
    first = shared_result(shifts.measure_translation, *args)
    again = shared_result(shifts.measure_translation, *args)
    for measure in (first, again):
        assert measure.input_change == direct.input_change
        assert measure.pooled_change == direct.pooled_change
    assert again is not first  # a copy: changing it changes nobody else's


def test_only_module_level_functions_can_be_shared():
    # The cache finds a builder again by its module and name: a lambda has neither.
    with pytest.raises(ValueError, match="not a module-level function"):
        shared_figure(lambda: None)
