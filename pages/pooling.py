"""Pooling & padding: max, min and average pooling and valid/same/full padding on real images.

Thin page: teaching text, widgets, calls into cnnviz (all maths in cnnviz.ops), charts. It must
never import TensorFlow (tests/test_page_pooling.py checks).
"""

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz import charts, images, ops
from cnnviz.charts import pooling as pooling_charts
from cnnviz.data import MnistNotFoundError, how_to_get_mnist

MODE_LABELS = {"max": "Max", "min": "Min", "avg": "Average"}
CONV_PREVIEW_SIDE = 32  # the convolution section shrinks the image so each pixel shows
SHIFT_DIRECTIONS = {"right": (0, 1), "down": (1, 0), "diagonally": (1, 1)}


@st.cache_data(show_spinner="Loading the sample…", max_entries=32)
def load_sample(name: str) -> np.ndarray:
    return images.load_sample(name)


def chosen_image() -> tuple[str, np.ndarray]:
    """The uploaded image if there is a good one, else the chosen sample: (name, image)."""
    left, right = st.columns(2)
    sample = left.selectbox("Sample image", images.sample_names(), key="sample")
    upload = right.file_uploader(
        "…or upload your own (PNG or JPEG)", type=list(images.UPLOAD_TYPES), key="upload"
    )
    if upload is not None:
        # Decode once per file (kept in this session's memory, never written to disk).
        if st.session_state.get("upload_id") != upload.file_id:
            try:
                st.session_state.upload_result = images.decode_upload(upload.getvalue())
            except images.ImageError as error:
                st.session_state.upload_result = error
            st.session_state.upload_id = upload.file_id
        result = st.session_state.upload_result
        if isinstance(result, images.ImageError):
            right.error(f"{result} Showing the sample instead.")
        else:
            if result.note:
                right.info(result.note)
            return upload.name, result.image
    else:  # the upload was removed: let its decoded image go
        st.session_state.pop("upload_result", None)
        st.session_state.pop("upload_id", None)
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
    st.title("Pooling & padding")
    st.markdown(
        "A **pooling layer** slides a small window over an image (or a feature map) and keeps "
        "one number per window: the **largest** (max pooling), the **smallest** (min pooling) "
        "or the **mean** (average pooling). It has no weights to learn, yet the classic CNNs "
        "(LeNet-5, AlexNet, VGG) all use it, because it makes the maps **smaller** (less "
        "computation and fewer weights in the layers after it), **less sensitive to small "
        "shifts** (a feature that moves a pixel inside its window gives the same maximum) and "
        "so less prone to **overfitting** to exact pixel positions. Try it on a photo, a digit "
        "or a pattern made to show the effects."
    )


def controls() -> PoolChoice:
    """The pooling controls under the image picker."""
    columns = st.columns(4)
    mode = columns[0].radio(
        "Pooling", list(MODE_LABELS), format_func=MODE_LABELS.get, key="mode", horizontal=True
    )
    pool_size = columns[1].slider("Pool size (window k × k)", 1, 8, 2, key="pool_size")
    stride = columns[2].slider("Stride s", 1, 8, 2, key="stride")
    padding = columns[3].radio("Padding", ops.POOL_PADDINGS, key="padding", horizontal=True)
    return PoolChoice(mode, pool_size, stride, padding)


def input_and_output(name: str, image: np.ndarray, choice: PoolChoice) -> None:
    """The image, its pooled version, the output-size formula, and the three modes side by side."""
    st.subheader("Input and output")
    try:
        pooled = choice.pool(image)
    except ValueError as error:
        pooled = None
        st.warning(str(error))
    columns = st.columns(2)
    columns[0].plotly_chart(charts.heatmap(image, f"Input: {name}", zmin=0, zmax=1), key="input")
    if pooled is not None:
        title = (
            f"{MODE_LABELS[choice.mode]} pooling, {choice.pool_size}×{choice.pool_size}, "
            f"stride {choice.stride}, {choice.padding}"
        )
        columns[1].plotly_chart(charts.heatmap(pooled, title, zmin=0, zmax=1), key="output")

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
        MODE_LABELS[each]: pooled if each == choice.mode else choice.pool(image, each)
        for each in ops.POOL_MODES
    }
    st.plotly_chart(charts.image_row(side_by_side, zmin=0, zmax=1), key="modes")
    st.markdown(
        "**Max** keeps the strongest response in each window: bright details on a dark "
        "background survive (the thin lines, the bright pixel). **Min** keeps the weakest: "
        "dark details survive and bright thin ones vanish. After a ReLU most windows contain a "
        "zero, so min pooling would mostly output zeros; that is why CNNs use max (or average) "
        "pooling and why Keras has no min-pooling layer (min-pool(x) = −max-pool(−x)). "
        "**Average** keeps the overall brightness and blurs; LeNet-5 used it."
    )


