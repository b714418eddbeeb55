"""The Pooling & padding page, headless (AppTest): it runs, follows its controls, stays light."""

import itertools
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bench.support.fresh_python import run_fresh_python
from cnnviz import (
    PROJECT_ROOT,
    images,
    ops,
    padding_lesson,
    pooling_settings,
    shift_accuracy,
    shifts,
)
from tests.apptest_helpers import (
    PAGE_TIMEOUT_S,
    chart_titles,
    markdown_texts,
    png_bytes,
    run_script,
)
from tests.test_shifts import cells_holding, tensorflow_windows

PAGE = str(PROJECT_ROOT / "pages" / "pooling.py")


@pytest.fixture
def page() -> AppTest:
    return run_script(PAGE)


def test_page_runs_and_shows_input_output_and_every_section(page):
    titles = chart_titles(page)
    # The default sample is the 300 × 451 cat; 2×2 max pooling at stride 2, valid: 150 × 225.
    assert any(title.startswith("Input: Photo: cat") and "(300 × 451)" in title for title in titles)
    assert "Max pooling, 2×2, stride 2, valid (150 × 225)" in titles
    assert {"Max (150 × 225)", "Min (150 × 225)", "Average (150 × 225)"} <= set(titles)
    texts = markdown_texts(page)
    assert "Rows: `⌊(300 − 2) / 2⌋ + 1 = 150`" in texts
    assert "Columns: `⌊(451 − 2) / 2⌋ + 1 = 225`" in texts
    assert any(text.startswith("Output cell (0, 0): `max(") for text in texts)
    # in/out, modes, step, padded, conv, shift bars, the bright pixel's moves, shifted digits
    assert len(page.get("plotly_chart")) == 9
    assert not page.warning


def test_the_controls_are_built_from_the_pooling_settings_spec(page):
    """Keys, labels, options, ranges and defaults: what class mode publishes and accepts."""
    built = 0
    for setting in pooling_settings.POOLING_SETTINGS:
        if isinstance(setting, pooling_settings.IntRange):
            (widget,) = [w for w in page.slider if w.key == setting.key]
            assert (widget.min, widget.max) == (setting.low, setting.high) == (1, 8)
        elif setting is pooling_settings.SAMPLE:
            (widget,) = [w for w in page.selectbox if w.key == setting.key]
            # The page offers the samples this server can load: a part of the spec, in order.
            assert widget.options == [n for n in setting.options if n in widget.options]
            assert widget.options == images.sample_names()
        else:
            (widget,) = [w for w in page.radio if w.key == setting.key]
            assert widget.options == [setting.show(option) for option in setting.options]
        assert widget.label == setting.label
        assert widget.value == setting.default
        built += 1
    assert built == 5
    assert pooling_settings.defaults() == {
        "sample": "Photo: cat (Chelsea)",
        "mode": "max",
        "pool_size": 2,
        "stride": 2,
        "padding": "valid",
    }


def test_changing_pool_stride_and_padding_changes_the_shapes_and_the_formula(page):
    page.slider(key="pool_size").set_value(3)
    page.slider(key="stride").set_value(1)
    page.radio(key="padding").set_value("same")
    page.radio(key="mode").set_value("avg")
    page.run()
    assert not page.exception
    assert "Average pooling, 3×3, stride 1, same (300 × 451)" in chart_titles(page)
    texts = markdown_texts(page)
    assert "Rows: `⌈300 / 1⌉ = 300`" in texts
    assert "Columns: `⌈451 / 1⌉ = 451`" in texts
    assert not any("⌊(300 − 2)" in text for text in texts)
    # The step-through follows the same settings: 7 × 7 grid, 3 × 3 same at stride 1 → 7 × 7.
    assert "Output 7 × 7" in chart_titles(page)
    assert any(text.startswith("Output cell (0, 0): `(") for text in texts)

    page.radio(key="padding").set_value("valid").run()
    assert "Average pooling, 3×3, stride 1, valid (298 × 449)" in chart_titles(page)
    assert "Rows: `⌊(300 − 3) / 1⌋ + 1 = 298`" in markdown_texts(page)


def test_stepping_moves_the_window_and_writes_its_arithmetic(page):
    page.radio(key="padding").set_value("same").run()  # 7 × 7 grid → 4 × 4 output
    page.slider(key="step").set_value(16).run()
    assert not page.exception
    last = next(text for text in markdown_texts(page) if text.startswith("Output cell (3, 3)"))
    # The bottom-right window hangs over the padding: one real cell, three padded ones ignored.
    assert "(3 padded cells ignored)" in last


