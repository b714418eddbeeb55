"""Convolution: slide a kernel over an image, read one output cell's arithmetic, add channels.

Thin page: teaching text, widgets, calls into cnnviz (the maths in cnnviz.ops, the kernels and
the sentences in cnnviz.convolution, the charts in cnnviz.charts.convolution). It imports
TensorFlow only when the student picks the learned LeNet-5 filter (tests check both).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz import charts, convolution, images, ops
from cnnviz.charts import convolution as conv_charts
from cnnviz.charts.base import CHART_CONFIG
from cnnviz.data import MnistNotFoundError, how_to_get_mnist
from cnnviz.site import keep_settings
from pages.glue.figure_cache import shared_figure
from pages.glue.router import through_the_router
from pages.glue.uploads import uploaded_image

through_the_router()  # a deep link on a fresh server ran this page past app.py

GRID = "Grid of numbers (edit it in the step-through)"
DEFAULT_SAMPLE = "Photo: camera man"  # 512 × 512: the size the rerun budget is measured on
DEFAULT_PRESET = "Sobel x (vertical edges)"
DEFAULT_SIDE = 3
# The step-through's grid of whole numbers in narrow columns, the narrowest Streamlit's data grid
# draws, beside its chart in half the page: all of its 6 columns show on a 1280 × 720 projector
# (in a third of the page only columns 0-3 did).
GRID_COLUMN_WIDTH = 50  # px
STEP_COLUMNS = (1, 1)  # the grid's share of the page's width, the chart's
# How to edit a cell, said for a mouse and for a phone (a phone has no double-click).
WEIGHTS_HINT = (
    "**Weights** (double-click a cell, or tap it twice on a phone, and type a new weight):"
)
CHANNEL_DEFAULTS = ("Sobel x (vertical edges)", "Identity", "Sobel y (horizontal edges)")
# Every control but the uploader (Streamlit cannot set a file uploader): kept across pages.
KEPT_SETTINGS = (
    "conv_sample",
    "conv_preset",
    "conv_side",
    "conv_learned",
    "conv_stride",
    "conv_dilation",
    "conv_padding",
    "conv_cell",
    "conv_filters",
    *(f"conv_channel_{name}" for name in convolution.CHANNEL_NAMES),
)


@dataclass(frozen=True)
class ConvChoice:
    """The stride, dilation and padding chosen under the kernel; every section uses them."""

    stride: int
    dilation: int
    padding: str

    def apply(self, image: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return ops.conv2d(image, weights, self.stride, self.padding, self.dilation)


@st.cache_data(show_spinner="Loading the sample…", max_entries=32)
def load_sample(name: str) -> np.ndarray:
    return images.load_sample(name)


def edited_array(
    base_key: str, version_key: str, label: str, column_width: int | None = None
) -> np.ndarray:
    """A grid of numbers the student edits (``st.data_editor``), kept across page visits.

    ``state[base_key]`` holds the grid the editor starts from; bumping ``state[version_key]``
    starts a fresh editor (a new preset). The edited grid is copied to ``base_key + "_edited"``
    so that, when Streamlit has dropped the editor's own state (another page was shown), the
    editor starts again from what the student left. ``column_width`` fixes every column's width
    in pixels (the index's too); by default each fits its numbers.
    """
    state = st.session_state
    editor_key = f"{base_key}_editor_{state[version_key]}"
    edited_key = f"{base_key}_edited"
    if editor_key not in state and edited_key in state:
        state[base_key] = state[edited_key]
    frame = pd.DataFrame(
        state[base_key], columns=[str(col) for col in range(state[base_key].shape[1])]
    )
    column_config = (
        None
        if column_width is None
        else {name: {"width": column_width} for name in ["_index", *frame.columns]}
    )
    edited = st.data_editor(
        frame, key=editor_key, hide_index=False, width="content", column_config=column_config
    )
    values, empty = convolution.clean_weights(edited.to_numpy(dtype=float, na_value=np.nan))
    if empty:
        st.caption(f"{label}: {empty} empty cell{'s' if empty > 1 else ''} count as 0.")
    state[edited_key] = values
    return values


def set_kernel() -> None:
    """A new preset or size: the weight grid starts again from that kernel."""
    state = st.session_state
    preset = state.setdefault("conv_preset", DEFAULT_PRESET)
    sides = convolution.preset_sides(preset)
    if state.get("conv_side") not in sides:
        state["conv_side"] = DEFAULT_SIDE if DEFAULT_SIDE in sides else sides[0]
    if preset == convolution.LEARNED:
        try:
            kernel = convolution.learned_filters()[state.get("conv_learned", 0)]
        except ValueError as error:
            state["conv_kernel_error"] = str(error)
            kernel = convolution.preset_kernel("Identity", 5)
    else:
        kernel = convolution.preset_kernel(preset, state["conv_side"])
    # The exact weights: the sentences and the sums follow them (nine 0.111s sum to 0.999).
    state["conv_kernel"] = np.asarray(kernel, dtype=float)
    state["conv_kernel_edited"] = state["conv_kernel"]
    state["conv_kernel_version"] = state.get("conv_kernel_version", 0) + 1


def introduction() -> None:
    st.title("Convolution")
    st.markdown(
        "A **convolution** slides a small grid of weights, the **kernel**, over an image. At "
        "each position it multiplies every weight by the pixel under it and adds the products "
        "up: that sum is one cell of the output. The same few weights are used at every "
        "position, so a kernel finds its pattern (an edge, a spot, a texture) wherever it is "
        "in the image. A convolutional layer of a network does exactly this with kernels it "
        "**learns** from examples, instead of the hand-made ones below."
    )


def image_source() -> tuple[str, np.ndarray]:
    """The chosen image: a sample, an upload, or the small grid of numbers."""
    state = st.session_state
    if "conv_grid" not in state:
        state.conv_grid = convolution.number_grid()
        state.conv_grid_version = 0
    left, right = st.columns(2)
    names = [GRID, *images.sample_names()]
    if state.get("conv_sample") not in names:
        state["conv_sample"] = DEFAULT_SAMPLE
    sample = left.selectbox("Image", names, key="conv_sample")
    if (uploaded := uploaded_image(right, "conv_upload", instead="the chosen image")) is not None:
        return uploaded
    if sample == GRID:
        return "grid of numbers", state.get("conv_grid_edited", state.conv_grid)
    try:
        return sample, load_sample(sample)
    except MnistNotFoundError:
        st.info(how_to_get_mnist())
        return GRID, state.conv_grid


def kernel_controls() -> np.ndarray:
    """The kernel: a preset, its size, and the weights, editable one by one."""
    state = st.session_state
    if "conv_kernel" not in state:
        set_kernel()
    st.subheader("The kernel")
    preset = st.selectbox(
        "Start from", convolution.PRESET_NAMES, key="conv_preset", on_change=set_kernel
    )
    sides = convolution.preset_sides(preset)
    if len(sides) > 1:
        st.select_slider(
            "Kernel size (k × k)",
            sides,
            key="conv_side",
            format_func=lambda side: f"{side}×{side}",
            on_change=set_kernel,
        )
    if preset == convolution.LEARNED:
        st.selectbox(
            "Which of C1's six filters",
            range(6),
            key="conv_learned",
            format_func=lambda index: f"Filter {index + 1}",
            on_change=set_kernel,
        )
        error = state.pop("conv_kernel_error", None)
        if error:
            st.error(f"{error} Showing a 5×5 identity kernel instead.")
        else:
            st.markdown(
                "Learned by the shipped LeNet-5 from MNIST digits: nobody chose these weights. "
                "Try it on a digit."
            )
    else:
        st.markdown(convolution.PRESETS[preset].effect)
    st.markdown(WEIGHTS_HINT)
    weights = edited_array("conv_kernel", "conv_kernel_version", "Kernel")
    st.markdown(convolution.weight_sentence(weights))
    return weights


def conv_controls() -> ConvChoice:
    """Stride, dilation and padding; never a stride and a dilation both above 1 (Keras refuses)."""
    state = st.session_state
    if state.get("conv_stride", 1) > 1 and state.get("conv_dilation", 1) > 1:
        state["conv_dilation"] = 1  # a pair kept from before the rule; Keras refuses it
    columns = st.columns(3)
    stride = columns[0].slider(
        "Stride s (step between windows)",
        1,
        4,
        1,
        key="conv_stride",
        disabled=state.get("conv_dilation", 1) > 1,
    )
    dilation = columns[1].slider(
        "Dilation d (d − 1 cells between weights)",
        1,
        4,
        1,
        key="conv_dilation",
        disabled=stride > 1,
    )
    padding = columns[2].radio("Padding", ops.CONV_PADDINGS, key="conv_padding", horizontal=True)
    if stride > 1 or dilation > 1:
        st.caption(
            "Keras' `Conv2D` does not allow a stride and a dilation both above 1, so one of "
            "them stays at 1: set the other back to 1 to change it."
        )
    return ConvChoice(stride, dilation, padding)


def input_and_output(name: str, image: np.ndarray, weights: np.ndarray, choice: ConvChoice) -> None:
    """The image and its convolution side by side, and the output size with its formula."""
    st.subheader("Input and output")
    try:
        output = choice.apply(image, weights.astype(np.float32))
    except ValueError as error:
        output = None
        st.warning(f"{error} (The image is {image.shape[0]} × {image.shape[1]} pixels.)")
    left, right = st.columns(2)
    # Built once per image for the server: it does not change with the kernel or the controls.
    left.plotly_chart(
        shared_figure(charts.heatmap, image, f"Input: {name}", zmin=0, zmax=1),
        config=CHART_CONFIG,
        key="conv_input",
    )
    rows, cols = weights.shape
    if output is not None:
        # Short enough for one line beside the input (the dilation only when it spreads).
        dilation = f", dilation {choice.dilation}" if choice.dilation > 1 else ""
        title = f"Output: {rows}×{cols}, stride {choice.stride}{dilation}, {choice.padding}"
        right.plotly_chart(
            conv_charts.output_map(output, title), config=CHART_CONFIG, key="conv_output"
        )
        st.caption(
            "Some outputs are negative: blue cells are positive, red ones negative, white is 0."
            if conv_charts.colour_range(output)[0] != charts.IMAGE_COLORSCALE
            else "No output is negative here: black is 0, white the largest output."
        )
    st.markdown(
        "**Output size**, per axis (n input cells, k weights, s stride, d dilation; the "
        "weights span k′ = d·(k − 1) + 1 cells):"
    )
    st.latex(
        r"\text{valid: } \left\lfloor \frac{n - k'}{s} \right\rfloor + 1"
        r"\qquad \text{same: } \left\lceil \frac{n}{s} \right\rceil"
        r"\qquad \text{full: } \left\lfloor \frac{n + k' - 2}{s} \right\rfloor + 1"
    )
    for axis, n, k in (("Rows", image.shape[0], rows), ("Columns", image.shape[1], cols)):
        formula = ops.output_size_formula(n, k, choice.stride, choice.padding, choice.dilation)
        st.markdown(f"{axis}: `{formula}`")
    if output is not None:
        st.markdown(
            convolution.size_sentence(image.shape, output.shape, choice.padding, choice.stride)
        )


@st.fragment
def step_through(weights: np.ndarray, choice: ConvChoice) -> None:
    """One output cell at a time on the small grid: the window, the products and their sum."""
    st.subheader("Step through, one output cell at a time")
    st.markdown(
        "The same kernel, stride, dilation and padding on a small grid of numbers you can "
        "edit. The red squares are the cells under the weights (with a dilation they have "
        "gaps); orange cells are padding, zeros that take part in the sum."
    )
    state = st.session_state
    left, right = st.columns(STEP_COLUMNS)
    with left:
        grid = edited_array("conv_grid", "conv_grid_version", "Grid", GRID_COLUMN_WIDTH)
    try:
        output = choice.apply(grid, weights)
    except ValueError as error:
        right.warning(str(error))
        return
    cells = output.size
    if state.get("conv_cell", 0) >= cells:
        state["conv_cell"] = 0
    index = (
        right.slider("Output cell (row by row)", 0, cells - 1, key="conv_cell") if cells > 1 else 0
    )
    cell = divmod(index, output.shape[1])
    step = ops.conv_step(grid, weights, *cell, choice.stride, choice.padding, choice.dilation)
    right.plotly_chart(
        conv_charts.step_through(grid, step, output, cell),
        config=CHART_CONFIG,
        key="conv_step_chart",
    )
    products = convolution.step_arithmetic(step)
    st.markdown(f"Output cell {cell}: weight · cell for each weight, added up:")
    st.code(products, language=None, wrap_lines=True)
    padded_cells = int((~step.inside).sum())
    if padded_cells:
        st.caption(
            f"{padded_cells} of the {step.inside.size} weights sit on padding here, so they "
            "multiply 0."
        )
    flipped_products, flip_sentence = convolution.flip_comparison(step)
    st.markdown(
        "**Keras does not flip the kernel.** What Keras' `Conv2D` computes, and this page with "
        "it, is strictly a *cross-correlation*: weight (0, 0) multiplies the window's top-left "
        "cell. The *convolution* of maths textbooks first turns the kernel 180° (flips it in "
        f"both axes), so the same output cell {cell} becomes:"
    )
    st.code(flipped_products, language=None, wrap_lines=True)
    st.markdown(
        f"{flip_sentence} A network does not mind: it would simply learn the turned kernel."
    )


@st.cache_resource(max_entries=64)
def channel_figure(presets: tuple[str, str, str]):
    """Each channel of the photo convolved with its 3×3 kernel, and their sum (the filter's
    output), built once per choice of kernels for the whole server (read-only)."""
    photo = convolution.colour_photo()
    kernel = np.stack([convolution.preset_kernel(name, 3) for name in presets], axis=-1)
    kernel = kernel.astype(np.float32)  # (3, 3, 3): one 3×3 kernel per channel
    maps = {
        f"{name} * its kernel": ops.conv2d(photo[:, :, index], kernel[:, :, index], padding="same")
        for index, name in enumerate(convolution.CHANNEL_NAMES)
    }
    maps["their sum: the output"] = ops.conv2d(photo, kernel, padding="same")
    colorscale, zmin, zmax = conv_charts.colour_range(np.stack(list(maps.values())))
    return charts.image_row(maps, zmin=zmin, zmax=zmax, colorscale=colorscale, height=240)


def channels(weights_side: int) -> None:
    """A colour photo: one kernel per channel, summed into one map; a layer's parameters."""
    st.subheader("Colour images: one kernel per channel, one map")
    photo = convolution.colour_photo()
    st.markdown(
        "A colour image has three **channels** (red, green, blue). A filter of a "
        "convolutional layer has one kernel per channel: each channel is convolved with its "
        "own kernel, and the three results are **added** into a single output map. Pick a "
        "3×3 kernel for each channel:"
    )
    columns = st.columns(3)
    presets = []
    for column, name, default in zip(
        columns, convolution.CHANNEL_NAMES, CHANNEL_DEFAULTS, strict=True
    ):
        key = f"conv_channel_{name}"
        if key not in st.session_state:
            st.session_state[key] = default
        preset = column.selectbox(
            f"Kernel for {name}",
            [each for each in convolution.PRESETS if 3 in convolution.preset_sides(each)],
            key=key,
        )
        presets.append(preset)
    left, right = st.columns([1, 3])
    left.image(photo, caption=f"The photo ({photo.shape[0]} × {photo.shape[1]} × 3)")
    right.plotly_chart(channel_figure(tuple(presets)), config=CHART_CONFIG, key="conv_channel_maps")
    st.markdown(
        "The last map is the three before it added cell by cell: one filter gives **one** map, "
        "however many channels its input has."
    )
    st.markdown("**Parameters of a layer.** A `Conv2D` layer with F such filters learns:")
    filters = st.number_input("Filters F", 1, 512, 32, key="conv_filters")
    rows = cols = 3
    count = ops.parameter_count((rows, cols), photo.shape[2], filters)
    st.markdown(
        f"(k·k·C + 1)·F = ({rows}·{cols}·{photo.shape[2]} + 1)·{filters} = **{count:,}** "
        f"weights and biases: {rows * cols * photo.shape[2]} weights and one bias per filter. "
        f"The count does not depend on the image's size: the same {count:,} numbers slide over "
        f"a {photo.shape[0]} × {photo.shape[1]} photo or any other."
    )
    if weights_side != rows:
        count_yours = ops.parameter_count((weights_side, weights_side), 3, filters)
        st.caption(
            f"With your {weights_side}×{weights_side} kernel instead: "
            f"({weights_side}·{weights_side}·3 + 1)·{filters} = {count_yours:,}."
        )


keep_settings(st.session_state, KEPT_SETTINGS)
introduction()
image_name, image = image_source()
kernel_weights = kernel_controls()
settings = conv_controls()
input_and_output(image_name, image, kernel_weights, settings)
step_through(kernel_weights, settings)
channels(kernel_weights.shape[0])