# A fragment: its own controls (the grid, the Step slider) rerun only this section, not the
# whole page, which pools the full-size image three times.
@st.fragment
def step_through(image: np.ndarray, choice: PoolChoice) -> None:
    """One window at a time, on a grid small enough to check by hand."""
    st.subheader("Step through the windows")
    grid_choice = st.radio(
        "Grid",
        ["small numbers (7 × 7)", "your image, shrunk to ≤ 8 × 8"],
        key="grid",
        horizontal=True,
    )
    grid = (
        images.step_grid()
        if grid_choice.startswith("small")
        else images.resize_to_max_side(image, 8)
    )
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
        pooling_charts.step_through(
            padded_grid,
            window.padded_rows,
            window.padded_cols,
            grid_output,
            cell,
            padding=window.padding,
        ),
        key="steps",
    )
    values = grid[window.rows, window.cols]
    description = ops.describe_window(values, choice.mode, window.padded_cells)
    st.markdown(f"Output cell {cell}: `{description}`")


# A fragment for the same reason: the kernel and border controls only redraw this section.
@st.fragment
def padding_section(image: np.ndarray) -> None:
    """Zero padding for a convolution, and what valid, same and full give."""
    st.subheader("Padding")
    st.markdown(
        "**Padding** adds cells around the border before the window slides. Without it "
        "(**valid**), only windows that fit are used, so every layer shrinks the map and the "
        "border pixels take part in fewer windows than the centre ones. With **same** padding, "
        "TensorFlow adds just enough cells for ⌈n / s⌉ outputs (the input size when s = 1): "
        "in total max((⌈n/s⌉ − 1)·s + k − n, 0) per axis, half before and, when that is odd, "
        "the extra one after, at the **bottom/right**. A convolution fills the border with "
        '**zeros** and multiplies them like pixels ("zero padding"), so its edges are computed '
        'partly from zeros. Pooling with "same" **ignores** the padded cells instead: max never '
        "picks them and average divides by the number of real cells. **Full** padding (k − 1 "
        "zeros on each side) gives every position where the kernel touches the image: n + k − 1 "
        "outputs (Keras layers offer only valid and same; full is shown here for comparison)."
    )
    kernel_name = st.selectbox("Convolution kernel", list(ops.EXAMPLE_KERNELS), key="kernel")
    kernel = ops.EXAMPLE_KERNELS[kernel_name]
    small = images.resize_to_max_side(image, CONV_PREVIEW_SIDE)
    conv_padding = st.radio(
        "Show the zero border of", ["same", "full"], key="conv_pad", horizontal=True
    )
    pads = ops.padding_amounts(small.shape, kernel.shape, 1, conv_padding)
    st.plotly_chart(
        pooling_charts.padded_heatmap(
            ops.pad2d(small, *pads), pads, f"Zero-padded for '{conv_padding}'"
        ),
        key="padded",
    )
    convolved = {each: ops.conv2d(small, kernel, 1, each) for each in ops.CONV_PADDINGS}
    limit = max(float(np.abs(result).max()) for result in convolved.values()) or 1.0
    signed = bool(kernel.min() < 0)
    st.plotly_chart(
        charts.image_row(
            convolved,
            zmin=-limit if signed else 0,
            zmax=limit,
            same_scale=True,
            colorscale=charts.SIGNED_COLORSCALE if signed else charts.IMAGE_COLORSCALE,
        ),
        key="conv",
    )
    rows, cols = small.shape
    st.markdown(
        " · ".join(
            f"**{each}**: {result.shape[0]} × {result.shape[1]} "
            f"(`{ops.output_size_formula(rows, kernel.shape[0], 1, each)}`)"
            for each, result in convolved.items()
        )
        + f" — from a {rows} × {cols} input and a {kernel.shape[0]} × {kernel.shape[1]} kernel. "
        "Look at the borders of 'same' and 'full': the zeros show up as a dark frame after a "
        "blur and as false edges after an edge detector."
    )


def translation(image: np.ndarray, choice: PoolChoice) -> None:
    """Shift the input a few pixels: how much of the input, and of each pooled map, changes."""
    st.subheader("Translation invariance")
    shift_columns = st.columns(2)
    shift_by = shift_columns[0].slider("Shift the input by (pixels)", 1, 3, 1, key="shift")
    direction = shift_columns[1].radio(
        "Direction", list(SHIFT_DIRECTIONS), key="dir", horizontal=True
    )
    shift = tuple(shift_by * unit for unit in SHIFT_DIRECTIONS[direction])
    try:
        changes = {
            each: ops.translation_change(
                image, shift, choice.pool_size, choice.stride, choice.padding, each
            )
            for each in ops.POOL_MODES
        }
    except ValueError as error:
        st.warning(str(error))
        return
    reference = changes[choice.mode]
    metrics = st.columns(2)
    metrics[0].metric("Input pixels that changed", f"{reference.input_changed_fraction:.0%}")
    metrics[1].metric(
        f"{MODE_LABELS[choice.mode]}-pooled cells that changed",
        f"{reference.output_changed_fraction:.0%}",
    )
    bars = {"input": reference.input_change}
    bars |= {f"{MODE_LABELS[each]} pooled": changes[each].output_change for each in changes}
    st.plotly_chart(
        pooling_charts.change_bars(
            bars, title=f"Mean absolute change after a {shift_by}-pixel shift"
        ),
        key="shift_bars",
    )
    st.markdown(
        "A pooled cell only changes when the shift brings a new maximum (or minimum, or value "
        "to average) into its window, so the pooled map usually changes less than the input. "
        "The invariance is only approximate: shift by a whole window and the output moves too."
    )


introduction()
name, image = chosen_image()
choice = controls()
input_and_output(name, image, choice)
step_through(image, choice)
padding_section(image)
translation(image, choice)