def test_a_window_that_does_not_fit_gives_a_warning_not_a_traceback(page):
    page.slider(key="pool_size").set_value(8).run()  # the step-through grid is only 7 × 7
    assert not page.exception
    warnings = [warning.value for warning in page.warning]
    assert any("The 8×8 pool does not fit in a 7×7 image" in text for text in warnings)
    # The main image (300 × 451) still pools fine.
    assert "Max pooling, 8×8, stride 2, valid (147 × 222)" in chart_titles(page)


def test_a_tiny_upload_with_a_big_pool_warns_everywhere_it_matters(page):
    page.file_uploader(key="upload").upload("tiny.png", png_bytes(np.zeros((3, 4), np.uint8)))
    page.slider(key="pool_size").set_value(5).run()
    assert not page.exception
    warnings = [warning.value for warning in page.warning]
    assert any("The 5×5 pool does not fit in a 3×4 image" in text for text in warnings)
    assert "Rows: `⌊(3 − 5) / 2⌋ + 1 = 0 (no output)`" in markdown_texts(page)


def test_uploaded_image_is_used_and_a_big_one_is_scaled_down_with_a_note(page):
    pixels = np.random.default_rng(0).integers(0, 256, (600, 800), dtype=np.uint8)
    page.file_uploader(key="upload").upload("big.png", png_bytes(pixels), "image/png").run()
    assert not page.exception
    assert any("Input: big.png (384 × 512)" in title for title in chart_titles(page))
    notes = [info.value for info in page.info]
    assert any("scaled down from 600 × 800 to 384 × 512" in note for note in notes)


def test_a_bad_upload_gets_a_clear_message_and_the_sample_stays(page):
    page.file_uploader(key="upload").upload("notes.png", b"this is not a picture").run()
    assert not page.exception
    errors = [error.value for error in page.error]
    assert any("not an image cnnviz can open" in error for error in errors)
    assert any(title.startswith("Input: Photo: cat") for title in chart_titles(page))


def test_choosing_a_pattern_and_another_kernel(page):
    page.selectbox(key="sample").set_value("Pattern: checkerboard (1-pixel squares)")
    page.selectbox(key="kernel").set_value("Box blur 5×5")
    page.radio(key="conv_pad").set_value("full")
    page.run()
    assert not page.exception
    titles = chart_titles(page)
    # 48 × 48 checkerboard: 2×2 max pooling is white everywhere, min black, average grey.
    assert "Max (24 × 24)" in titles
    # Its 32 × 32 preview through a 5 × 5 blur: valid shrinks by 4, same keeps, full grows by 4.
    assert {"valid (28 × 28)", "same (32 × 32)", "full (36 × 36)"} <= set(titles)
    # The 1-pixel checkerboard flips every pixel when shifted, yet its max pooling does not move.
    text = next(text for text in markdown_texts(page) if text.startswith("After a shift of"))
    assert "Max pooling changed by 0%" in text and "hid the shift completely" in text


def translation_text(app: AppTest) -> str:
    return next(text for text in markdown_texts(app) if text.startswith("After a shift of"))


@pytest.mark.parametrize(
    ("sample", "mode", "distance", "direction"),
    [
        ("Photo: cat (Chelsea)", "max", 1, "right"),
        ("Photo: coins", "avg", 2, "down"),
        ("Pattern: thin lines", "min", 1, "diagonally"),
        ("Pattern: one bright pixel", "max", 3, "right"),
        ("MNIST digit 2", "min", 1, "right"),
    ],
)
def test_the_translation_text_is_the_one_its_numbers_give(page, sample, mode, distance, direction):
    page.selectbox(key="sample").set_value(sample)
    page.radio(key="mode").set_value(mode)
    page.slider(key="shift").set_value(distance)
    page.radio(key="dir").set_value(direction).run()
    assert not page.exception
    image = images.load_sample(sample)
    shift = tuple(distance * unit for unit in shifts.SHIFT_DIRECTIONS[direction])
    measure = shifts.measure_translation(image, shift, 2, 2, "valid", mode)
    expected = shifts.translation_sentence(measure, mode, shifts.shift_text(distance, direction))
    assert translation_text(page).startswith(expected)
    # The bars show the same numbers, rounded as written.
    bars = next(
        json.loads(chart.proto.spec)["data"][0]
        for chart in page.get("plotly_chart")
        if "Relative change" in str(json.loads(chart.proto.spec)["layout"].get("title"))
    )
    assert bars["x"][0] == "input" and bars["y"][0] == pytest.approx(measure.input_change)
    # One sentence per direction for the bright pixel, from the pooled maps themselves.
    bright = next(text for text in markdown_texts(page) if text.startswith("Max pooling (2×2"))
    assert bright.count("\n- ") == len(shifts.SHIFT_DIRECTIONS)
    for move in shifts.bright_pixel_moves(images.one_bright_pixel(), distance, 2, 2):
        assert shifts.bright_pixel_sentence(move, distance) in bright


