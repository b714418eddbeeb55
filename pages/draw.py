"""Draw a digit: the trained network reads it, and every step on the way is on screen."""

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from cnnviz import (
    charts,
    draw_lesson,
    inference,
    preprocess,
    receptive_field,
    transforms,
    unit_gradient,
)
from cnnviz.charts import draw as draw_charts
from cnnviz.charts import network as network_charts
from cnnviz.charts.base import CHART_CONFIG
from cnnviz.site import SESSION_MODELS_KEY, keep_settings
from pages.glue.canvas import Canvas, canvas, clear_canvas
from pages.glue.class_round import round_beside_a_drawing
from pages.glue.figure_cache import shared_figure
from pages.glue.router import through_the_router

through_the_router()  # a deep link on a fresh server ran this page past app.py

RECEPTIVE_FIELD_SETTINGS = ("draw_rf_layer", "draw_rf_row", "draw_rf_col")
KEPT_SETTINGS = (
    "draw_ink",
    "draw_pen_width",
    "draw_model",
    "draw_naive",
    *RECEPTIVE_FIELD_SETTINGS,
)
MAX_COMPARED = len(draw_charts.SWEEP_COLORS)  # models side by side (the sweep has a colour each)
SWEEP_CACHE_KEY = "break_sweeps"  # settings → Sweep: this session's latest sweeps, newest last
# Sweeps a session keeps (a few KB each): a student wiggling a slider back and forth, or
# returning a slider to 0, finds each setting already read.
KEPT_SWEEPS = 32
SWEEP_LABELS = {"shift_x": "Shift left–right", "shift_y": "Shift up–down", "rotation": "Rotation"}


@st.cache_resource(show_spinner="Loading the trained models…")
def shipped_models() -> dict[str, inference.ModelStatus]:
    """The shipped models, loaded once for the whole server and shared read-only."""
    return inference.load_registry()


@dataclass(frozen=True)
class Reading:
    """What the network made of the drawing: the sections under the canvas show it."""

    model: object  # the keras model that read it
    drawing: np.ndarray  # the canvas, (280, 280, 4) RGBA
    steps: preprocess.PreprocessSteps
    digit: int  # the predicted digit


def introduction() -> None:
    st.title("Draw a digit")
    st.markdown(draw_lesson.INTRODUCTION)


def model_choices() -> dict:
    """Every model the student can draw for: label → keras model (shipped, or trained here)."""
    registry = shipped_models()
    for status in registry.values():
        if not status.ok:
            st.warning(status.error)
    choices = {status.label: status.model for status in registry.values() if status.ok}
    # The training page labels them already ("LeNet-5, trained here (98.9%)").
    choices |= st.session_state.get(SESSION_MODELS_KEY, {})
    return choices


def prediction(choices: dict, drawn: Canvas) -> Reading | None:
    """The network's answer and the model picker; None when there is nothing to read yet.

    The answer comes first: on a phone the columns stack, and it then sits right under the canvas.
    """
    if not choices:
        st.error("No trained model is available: train one on the Live training page.")
        return None
    answer = st.container()  # filled once the chosen model has read the drawing
    model = choices[st.selectbox("Model", list(choices), key="draw_model")]
    steps = recipe_steps(drawn, answer)
    if steps is None:
        return None
    probabilities = inference.predict_digit(model, steps.centred)
    digit = int(probabilities.argmax())
    answer.metric("Prediction", digit)
    answer.caption(draw_lesson.probability_caption(probabilities))
    st.plotly_chart(
        shared_figure(
            draw_charts.probability_bars, probabilities, title="Probability of each digit"
        ),
        config=CHART_CONFIG,
        key="draw_probabilities",
    )
    return Reading(model, drawn.image, steps, digit)


def class_round(reading: Reading | None) -> None:
    """In a class with an open drawing round: send this drawing to it (a fresh canvas after)."""
    image28 = None if reading is None else reading.steps.centred
    round_beside_a_drawing(image28, shipped_models(), key="draw_round", on_sent=clear_canvas)


