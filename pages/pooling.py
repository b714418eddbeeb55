"""Pooling & padding: max, min and average pooling and valid/same/full padding on real images.

Thin page: teaching text, widgets, calls into cnnviz (all maths in cnnviz.ops), charts. It must
never import TensorFlow (tests/test_page_pooling.py checks).
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from cnnviz import charts, images, ops, padding_lesson, shift_accuracy, shifts
from cnnviz import pooling_settings as settings
from cnnviz.charts import pooling as pooling_charts
from cnnviz.charts.base import CHART_CONFIG
from cnnviz.data import MnistNotFoundError, how_to_get_mnist
from cnnviz.site import keep_settings
from pages.glue.figure_cache import shared_figure, shared_result
from pages.glue.router import through_the_router
from pages.glue.uploads import uploaded_image

through_the_router()  # a deep link on a fresh server ran this page past app.py

CONV_PREVIEW_SIDE = 32  # the convolution section shrinks the image so each pixel shows
EQUIVARIANCE_SIDE = 128  # the equivariance check runs on the image shrunk to this side
# Every control but the uploader (Streamlit cannot set a file uploader): kept across pages.
KEPT_SETTINGS = (
    *(setting.key for setting in settings.POOLING_SETTINGS),
    "grid",
    "step",
    "kernel",
    "conv_pad",
    "shift",
    "dir",
)
STEP_GRID_MAX_SIDE = 8  # "your image" in the step-through: few enough cells to read each value


@st.cache_data(show_spinner="Loading the sample…", max_entries=32)
def load_sample(name: str) -> np.ndarray:
    return images.load_sample(name)


def chosen_image() -> tuple[str, np.ndarray]:
    """The uploaded image if there is a good one, else the chosen sample: (name, image)."""
    left, right = st.columns(2)
    sample = left.selectbox(settings.SAMPLE.label, images.sample_names(), key=settings.SAMPLE.key)
    if (uploaded := uploaded_image(right, "upload", instead="the sample")) is not None:
        return uploaded
    try:
        return sample, load_sample(sample)
    except MnistNotFoundError:
        st.info(how_to_get_mnist())
        return "checkerboard", images.checkerboard()


@dataclass(frozen=True)
class PoolChoice:
    """The pooling the student chose at the top of the page; every section uses it."""

    mode: str
    pool_size: int
    stride: int
    padding: str

    def pool(self, image: np.ndarray, mode: str | None = None) -> np.ndarray:
        """`image` pooled this way (in another `mode` if given)."""
        return ops.pool2d(image, self.pool_size, self.stride, self.padding, mode or self.mode)


def introduction() -> None:
    """The title and one sentence: on a 1280 × 720 projector the picture then starts on the
    first screen; why CNNs pool follows the picture (:func:`why_pool`)."""
    st.title("Pooling & padding")
    st.markdown(
        "A **pooling layer** slides a window over an image or a feature map and keeps one "
        "number per window: the **largest** (max), the **smallest** (min) or the **mean**."
    )


def why_pool() -> None:
    """Why the classic CNNs pool, under the picture that shows it."""
    st.markdown(
        "Keras' pooling layers have no weights to learn (LeNet-5's original subsampling layers "
        "did: one trainable coefficient and bias per map). The classic CNNs (LeNet-5, AlexNet, "
        "VGG) all pool, because it makes the maps **smaller**: less computation in every later "
        "layer, and fewer weights in the dense layers after Flatten (a convolution's weights do "
        "not depend on the size of its map). It also makes them **somewhat less sensitive to "
        "small shifts** (a feature that moves without leaving its window leaves that window's "
        "maximum, or average, as it was; the last section measures how much), which helps "
        "against **overfitting** to exact pixel "
        "positions. Try it on a photo, a digit or a pattern made to show the effects."
    )


def controls() -> PoolChoice:
    """The pooling controls under the image picker, on one line (the mode's three choices get
    the room to stay on it, so the picture starts higher)."""
    mode_column, size_column, stride_column, padding_column = st.columns([5, 4, 4, 4])
    return PoolChoice(
        mode=radio_setting(mode_column, settings.MODE),
        pool_size=slider_setting(size_column, settings.POOL_SIZE),
        stride=slider_setting(stride_column, settings.STRIDE),
        padding=radio_setting(padding_column, settings.PADDING),
    )


def radio_setting(column: DeltaGenerator, setting: settings.Choice) -> Any:
    """A horizontal radio for one of the pooling settings."""
    return column.radio(
        setting.label,
        setting.options,
        index=setting.options.index(setting.default),
        format_func=setting.show,
        key=setting.key,
        horizontal=True,
    )


def slider_setting(column: DeltaGenerator, setting: settings.IntRange) -> int:
    """A slider for one of the pooling settings."""
    return column.slider(setting.label, setting.low, setting.high, setting.default, key=setting.key)


def input_and_output(name: str, image: np.ndarray, choice: PoolChoice) -> None:
    """The image, its pooled version, the output-size formula, and the three modes side by side."""
    st.subheader("Input and output")
    try:
        pooled = choice.pool(image)
    except ValueError as error:
        pooled = None
        st.warning(str(error))
    columns = st.columns(2)
    columns[0].plotly_chart(
        shared_figure(charts.heatmap, image, f"Input: {name}", zmin=0, zmax=1),
        config=CHART_CONFIG,
        key="input",
    )
    if pooled is not None:
        title = (
            f"{settings.MODE.show(choice.mode)} pooling, {choice.pool_size}×{choice.pool_size}, "
            f"stride {choice.stride}, {choice.padding}"
        )
        columns[1].plotly_chart(
            shared_figure(charts.heatmap, pooled, title, zmin=0, zmax=1),
            config=CHART_CONFIG,
            key="output",
        )
    why_pool()

    st.markdown("**Output size**, per axis (n input cells, k window, s stride):")
    st.latex(
        r"\text{valid: } \left\lfloor \frac{n - k}{s} \right\rfloor + 1"
        r"\qquad \text{same: } \left\lceil \frac{n}{s} \right\rceil"
    )
    for axis, n in (("Rows", image.shape[0]), ("Columns", image.shape[1])):
        formula = ops.output_size_formula(n, choice.pool_size, choice.stride, choice.padding)
        st.markdown(f"{axis}: `{formula}`")

    if pooled is None:
        return
    st.subheader("Max, min and average side by side")
    # The chosen mode is already pooled above; only the other two are computed here.
    side_by_side = {
        settings.MODE.show(each): pooled if each == choice.mode else choice.pool(image, each)
        for each in ops.POOL_MODES
    }
    st.plotly_chart(
        shared_figure(charts.image_row, side_by_side, zmin=0, zmax=1),
        config=CHART_CONFIG,
        key="modes",
    )
    st.markdown(
        "**Max** keeps the strongest response in each window: bright details on a dark "
        "background survive (the thin lines, and the bright pixel whenever a window covers "
        "it). **Min** keeps the weakest: dark details survive and bright ones thinner than the "
        "window vanish from every window that lies wholly inside the image (a 1 × 1 window "
        "gives the same map in all three modes). After a ReLU most windows contain a "
        "zero, so min pooling would mostly output zeros; that is why CNNs use max (or average) "
        "pooling and why Keras has no min-pooling layer (min-pool(x) = −max-pool(−x)). "
        "**Average** keeps the overall brightness and blurs; LeNet-5 used it."
    )


def remember_section_settings() -> None:
    """Keep the settings as a fragment's own rerun left them: the page-level copy was taken
    before the fragment's controls moved, and would put the old value back after a visit to
    another page."""
    keep_settings(st.session_state, KEPT_SETTINGS)


# A fragment: its own controls (the grid, the Step slider) rerun only this section, not the
# whole page, which pools the full-size image three times.
@st.fragment
def step_through(image: np.ndarray, choice: PoolChoice) -> None:
    """One window at a time, on a grid small enough to check by hand."""
    remember_section_settings()
    st.subheader("Step through the windows")
    grid_choice = st.radio(
        "Grid",
        ["small numbers (7 × 7)", "your image, shrunk to ≤ 8 × 8"],
        key="grid",
        horizontal=True,
    )
    if grid_choice.startswith("small"):
        grid = images.step_grid()
    else:
        grid, note = images.preview(image, STEP_GRID_MAX_SIDE)
        if note:
            st.caption(f"The grid is {note}.")
    try:
        grid_output = choice.pool(grid)
    except ValueError as error:
        st.warning(f"{error} (The step-through grid is {grid.shape[0]}×{grid.shape[1]}.)")
        return
    step = st.slider("Step", 1, grid_output.size, 1, key="step") if grid_output.size > 1 else 1
    cell = divmod(step - 1, grid_output.shape[1])
    window = ops.window_for_output(
        *cell, choice.pool_size, choice.stride, choice.padding, grid.shape
    )
    padded_grid = ops.pad2d(grid, *window.padding, value=np.nan)  # NaN: ignored by pooling
    st.plotly_chart(
        shared_figure(
            pooling_charts.step_through,
            padded_grid,
            window.padded_rows,
            window.padded_cols,
            grid_output,
            cell,
            padding=window.padding,
        ),
        config=CHART_CONFIG,
        key="steps",
    )
    values = grid[window.rows, window.cols]
    description = ops.describe_window(values, choice.mode, window.padded_cells)
    st.markdown(f"Output cell {cell}: `{description}`")


# A fragment for the same reason: the kernel and border controls only redraw this section.
@st.fragment
def padding_section(image: np.ndarray) -> None:
    """Zero padding for a convolution, and what valid, same and full give."""
    remember_section_settings()
    st.subheader("Padding")
    st.markdown(
        "**Padding** adds cells around the border before the window slides. Two separate "
        "choices hide behind the word. *How many* cells: none (**valid**: only windows that "
        "fit, so a k × k window at stride 1 leaves n − k + 1 cells of n, and shrinks the map "
        "unless it is 1 × 1; border pixels take part in fewer windows than centre ones), just "
        "enough for ⌈n / s⌉ outputs (**same**: TensorFlow adds "
        "max((⌈n/s⌉ − 1)·s + k − n, 0) per axis, half before and, when that is odd, the extra "
        "one after, at the **bottom/right**), or k − 1 on each side (**full**: every position "
        "where the kernel touches the image, n + k − 1 outputs at stride 1; Keras layers offer "
        "only valid and same, full is shown here for comparison). And *what fills* them: a "
        "convolution fills them with **zeros** and multiplies them like pixels, so its "
        '"same" and "full" padding are both **zero padding**, and its edges are computed '
        'partly from zeros. Pooling with "same" pads with **nothing at all**: the padded cells '
        "are ignored, max never picks them and average divides by the number of real cells."
    )
    kernel_name = st.selectbox("Convolution kernel", list(ops.EXAMPLE_KERNELS), key="kernel")
    kernel = ops.EXAMPLE_KERNELS[kernel_name]
    small, note = images.preview(image, CONV_PREVIEW_SIDE)
    if note:
        st.caption(f"Shown here: {note}, so that every pixel is visible.")
    conv_padding = st.radio(
        "Show the zero border of", ["same", "full"], key="conv_pad", horizontal=True
    )
    pads = ops.padding_amounts(small.shape, kernel.shape, 1, conv_padding)
    st.plotly_chart(
        shared_figure(
            pooling_charts.padded_heatmap,
            ops.pad2d(small, *pads),
            pads,
            f"Zero-padded for '{conv_padding}'",
        ),
        config=CHART_CONFIG,
        key="padded",
    )
    convolved, no_output = {}, {}
    for each in ops.CONV_PADDINGS:
        try:
            convolved[each] = ops.conv2d(small, kernel, 1, each)
        except ValueError as error:  # a kernel larger than the image has no 'valid' output
            no_output[each] = str(error)
    limit = max(float(np.abs(result).max()) for result in convolved.values()) or 1.0
    signed = bool(kernel.min() < 0)
    st.plotly_chart(
        shared_figure(
            charts.image_row,
            convolved,
            zmin=-limit if signed else 0,
            zmax=limit,
            same_scale=True,
            colorscale=charts.SIGNED_COLORSCALE if signed else charts.IMAGE_COLORSCALE,
        ),
        config=CHART_CONFIG,
        key="conv",
    )
    for each, reason in no_output.items():
        st.info(f"**{each}**: {reason} Padding is what lets the others produce an output.")
    rows, cols = small.shape
    st.markdown(
        " · ".join(
            f"**{each}**: "
            + (f"{result.shape[0]} × {result.shape[1]} " if result is not None else "no output ")
            + f"({size_formulas(small.shape, kernel.shape, each)})"
            for each, result in ((each, convolved.get(each)) for each in ops.CONV_PADDINGS)
        )
        + f" — from a {rows} × {cols} input and a {kernel.shape[0]} × {kernel.shape[1]} kernel. "
        + padding_lesson.zero_border_sentence(small, kernel)
    )


def size_formulas(image_shape: tuple[int, int], kernel_shape: tuple[int, int], padding: str) -> str:
    """The output-size formula of each axis for a stride-1 convolution."""
    rows, cols = (
        ops.output_size_formula(n, k, 1, padding)
        for n, k in zip(image_shape, kernel_shape, strict=True)
    )
    return f"rows `{rows}`, columns `{cols}`"


@st.cache_data(show_spinner=False)
def shipped_shift_curves() -> dict[str, shift_accuracy.ShiftAccuracy] | str:
    """The shipped models' accuracy on shifted test digits (models/shift_accuracy.json), or why
    it could not be read. Computed once before class by `python -m cnnviz.shift_accuracy`."""
    try:
        return shift_accuracy.load_curves()
    except FileNotFoundError:
        return (
            "The shifted-digit curves have not been computed yet: run "
            f"`{shift_accuracy.SHIFT_ACCURACY_COMMAND}` once."
        )
    except ValueError as error:
        return str(error)


# A fragment too: the shift and its direction redraw only this section.
@st.fragment
def translation_section(image: np.ndarray, choice: PoolChoice) -> None:
    """Shift the input a few pixels: what convolution, subsampling and each pooling make of it."""
    remember_section_settings()
    st.subheader("Translation: equivariance and partial invariance")
    st.markdown(
        "Move an image by a pixel and two different things can happen. A **convolution** is "
        "*equivariant*: its output moves by the same pixel, the same features in a new place. "
        "**Pooling** is at best *partly invariant*: a feature that moves without leaving its "
        "window leaves that window's maximum (max pooling) or average (average pooling, "
        "LeNet-5's) as it was, one that crosses a window border moves to the next cell. To "
        "see how much a shift changes a picture, this section measures the **relative change** "
        "‖f(shifted) − f(x)‖ / ‖f(x)‖ (0 = unchanged, 1 = a change as large as the picture), "
        "and compares each pooling with **plain subsampling**: keeping the first pixel of each "
        "window, which shrinks the map just as much without pooling anything."
    )
    shift_columns = st.columns(2)
    distance = shift_columns[0].slider("Shift the input by (pixels)", 1, 3, 1, key="shift")
    direction = shift_columns[1].radio(
        "Direction", list(shifts.SHIFT_DIRECTIONS), key="dir", horizontal=True
    )
    shift = tuple(distance * unit for unit in shifts.SHIFT_DIRECTIONS[direction])
    try:
        measure = shared_result(
            shifts.measure_translation,
            image,
            shift,
            choice.pool_size,
            choice.stride,
            choice.padding,
            choice.mode,
        )
    except ValueError as error:
        st.warning(str(error))
        return
    bars = {"input": measure.input_change, "subsampled": measure.subsampled_change}
    bars |= {
        f"{settings.MODE.show(each)} pooled": measure.pooled_change[each] for each in ops.POOL_MODES
    }
    st.plotly_chart(
        shared_figure(
            pooling_charts.change_bars,
            {label: value for label, value in bars.items() if value is not None},
            title=f"Relative change after a shift of {shifts.shift_text(distance, direction)}",
            axis_title="relative change",
            value_format=".0%",
        ),
        config=CHART_CONFIG,
        key="shift_bars",
    )
    st.markdown(
        shifts.translation_sentence(measure, choice.mode, shifts.shift_text(distance, direction))
        + " "
        + shifts.survey_sentence()
    )
    within_or_across(distance, choice)
    convolution_moves(image, shift, distance, direction, choice)
    shifted_digits()


def within_or_across(distance: int, choice: PoolChoice) -> None:
    """The lone bright pixel: a shift one way stays in its window, the other way crosses over."""
    st.markdown("**Within a window or across its border** (the one-bright-pixel pattern)")
    pattern = images.one_bright_pixel()
    try:
        moves = shifts.bright_pixel_moves(
            pattern, distance, choice.pool_size, choice.stride, choice.padding
        )
    except ValueError as error:
        st.warning(str(error))
        return
    pooled = {"not shifted": choice.pool(pattern, "max")}
    for move in moves:
        shift = tuple(distance * unit for unit in shifts.SHIFT_DIRECTIONS[move.direction])
        pooled[move.direction] = choice.pool(ops.shift_image(pattern, *shift), "max")
    st.plotly_chart(
        shared_figure(charts.image_row, pooled, zmin=0, zmax=1, height=220),
        config=CHART_CONFIG,
        key="bright_moves",
    )
    st.markdown(
        f"Max pooling ({choice.pool_size}×{choice.pool_size}, stride {choice.stride}) of a "
        "single white pixel, shifted by\n"
        + "\n".join(f"- {shifts.bright_pixel_sentence(move, distance)}" for move in moves)
    )


def convolution_moves(
    image: np.ndarray, shift: tuple, distance: int, direction: str, choice: PoolChoice
) -> None:
    """Convolution is equivariant: checked on this image with an edge detector."""
    kernel_name = "Sobel (vertical edges)"
    kernel = ops.EXAMPLE_KERNELS[kernel_name]
    # As every small view on this page: a strip keeps its short side (its middle part).
    small, note = images.preview(image, EQUIVARIANCE_SIDE)
    shown = f" ({note})" if note else ""
    if min(small.shape) < min(kernel.shape):
        # This check has no padding control: say what the image lacks, not what to choose.
        st.info(
            f"**Convolution moves with its input**: checked with a {kernel.shape[0]} × "
            f"{kernel.shape[1]} edge detector, which needs an image at least that high and wide;"
            f" this one{shown} is {small.shape[0]} × {small.shape[1]}."
        )
        return
    try:
        difference = shared_result(shifts.conv_equivariance, small, kernel, shift)
    except ValueError as error:
        st.warning(str(error))
        return
    st.markdown(
        f"**Convolution moves with its input.** Shift this image{shown} by "
        f"{shifts.shift_text(distance, direction)} and its {kernel_name} map shifts by exactly as "
        "much: away from the border the two "
        + ("are identical. " if difference == 0 else f"differ by at most {difference:.1g}. ")
        + shifts.stride_sentence(distance, choice.stride)
    )


def shifted_digits() -> None:
    """The real test: trained networks on test digits moved by 0 to 6 pixels."""
    st.markdown("**The real test: trained networks on shifted digits**")
    curves = shipped_shift_curves()
    if isinstance(curves, str):
        st.info(curves)
        return
    labels = {"lenet": "LeNet-5 (shipped)", "alexnet": "AlexNet (shipped)"}
    st.plotly_chart(
        shared_figure(
            pooling_charts.shift_accuracy_curves,
            {labels[key]: (curve.shifts, curve.accuracy) for key, curve in curves.items()},
            title="Accuracy on MNIST test digits shifted up, down, left or right",
        ),
        config=CHART_CONFIG,
        key="shift_curves",
    )
    st.markdown(
        " ".join(shift_accuracy.curve_sentence(curve, labels[key]) for key, curve in curves.items())
        + " Each point is the mean over four directions of the 10,000 test digits, each moved "
        "with black coming in. Pooling alone does not make a network shift-proof: both networks "
        "pool, yet both lose accuracy as the shift grows. The shipped LeNet-5 was also trained "
        "on randomly shifted digits (augmentation), the shipped AlexNet was not."
    )


keep_settings(st.session_state, KEPT_SETTINGS)  # the settings a student left are here again
introduction()
name, image = chosen_image()
choice = controls()
input_and_output(name, image, choice)
step_through(image, choice)
padding_section(image)
translation_section(image, choice)