def test_the_shifted_digit_curves_come_from_the_shipped_file(page):
    curves = shift_accuracy.load_curves()
    text = next(text for text in markdown_texts(page) if text.startswith("LeNet-5 (shipped)"))
    assert shift_accuracy.curve_sentence(curves["lenet"], "LeNet-5 (shipped)") in text
    assert shift_accuracy.curve_sentence(curves["alexnet"], "AlexNet (shipped)") in text


def test_the_page_never_imports_tensorflow():
    """Run the page in a fresh interpreter (this one may have imported TF for other tests)."""
    printed = run_fresh_python(
        f"""
        import sys
        from streamlit.testing.v1 import AppTest
        app = AppTest.from_file({PAGE!r}, default_timeout={PAGE_TIMEOUT_S})
        app.run()
        app.slider(key="pool_size").set_value(3).run()
        assert not app.exception, app.exception
        heavy = ("tensorflow", "keras")
        loaded = sorted(name for name in sys.modules if name.split(".")[0] in heavy)
        print("LOADED:", loaded)
        """
    )
    assert "LOADED: []" in printed


ODD_SIZES = [(1, 1), (2, 2), (3, 4), (16, 6000), (6000, 16), (1, 500), (200, 3000)]


@pytest.mark.parametrize(("rows", "cols"), ODD_SIZES)
def test_every_section_handles_odd_image_sizes_and_aspect_ratios(rows, cols):
    app = AppTest.from_file(PAGE, default_timeout=PAGE_TIMEOUT_S)
    app.run()
    pixels = np.random.default_rng(rows * cols).integers(0, 256, (rows, cols), dtype=np.uint8)
    app.file_uploader(key="upload").upload("odd.png", png_bytes(pixels), "image/png")
    app.selectbox(key="kernel").set_value("Box blur 5×5")
    app.radio(key="grid").set_value("your image, shrunk to ≤ 8 × 8")
    for pool_size, padding, mode in [(2, "valid", "max"), (8, "valid", "avg"), (8, "same", "min")]:
        app.slider(key="pool_size").set_value(pool_size)
        app.radio(key="padding").set_value(padding)
        app.radio(key="mode").set_value(mode)
        app.run()
        assert not app.exception, (rows, cols, pool_size, padding, app.exception)
        # Every section is still there, whatever did not fit.
        headers = [header.value for header in app.subheader]
        for section in ("Input and output", "Step through the windows", "Padding"):
            assert section in headers, (section, headers)
        assert any(header.startswith("Translation") for header in headers), headers
    titles = chart_titles(app)
    # The zero-padded preview keeps the strip several pixels across (never a 1-pixel line).
    padded = next(title for title in titles if title.startswith("Zero-padded"))
    preview_rows, preview_cols = (int(n) for n in padded.split("(")[-1].rstrip(")").split(" × "))
    assert min(preview_rows, preview_cols) >= min(rows, cols, 8) + 4  # + the 5×5 'same' border
    infos = [info.value for info in app.info]
    if min(rows, cols) < 5:  # the 5×5 kernel has no 'valid' output: said so, as a lesson
        assert any(text.startswith("**valid**: The 5×5 kernel does not fit") for text in infos)
    if max(rows, cols) > 4 * min(rows, cols) and min(rows, cols) > 1:
        captions = [caption.value for caption in app.caption]
        assert any("the middle" in text for text in captions), captions


def test_a_thin_strip_is_kept_whole_not_scaled_to_one_pixel(page):
    pixels = np.random.default_rng(1).integers(0, 256, (6000, 16), dtype=np.uint8)
    page.file_uploader(key="upload").upload("strip.png", png_bytes(pixels), "image/png").run()
    assert not page.exception
    assert any("Input: strip.png (6000 × 16)" in title for title in chart_titles(page))
    assert "Rows: `⌊(6000 − 2) / 2⌋ + 1 = 3000`" in markdown_texts(page)


