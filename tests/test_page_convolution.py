"""The Convolution page, headless (AppTest): each control changes what it should, odd images get
a lesson message, settings survive a visit elsewhere, TensorFlow only for the learned filter."""

import json

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


def test_the_weights_hint_says_how_to_edit_a_cell_with_a_mouse_and_on_a_phone(page):
    hint = next(line for line in markdown_texts(page) if line.startswith("**Weights**"))
    assert hint == (
        "**Weights** (double-click a cell, or tap it twice on a phone, and type a new weight):"
    )


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
    app = run_script(PAGE)
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
            sentence = next(
                line for line in markdown_texts(grid_page) if line.startswith("The weights")
            )
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
    app = AppTest.from_file(PAGE, default_timeout=PAGE_TIMEOUT_S)
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


def test_the_flip_section_follows_the_kernels_symmetry(grid_page):
    grid = convolution.number_grid()
    lines = markdown_texts(grid_page)
    sobel = convolution.preset_kernel("Sobel x (vertical edges)", 3)
    written, sentence = convolution.flip_comparison(ops.conv_step(grid, sobel, 0, 0))
    assert written in [code.value for code in grid_page.code]
    assert any(line.startswith(sentence) for line in lines)
    assert "minus Keras' output at every cell" in sentence  # Sobel x turned 180° is −Sobel x
    grid_page.selectbox(key="conv_preset").set_value("Gaussian blur").run()
    assert any(
        "the two give the same numbers at every cell" in line for line in markdown_texts(grid_page)
    )


def output_of(grid: np.ndarray, kernel: np.ndarray, stride: int, dilation: int, padding: str):
    """The convolution by scipy (an independent reference): the padded grid correlated with
    the dilated kernel, and the padding used."""
    from scipy import signal

    top, bottom, left, right = ops.padding_amounts(
        grid.shape, kernel.shape, stride, padding, dilation
    )
    padded = np.pad(grid, [(top, bottom), (left, right)])
    spread = np.zeros([dilation * (side - 1) + 1 for side in kernel.shape])
    spread[::dilation, ::dilation] = kernel
    correlated = signal.correlate2d(padded, spread, mode="valid")[::stride, ::stride]
    convolved = signal.convolve2d(padded, spread, mode="valid")[::stride, ::stride]
    return correlated, convolved, (top, left)


def sum_of(code: str) -> tuple[float, str]:
    """The products written in a multiply-add summed, and its total as written."""
    left, _, total = code.partition(" = ")
    written = 0.0
    for term in left.split(" + "):
        weight, value = (float(part.strip("()").replace("−", "-")) for part in term.split("·"))
        written += weight * value
    return written, total