def recipe_steps(drawn: Canvas, answer: DeltaGenerator) -> preprocess.PreprocessSteps | None:
    """The drawing through the MNIST recipe; None, with the reason in ``answer``, when there is
    no digit to read."""
    try:
        steps = None if drawn.image is None else preprocess.canvas_to_mnist_steps(drawn.image)
    except preprocess.BlankCanvasError:
        steps = None  # nothing drawn yet, or only a few stray pixels
    if steps is None:
        answer.info("Draw a digit on the canvas: the prediction appears here.")
        return None
    # A dot, a canvas inked all over or two digits: say what it is rather than guess a digit.
    problem = preprocess.drawing_problem(drawn.image, drawn.pen_width, drawn.background)
    if problem is not None:
        answer.warning(problem)
        return None
    return steps


def overconfidence(choices: dict) -> None:
    """Why the probability is not a confidence, with a letter A to try."""
    st.subheader("A probability, not a confidence")
    st.markdown(draw_lesson.OVERCONFIDENCE)
    # Off by default: reading the letter with every model would slow the page's first visit.
    if not st.toggle("Show what the networks make of the letter A", key="draw_letter_a"):
        return
    letter = preprocess.canvas_to_mnist(draw_lesson.letter_a_canvas())
    picture, text = st.columns([1, 3])
    picture.plotly_chart(
        charts.heatmap(letter, "The letter A", zmin=0, zmax=1, height=220),
        config=CHART_CONFIG,
        key="draw_letter",
    )
    readings = {label: inference.predict_digit(model, letter) for label, model in choices.items()}
    text.markdown(
        draw_lesson.letter_sentence(readings)
        + " Draw an A yourself, or a face, a star or a scribble, and watch the probability."
    )


def preprocessing(reading: Reading) -> None:
    """Each step from the canvas to the network's 28 × 28 input, and the naive alternative."""
    st.subheader("From your drawing to the network's input")
    steps = reading.steps
    model_view = draw_lesson.first_layer_input(
        reading.model, inference.model_input(reading.model, steps.centred)
    )
    st.plotly_chart(
        shared_figure(
            charts.image_row,
            {
                "Your ink": steps.ink,
                "Cropped": steps.cropped,
                "Fitted": steps.scaled,
                "Centred": steps.centred,
                "Net input": model_view,
            },
            zmin=0,
            zmax=1,
            height=260,
        ),
        config=CHART_CONFIG,
        key="draw_steps",
    )
    # The panel titles are single short words, two lines with the shape in five panels on a
    # phone; what they stand for is said here.
    st.caption(
        "Fitted: scaled so its longer side is 20 px. Net input: what the first convolution sees."
    )
    if st.toggle("Compare with a naive resize of the whole canvas", key="draw_naive"):
        naive_comparison(reading)


def naive_comparison(reading: Reading) -> None:
    """The whole canvas squashed to 28 × 28, beside the recipe's digit, and what each reads."""
    steps = reading.steps
    naive = preprocess.naive_resize(reading.drawing)
    naive_probabilities = inference.predict_digit(reading.model, naive)
    naive_digit = int(naive_probabilities.argmax())
    st.plotly_chart(
        charts.image_row(
            {"Naive resize": naive, "The recipe": steps.centred}, zmin=0, zmax=1, height=260
        ),
        config=CHART_CONFIG,
        key="draw_naive_steps",
    )
    st.markdown(
        f"Squashing the whole canvas gives **{naive_digit}** "
        f"({naive_probabilities[naive_digit]:.0%}); the recipe gives **{reading.digit}**. "
        "A small or off-centre drawing stays small or off-centre, unlike any MNIST digit."
    )