@pytest.mark.parametrize(("rows", "cols"), [(3, 1000), (2, 600)])
def test_the_convolution_shift_check_keeps_a_strips_short_side_and_asks_for_no_padding(
    page, rows, cols
):
    """A 3 × 1000 upload was shrunk to 1 × 128 for this check, which then asked for a padding
    control the section does not have."""
    pixels = np.random.default_rng(2).integers(0, 256, (rows, cols), dtype=np.uint8)
    page.file_uploader(key="upload").upload("strip.png", png_bytes(pixels), "image/png").run()
    assert not page.exception
    lines = [*markdown_texts(page), *(info.value for info in page.info)]
    check = next(line for line in lines if "Convolution moves with its input" in line)
    assert f"the middle {rows} × {4 * rows} of the {rows} × {cols} image" in check
    assert "padding" not in check
    assert not any("padding" in warning.value for warning in page.warning)


def test_a_refused_file_replaces_the_previous_files_message(page):
    pixels = np.random.default_rng(0).integers(0, 256, (600, 800), dtype=np.uint8)
    page.file_uploader(key="upload").upload("big.png", png_bytes(pixels), "image/png").run()
    assert any("scaled down" in info.value for info in page.info)
    page.file_uploader(key="upload").upload("notes.txt", b"plain text", "text/plain").run()
    assert not page.exception
    assert not any("scaled down" in info.value for info in page.info)
    errors = [error.value for error in page.error]
    assert len(errors) == 1 and "not an image cnnviz can open" in errors[0], errors
    label = page.file_uploader(key="upload").label
    assert label == "…or upload your own (PNG, JPEG, GIF, BMP, WebP or TIFF)"


def test_the_padding_and_shift_paragraphs_claim_only_what_holds(page):
    texts = " ".join(markdown_texts(page))
    # Issue 24: valid does not shrink with a 1 × 1 window; the zeros' frame depends on the edge.
    assert "every layer shrinks the map" not in texts
    assert "n − k + 1 cells of n, and shrinks the map unless it is 1 × 1" in texts
    # LeNet-5 pools by average: the shift paragraphs name the average too, not only the maximum.
    assert "gives the same maximum" not in texts
    assert "maximum (max pooling) or average (average pooling, LeNet-5's)" in texts
    assert shifts.survey_sentence() in texts
    for sample in ("Photo: cat (Chelsea)", "Pattern: shift test"):
        page.selectbox(key="sample").set_value(sample).run()
        small, _ = images.preview(images.load_sample(sample), 32)
        kernel = ops.EXAMPLE_KERNELS[page.selectbox(key="kernel").value]
        sentence = padding_lesson.zero_border_sentence(small, kernel)
        assert any(text.endswith(sentence) for text in markdown_texts(page)), sentence
        if sample.startswith("Pattern"):
            assert sentence.startswith("Here the zeros do not show")


MODES_TEXT = (
    "bright details on a dark background survive (the thin lines, and the bright pixel "
    "whenever a window covers it). **Min** keeps the weakest: dark details survive and bright "
    "ones thinner than the window vanish from every window that lies wholly inside the image "
    "(a 1 × 1 window gives the same map in all three modes)"
)


def test_the_modes_paragraph_holds_for_every_pool_stride_and_padding(page):
    assert any(MODES_TEXT in text for text in markdown_texts(page))
    lines, pixel = images.thin_lines(), images.one_bright_pixel()
    where = tuple(int(i) for i in np.argwhere(pixel)[0])
    for pool_size, stride in itertools.product(range(1, 9), range(1, 9)):
        for padding in ("valid", "same"):
            pooled = {
                mode: ops.pool2d(lines, pool_size, stride, padding, mode)
                for mode in "max min avg".split()
            }
            assert pooled["max"].max() == lines.max()  # the thin lines survive max pooling
            covered = bool(cells_holding(where, pixel.shape, pool_size, stride, padding))
            kept = ops.pool2d(pixel, pool_size, stride, padding, "max").max() == pixel.max()
            assert kept == covered, (pool_size, stride, padding)
            if pool_size == 1:
                assert np.array_equal(pooled["min"], pooled["max"])
                assert np.array_equal(pooled["avg"], pooled["max"])
            else:  # 1-pixel lines are thinner than the window: min pooling loses them
                inside = [
                    [
                        i
                        for i, w in enumerate(tensorflow_windows(n, pool_size, stride, padding))
                        if w.start >= 0 and w.stop <= n
                    ]
                    for n in lines.shape
                ]
                whole = pooled["min"][np.ix_(*inside)]
                assert whole.size == 0 or whole.max() < lines.max(), (pool_size, stride)


def test_every_chart_is_drawn_without_plotlys_toolbar(page):
    """On a touch screen the toolbar always shows, over a phone's chart titles and labels."""
    configs = [json.loads(chart.proto.config) for chart in page.get("plotly_chart")]
    assert configs and all(config == {"displayModeBar": False} for config in configs), configs