def test_every_sentence_with_a_number_agrees_with_the_numbers_over_the_controls(grid_page):
    """Presets × sizes × stride × dilation × padding, sampled: each sentence that states a
    number or a comparison is checked against the numbers, recomputed with scipy."""
    rng = np.random.default_rng(9)
    grid = convolution.number_grid()
    combos = [
        (name, side, stride, dilation, padding)
        for name in convolution.PRESETS
        for side in convolution.preset_sides(name)
        for stride in (1, 2, 3)
        for dilation in (1, 2, 3)
        for padding in ops.CONV_PADDINGS
        if stride == 1 or dilation == 1
    ]
    checked = 0
    for index in rng.choice(len(combos), size=12, replace=False):
        name, side, stride, dilation, padding = combos[index]
        app = grid_page
        app.selectbox(key="conv_preset").set_value(name).run()
        if len(convolution.preset_sides(name)) > 1:
            app.select_slider(key="conv_side").set_value(side).run()
        for key in ("conv_stride", "conv_dilation"):  # both to 1 first: one may be disabled
            if app.slider(key=key).value > 1:
                app.slider(key=key).set_value(1).run()
        for key, value in (("conv_stride", stride), ("conv_dilation", dilation)):
            if value > 1:
                app.slider(key=key).set_value(value).run()
        app.radio(key="conv_padding").set_value(padding).run()
        assert not app.exception, app.exception
        kernel = convolution.preset_kernel(name, side)
        if padding == "valid" and dilation * (side - 1) + 1 > grid.shape[0]:
            assert any("does not fit" in warning.value for warning in app.warning)
            continue
        output, textbook, (top, left) = output_of(grid, kernel, stride, dilation, padding)
        cell_index = int(rng.integers(output.size))
        if output.size > 1:
            app.slider(key="conv_cell").set_value(cell_index).run()
        cell = divmod(cell_index, output.shape[1])
        lines, captions = markdown_texts(app), [caption.value for caption in app.caption]
        codes = [code.value for code in app.code]
        rows, cols = output.shape
        # The output's size: its title, the formula's result per axis, the size sentence.
        dilated = f", dilation {dilation}" if dilation > 1 else ""
        title = f"Output: {side}×{side}, stride {stride}{dilated}, {padding} ({rows} × {cols})"
        assert title in chart_titles(app)
        for axis, count in (("Rows", rows), ("Columns", cols)):
            line = next(line for line in lines if line.startswith(f"{axis}: `"))
            assert f"= {count}`" in line or f"= {count}," in line, line
        sentence = next(line for line in lines if line.startswith("The output ("))
        assert sentence.startswith(f"The output ({rows} × {cols})")
        word = (
            "has the same size as"
            if (rows, cols) == grid.shape
            else "is smaller than"
            if rows <= grid.shape[0] and cols <= grid.shape[1]
            else "is larger than"
        )
        assert word in sentence, sentence
        # The colours' legend: negative outputs or not.
        negative = "Some outputs are negative" in " ".join(captions)
        assert negative == bool(output.min() < -1e-12), (name, captions)
        # The kernel sentence: the weights' exact sum.
        weight_line = next(line for line in lines if line.startswith("The weights sum to"))
        assert weight_line == convolution.weight_sentence(kernel)
        assert ("keeps its brightness" in weight_line) == bool(np.isclose(kernel.sum(), 1.0))
        # The step-through: the products add up as written to the output cell.
        keras_code, textbook_code = codes[-2], codes[-1]
        for code, expected in ((keras_code, output[cell]), (textbook_code, textbook[cell])):
            written, total = sum_of(code)
            assert total == ops.format_number(expected), (code, expected)
            assert ops.format_number(written) == total, code
        # "n of the k weights sit on padding": counted from where the taps land.
        tap_rows = cell[0] * stride - top + dilation * np.arange(side)
        tap_cols = cell[1] * stride - left + dilation * np.arange(side)
        inside = np.outer(
            (tap_rows >= 0) & (tap_rows < grid.shape[0]),
            (tap_cols >= 0) & (tap_cols < grid.shape[1]),
        )
        on_padding = int((~inside).sum())
        padding_line = [caption for caption in captions if "sit on padding" in caption]
        if on_padding:
            assert padding_line == [
                f"{on_padding} of the {side * side} weights sit on padding here, so they "
                "multiply 0."
            ]
        else:
            assert padding_line == []
        # The flip: both numbers, and the symmetry word.
        flip_line = next(line for line in lines if line.startswith("Turned 180°"))
        assert f"here Keras gives {ops.format_number(output[cell])}" in flip_line
        assert f"the textbook convolution {ops.format_number(textbook[cell])}" in flip_line
        assert ("the same kernel" in flip_line) == bool(np.array_equal(kernel, kernel[::-1, ::-1]))
        # The parameters of a layer of such kernels.
        filters = 32
        if side != 3:
            count = (side * side * 3 + 1) * filters
            assert f"= {count:,}." in " ".join(captions)
        checked += 1
    assert checked >= 8


def test_the_step_through_grid_gets_narrow_columns_and_half_the_page_so_all_six_show(grid_page):
    # In a third of a 1280 px page, with each column fitted to its numbers, columns 4 and 5
    # were cut off.
    editor = next(frame for frame in grid_page.dataframe if "conv_grid_editor" in frame.proto.id)
    columns = json.loads(editor.proto.columns)
    assert {name: config.get("width") for name, config in columns.items()} == {
        name: 50 for name in ["_index", *map(str, range(6))]
    }
    holder = next(
        column
        for column in grid_page.columns
        if any(child.proto is editor.proto for child in column.children.values())
    )
    assert holder.weight == pytest.approx(0.5)  # the chart beside it gets the other half


def test_every_chart_is_drawn_without_plotlys_toolbar(page):
    """On a touch screen the toolbar always shows, over a phone's chart titles and labels."""
    configs = [json.loads(chart.proto.config) for chart in page.get("plotly_chart")]
    assert configs and all(config == {"displayModeBar": False} for config in configs), configs