def layer_views(reading: Reading) -> dict[str, np.ndarray]:
    """The feature maps of every convolution and pooling layer, and the first layer's filters.

    Returns each layer's maps by name, (H, W, C), for the receptive-field section.
    """
    st.subheader("What each layer sees")
    st.markdown(draw_lesson.layers_text(reading.model))
    layers = inference.activation_maps(reading.model, reading.steps.centred)
    for index, layer in enumerate(layers):
        st.plotly_chart(
            shared_figure(
                network_charts.feature_maps, layer.maps, f"{layer.name} — {layer.layer_type}"
            ),
            config=CHART_CONFIG,
            key=f"draw_layer_{index}",
        )
        st.caption(network_charts.feature_map_legend(layer.maps))
    first_layer_filters(reading.model)
    return {layer.name: layer.maps for layer in layers}


def first_layer_filters(model: object) -> None:
    """The first convolution's kernels, and how to read their colours."""
    filters = inference.first_layer_filters(model)
    st.plotly_chart(
        shared_figure(
            network_charts.filter_grid,
            filters.kernels,
            f"First layer's filters ({filters.layer_name})",
        ),
        config=CHART_CONFIG,
        key="draw_filters",
    )
    st.caption(
        "Blue weights add brightness under them, red ones subtract it: each filter responds "
        "most to strokes shaped like its blue part."
    )


def pick_clicked_unit(chart_key: str, shape: tuple[int, int]) -> None:
    """A click on the layer's map (the chart's selection): the row and column sliders go there."""
    state = st.session_state
    unit = draw_charts.clicked_unit(state[chart_key].selection.points, shape)
    if unit is not None:
        state["draw_rf_row"], state["draw_rf_col"] = unit


# A fragment: the layer and unit controls redraw only this section, not the layer maps above.
@st.fragment
def receptive_field_view(reading: Reading, layer_maps: dict[str, np.ndarray]) -> None:
    """Pick a unit of a layer (a click on its map, or the sliders) and see which part of the
    drawing it sees."""
    # The page-level copy was taken before this section's controls moved (see keep_settings).
    keep_settings(st.session_state, RECEPTIVE_FIELD_SETTINGS)
    st.subheader("What one unit sees: its receptive field")
    st.markdown(
        "Each cell of a layer's map is one **unit**: a number computed from a small window of "
        "the layer below, which came from a window of the layer below that, and so on back to "
        "the pixels. The pixels a unit can see are its **receptive field**; it grows with "
        "every convolution and pooling. Pick a layer, then a unit: click it on the layer's "
        "map or move the sliders."
    )
    try:
        fields = {field.layer: field for field in receptive_field.receptive_fields(reading.model)}
    except ValueError as error:  # a session-trained model of another shape
        st.info(f"Receptive fields are not available for this model: {error}")
        return
    field, row, col = unit_controls(fields)
    if field.layer in layer_maps:
        unit_picker(field, layer_maps[field.layer], row, col)
    field_on_the_digit(reading, field, row, col)


def unit_controls(
    fields: dict[str, receptive_field.ReceptiveField],
) -> tuple[receptive_field.ReceptiveField, int, int]:
    """The layer picker and the unit's row and column sliders: (the layer's field, row, col)."""
    state = st.session_state
    if state.get("draw_rf_layer") not in fields:
        state["draw_rf_layer"] = next(iter(fields))
    layer_column, row_column, col_column = st.columns(3)
    field = fields[layer_column.selectbox("Layer", list(fields), key="draw_rf_layer")]
    rows, cols = field.output_shape
    row = unit_slider(row_column, "Unit's row", "draw_rf_row", rows)
    col = unit_slider(col_column, "Unit's column", "draw_rf_col", cols)
    return field, row, col


