"""The Convolution page, headless (AppTest): each control changes what it should, odd images get
a lesson message, settings survive a visit elsewhere, TensorFlow only for the learned filter."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bench.support.fresh_python import run_fresh_python
from cnnviz import PROJECT_ROOT, convolution, ops
from tests.apptest_helpers import (
    APP,
    PAGE_TIMEOUT_S,
    chart_titles,
    markdown_texts,
    png_bytes,
    run_script,
)

PAGE = str(PROJECT_ROOT / "pages" / "convolution.py")


@pytest.fixture
def page() -> AppTest:
    return run_script(PAGE)


def test_defaults_show_the_photo_its_sobel_output_and_both_formulas(page):
    titles = chart_titles(page)
    assert "Input: Photo: camera man (512 × 512)" in titles
    assert "Output: 3×3, stride 1, valid (510 × 510)" in titles
    lines = markdown_texts(page)
    assert "Rows: `⌊(512 − 3) / 1⌋ + 1 = 510`" in lines
    assert "Columns: `⌊(512 − 3) / 1⌋ + 1 = 510`" in lines
    assert convolution.size_sentence((512, 512), (510, 510), "valid", 1) in lines
    assert "smaller than the input" in convolution.size_sentence((512, 512), (510, 510), "valid", 1)
    assert convolution.PRESETS["Sobel x (vertical edges)"].effect in lines
    assert any(line.startswith("The weights sum to 0") for line in lines)


@pytest.mark.parametrize(
    ("padding", "rows_line", "size_words"),
    [
        ("same", "Rows: `⌈512 / 1⌉ = 512`", "has the same size as the input"),
        ("full", "Rows: `⌊(512 + 3 − 2) / 1⌋ + 1 = 514`", "is larger than the input"),
    ],
)
def test_padding_changes_the_size_the_formula_and_the_sentence(
    page, padding, rows_line, size_words
):
    page.radio(key="conv_padding").set_value(padding).run()
    lines = markdown_texts(page)
    assert rows_line in lines
    sentence = next(line for line in lines if line.startswith("The output ("))
    assert size_words in sentence
    out = 512 if padding == "same" else 514
    assert f"Output: 3×3, stride 1, {padding} ({out} × {out})" in chart_titles(page)


def test_stride_and_dilation_change_the_output_size(page):
    page.slider(key="conv_stride").set_value(2).run()
    assert "Rows: `⌊(512 − 3) / 2⌋ + 1 = 255`" in markdown_texts(page)
    page.slider(key="conv_stride").set_value(1).run()
    page.slider(key="conv_dilation").set_value(3).run()
    assert (
        "Rows: `⌊(512 − 7) / 1⌋ + 1 = 506, with the dilated kernel 3·(3 − 1) + 1 = 7`"
        in markdown_texts(page)
    )
    assert "Output: 3×3, stride 1, dilation 3, valid (506 × 506)" in chart_titles(page)


def test_a_preset_and_its_size_set_the_weights(page):
    page.selectbox(key="conv_preset").set_value("Box blur").run()
    page.select_slider(key="conv_side").set_value(5).run()
    assert not page.exception
    lines = markdown_texts(page)
    assert "Rows: `⌊(512 − 5) / 1⌋ + 1 = 508`" in lines
    assert convolution.PRESETS["Box blur"].effect in lines
    assert convolution.weight_sentence(np.full((5, 5), 1 / 25)) in lines
    np.testing.assert_allclose(page.session_state["conv_kernel_edited"], np.full((5, 5), 0.04))


def test_the_step_through_writes_the_products_of_the_chosen_cell(page):
    page.selectbox(key="conv_sample").set_value(
        "Grid of numbers (edit it in the step-through)"
    ).run()
    grid = convolution.number_grid()
    sobel = convolution.preset_kernel("Sobel x (vertical edges)", 3)
    assert "Input: grid of numbers (6 × 6)" in chart_titles(page)
    codes = [code.value for code in page.code]
    assert convolution.step_arithmetic(ops.conv_step(grid, sobel, 0, 0)) in codes
    page.slider(key="conv_cell").set_value(5).run()  # row 1, column 1 of the 4 × 4 output
    codes = [code.value for code in page.code]
    expected = convolution.step_arithmetic(ops.conv_step(grid, sobel, 1, 1))
    assert expected in codes
    # The products add up to the output cell conv2d computes.
    assert expected.endswith(ops.format_number(ops.conv2d(grid, sobel)[1, 1]))
    # With "same" padding the corner's window lies partly on zeros, and the page says so.
    page.radio(key="conv_padding").set_value("same").run()
    page.slider(key="conv_cell").set_value(0).run()
    assert "5 of the 9 weights sit on padding here, so they multiply 0." in [
        caption.value for caption in page.caption
    ]


def test_the_channels_section_sums_three_maps_and_counts_parameters(page):
    titles = chart_titles(page)
    photo = convolution.colour_photo()
    rows, cols = photo.shape[:2]
    assert f"their sum: the output ({rows} × {cols})" in titles
    page.number_input(key="conv_filters").set_value(16).run()
    count = (3 * 3 * 3 + 1) * 16
    assert any(f"(3·3·3 + 1)·16 = **{count:,}**" in line for line in markdown_texts(page))
    assert ops.parameter_count((3, 3), 3, 16) == count


@pytest.mark.parametrize(("rows", "cols"), [(1, 1), (2, 40), (40, 2), (5, 5)])
def test_odd_uploads_get_a_lesson_message_never_a_traceback(rows, cols):
    app = AppTest.from_file(PAGE, default_timeout=PAGE_TIMEOUT_S)
    app.run()
    pixels = np.random.default_rng(rows * cols).integers(0, 256, (rows, cols), dtype=np.uint8)
    app.file_uploader(key="conv_upload").upload("odd.png", png_bytes(pixels), "image/png")
    app.selectbox(key="conv_preset").set_value("Box blur")
    app.run()
    app.select_slider(key="conv_side").set_value(7).run()
    assert not app.exception, app.exception
    warnings = [warning.value for warning in app.warning]
    if rows < 7 or cols < 7:
        assert any("The 7×7 kernel does not fit in a" in text for text in warnings), warnings
    app.radio(key="conv_padding").set_value("same").run()
    assert not app.exception
    assert not any("does not fit" in warning.value for warning in app.warning)


def test_settings_survive_a_visit_to_another_page():
    app = AppTest.from_file(APP, default_timeout=PAGE_TIMEOUT_S)
    app.run()
    app.switch_page("pages/convolution.py").run()
    app.slider(key="conv_stride").set_value(3).run()
    app.selectbox(key="conv_preset").set_value("Gaussian blur").run()
    app.switch_page("pages/home.py").run()
    app.switch_page("pages/convolution.py").run()
    assert not app.exception, app.exception
    assert app.slider(key="conv_stride").value == 3
    assert app.selectbox(key="conv_preset").value == "Gaussian blur"
    np.testing.assert_allclose(
        app.session_state["conv_kernel_edited"],
        convolution.preset_kernel("Gaussian blur", 3),
        atol=1e-3,
    )


def test_tensorflow_is_imported_only_for_the_learned_filter():
    """In a fresh interpreter (this one may have imported TF for other tests)."""
    printed = run_fresh_python(
        f"""
        import sys
        from streamlit.testing.v1 import AppTest
        heavy = ("tensorflow", "keras")
        def loaded():
            return sorted(name for name in sys.modules if name.split(".")[0] in heavy)
        app = AppTest.from_file({PAGE!r}, default_timeout={PAGE_TIMEOUT_S})
        app.run()
        for preset in ("Box blur", "Gaussian blur", "Laplacian (all edges)"):
            app.selectbox(key="conv_preset").set_value(preset).run()
        app.slider(key="conv_dilation").set_value(2).run()
        assert not app.exception, app.exception
        print("BEFORE:", loaded())
        app.selectbox(key="conv_preset").set_value({convolution.LEARNED!r}).run()
        assert not app.exception, app.exception
        print("AFTER:", "tensorflow" in loaded())
        print("SHAPE:", app.session_state["conv_kernel_edited"].shape)
        print("ERRORS:", [error.value for error in app.error])
        """
    )
    assert "BEFORE: []" in printed
    assert "AFTER: True" in printed
    assert "SHAPE: (5, 5)" in printed
    assert "ERRORS: []" in printed


GRID = "Grid of numbers (edit it in the step-through)"


@pytest.fixture
def grid_page() -> AppTest:
    """The page on its small grid of numbers: every rerun is quick."""
    app = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    app.run()
    app.selectbox(key="conv_sample").set_value(GRID).run()
    assert not app.exception, app.exception
    return app


def test_every_preset_and_size_gets_the_sentence_of_its_exact_weights(grid_page):
    # The page once rounded a preset's weights to 3 places: nine 0.111s sum to 0.999, and the
    # page said "sum to 1 … comes out as 1 × b, so the output is darker".
    checked = 0
    for name in convolution.PRESETS:
        grid_page.selectbox(key="conv_preset").set_value(name).run()
        for side in convolution.preset_sides(name):
            if len(convolution.preset_sides(name)) > 1:
                grid_page.select_slider(key="conv_side").set_value(side).run()
            assert not grid_page.exception, grid_page.exception
            kernel = convolution.preset_kernel(name, side)
            np.testing.assert_array_equal(grid_page.session_state["conv_kernel_edited"], kernel)
            sentence = next(line for line in texts(grid_page) if line.startswith("The weights"))
            assert sentence == convolution.weight_sentence(kernel), (name, side)
            if np.isclose(kernel.sum(), 1.0):
                assert "keeps its brightness" in sentence, (name, side)
            checked += 1
    assert checked == 19


def test_the_page_never_offers_a_stride_and_a_dilation_both_above_1(grid_page):
    # Keras' Conv2D refuses the pair, so the page does not offer it.
    keras = pytest.importorskip("keras")
    with pytest.raises(ValueError, match="not supported in conjunction"):
        keras.layers.Conv2D(1, 3, strides=2, dilation_rate=2)
    assert not grid_page.slider(key="conv_stride").disabled
    assert not grid_page.slider(key="conv_dilation").disabled
    grid_page.slider(key="conv_dilation").set_value(2).run()
    assert grid_page.slider(key="conv_stride").disabled
    assert grid_page.slider(key="conv_stride").value == 1
    why = "Keras' `Conv2D` does not allow a stride and a dilation both above 1"
    assert any(why in caption.value for caption in grid_page.caption)
    grid_page.slider(key="conv_dilation").set_value(1).run()
    grid_page.slider(key="conv_stride").set_value(3).run()
    assert grid_page.slider(key="conv_dilation").disabled
    assert grid_page.slider(key="conv_dilation").value == 1
    assert any(why in caption.value for caption in grid_page.caption)
    assert "Output: 3×3, stride 3, valid (2 × 2)" in chart_titles(grid_page)


def test_a_kept_stride_and_dilation_both_above_1_come_back_as_a_pair_keras_allows():
    app = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    app.session_state["conv_stride"] = 2
    app.session_state["conv_dilation"] = 3
    app.run()
    assert not app.exception, app.exception
    assert (app.slider(key="conv_stride").value, app.slider(key="conv_dilation").value) == (2, 1)


def test_the_dilation_label_says_how_many_cells_lie_between_weights(grid_page):
    label = grid_page.slider(key="conv_dilation").label
    assert label == "Dilation d (d − 1 cells between weights)"
    grid = convolution.number_grid()
    for dilation in (1, 2, 3):
        step = ops.conv_step(grid, np.ones((2, 2)), 0, 0, dilation=dilation)
        assert np.diff(step.cols).tolist() == [dilation]  # d − 1 cells between the two taps