def unit_slider(column: DeltaGenerator, label: str, key: str, size: int) -> int:
    """A slider over ``size`` positions (none for a single one), kept inside a smaller layer."""
    if st.session_state.get(key, 0) >= size:  # the layer picked has fewer positions
        st.session_state[key] = size // 2
    return column.slider(label, 0, size - 1, size // 2, key=key) if size > 1 else 0


def unit_picker(
    field: receptive_field.ReceptiveField, maps: np.ndarray, row: int, col: int
) -> None:
    """The layer's map, the unit picked outlined; a click on another unit picks that one."""
    # A new key for each unit: the chart starts with nothing selected, so a click on any
    # unit, the one picked before a slider moved included, is a change that moves the sliders.
    chart_key = f"draw_rf_map_{field.layer}_{row}_{col}"
    st.plotly_chart(
        shared_figure(draw_charts.unit_picker, maps, f"{field.layer}: click a unit", (row, col)),
        config=CHART_CONFIG,
        key=chart_key,
        on_select=functools.partial(pick_clicked_unit, chart_key, field.output_shape),
        selection_mode="points",
    )
    st.caption(
        "Each cell is one position of the layer, shaded by the strongest of its maps "
        "there; the red square is the unit picked."
    )


def field_on_the_digit(
    reading: Reading, field: receptive_field.ReceptiveField, row: int, col: int
) -> None:
    """The unit's field outlined on the network's input and on the 28 × 28 digit, in words."""
    digit = reading.steps.centred
    model_input = inference.model_input(reading.model, digit)
    network_input = draw_lesson.first_layer_input(reading.model, model_input)
    region = field.region(row, col)
    digit_region = (
        receptive_field.resized_box_to_source(region, field.input_shape, digit.shape)
        if field.input_shape != digit.shape
        else region
    )
    gradient = unit_gradient.unit_gradient(reading.model, field, row, col, model_input)
    strength = np.abs(gradient.gradient)
    # image_row titles each panel with its shape: "The network's input (32 × 32)".
    st.plotly_chart(
        shared_figure(
            draw_charts.receptive_field_view,
            {
                "The network's input": network_input,
                "Your digit": digit,
                "What changes the unit": strength / strength.max() if strength.any() else strength,
            },
            {
                "The network's input": region,
                "Your digit": digit_region,
                "What changes the unit": gradient.field,
            },
        ),
        config=CHART_CONFIG,
        key="draw_receptive_field",
    )
    st.markdown(receptive_field.region_sentence(field, row, col, digit.shape))
    st.markdown(unit_gradient.gradient_sentence(gradient))
    st.caption(
        f"Every unit of {field.layer} has a {field.size[0]} × {field.size[1]} field, and "
        f"neighbouring units' fields start {field.jump[0]} pixels apart (the product of the "
        "strides below). The third panel is the size of the unit's gradient with respect to "
        "each pixel of the model's input, brightest where a small change of the pixel changes "
        "the unit most."
    )


def distortion_controls() -> transforms.Distortion:
    """The sliders that move, turn, resize and thicken the recipe digit."""
    shift_column, turn_column = st.columns(2)
    limit = transforms.MAX_SHIFT
    shift_x = shift_column.slider("Shift right (px)", -limit, limit, 0, key="break_shift_x")
    shift_y = shift_column.slider("Shift down (px)", -limit, limit, 0, key="break_shift_y")
    rotation = turn_column.slider(
        "Rotate anticlockwise (°)",
        -transforms.MAX_ROTATION,
        transforms.MAX_ROTATION,
        0.0,
        step=transforms.SWEEP_AXES["rotation"],  # every setting is a point of the sweep
        key="break_rotation",
    )
    scale = turn_column.slider(
        "Scale (×)", *transforms.SCALE_RANGE, 1.0, step=0.05, key="break_scale"
    )
    thickness = st.slider(
        "Thinner ← stroke → thicker (steps of erosion or dilation)",
        -transforms.MAX_THICKNESS,
        transforms.MAX_THICKNESS,
        0.0,
        step=0.25,
        key="break_thickness",
    )
    return transforms.Distortion(shift_x, shift_y, rotation, scale, thickness)


def cached_sweep(
    compared: dict, recipe_digit: np.ndarray, digit: int, axis: str, distortion
) -> transforms.Sweep:
    """The sweep for these settings, reused while only the swept slider itself moves.

    Moving the swept setting changes no point of the sweep, only where the slider stands on it,
    so such a move costs no model call; nor does going back to settings read a moment ago: this
    session keeps its latest :data:`KEPT_SWEEPS` sweeps.
    """
    base = dataclasses.replace(distortion, **{axis: transforms.Distortion().as_dict()[axis]})
    key = (recipe_digit.tobytes(), digit, axis, base, tuple(compared))
    kept = st.session_state.setdefault(SWEEP_CACHE_KEY, {})
    if key in kept:
        kept[key] = kept.pop(key)  # now the newest
        return kept[key]
    predictors = {
        label: (lambda images, model=model: inference.predict_digits(model, images))
        for label, model in compared.items()
    }
    kept[key] = transforms.sweep(predictors, recipe_digit, digit, axis, base)
    while len(kept) > KEPT_SWEEPS:
        del kept[next(iter(kept))]  # the oldest
    return kept[key]


@st.fragment
def break_the_model(compared: dict, recipe_digit: np.ndarray, drawn_guess: int) -> None:
    """Both models side by side on the changed digit, and where each breaks over a whole range.

    A fragment: moving a slider reruns only this section, not the canvas or the layer maps.
    """
    st.subheader("Both models side by side — then break them")
    st.markdown(draw_lesson.break_introduction())
    distortion = distortion_controls()
    axis, digit = sweep_choice(drawn_guess)
    result = cached_sweep(compared, recipe_digit, digit, axis, distortion)
    # The sliders' setting is one point of the sweep: the models read it in the same call.
    setting = distortion.as_dict()[axis]
    side_by_side(transforms.apply(recipe_digit, distortion), result.at(setting))
    st.plotly_chart(
        shared_figure(
            draw_charts.sweep_chart,
            result.values,
            {label: result.of_digit(label) for label in compared},
            axis=axis,
            digit=digit,
            current=setting,
        ),
        config=CHART_CONFIG,
        key="break_sweep",
    )
    st.caption(draw_lesson.sweep_caption(axis, setting))
    st.markdown(transforms.robustness_sentence(result))


def sweep_choice(drawn_guess: int) -> tuple[str, int]:
    """What to sweep over, and the digit the student meant: (axis, digit)."""
    sweep_column, digit_column = st.columns([2, 1])
    axis = sweep_column.radio(
        "Sweep over the whole range of",
        list(SWEEP_LABELS),
        format_func=SWEEP_LABELS.get,
        horizontal=True,
        key="break_sweep_axis",
    )
    # The default follows the drawing's reading; a new reading starts a new choice.
    digit = digit_column.selectbox(
        "The digit you drew", range(10), index=drawn_guess, key=f"break_digit_{drawn_guess}"
    )
    return axis, digit


def side_by_side(changed_digit: np.ndarray, probabilities: dict[str, np.ndarray]) -> None:
    """The changed digit, each model's answer to it, and their probabilities in one chart."""
    picture, *model_columns = st.columns([1] + [1] * len(probabilities))
    picture.image(changed_digit, caption="What the models read (28 × 28)", width=168, clamp=True)
    for column, (label, values) in zip(model_columns, probabilities.items(), strict=True):
        column.metric(label, int(values.argmax()))
        column.caption(draw_lesson.probability_caption(values))
    st.plotly_chart(
        shared_figure(draw_charts.compared_probability_bars, probabilities, height=260),
        config=CHART_CONFIG,
        key="break_bars",
    )


introduction()
choices = model_choices()
# The ink, pen and model a student chose are here again after a visit to another page.
keep_settings(st.session_state, KEPT_SETTINGS, allowed={"draw_model": list(choices)})
left, right = st.columns([1, 1], gap="large")
with left:
    drawn = canvas()
with right:
    reading = prediction(choices, drawn)
    class_round(reading)
if choices:
    overconfidence(choices)
if reading is not None:
    preprocessing(reading)
    compared = dict(list(choices.items())[:MAX_COMPARED])
    break_the_model(compared, reading.steps.centred, reading.digit)
    maps_by_layer = layer_views(reading)
    receptive_field_view(reading, maps_by_layer)
