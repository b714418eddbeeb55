"""The Live training page's views of ended runs: results, the first layer replayed, two runs
compared, and the shipped models' recorded runs.

Sections of ``pages/training.py``, which lays them out; like it, they only call into cnnviz and
render. The shipped models' histories, figures and test answers are built once per server
(``st.cache_resource``): they never change, and every student replaying them asks for the same.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz import comparison, evaluation, models, training
from cnnviz import training_lesson as lesson
from cnnviz import training_messages as messages
from cnnviz.charts import network as network_charts
from cnnviz.charts import training as training_charts
from cnnviz.charts.base import CHART_CONFIG
from cnnviz.data import MNIST_TRAIN_SIZE
from cnnviz.site import SESSION_MODELS_KEY
from pages.glue.figure_cache import shared_figure

GALLERY_SIZE = 16  # misclassified digits shown at once
ANY_DIGIT = "any"
FINISHED_RUNS_KEY = "finished_runs"  # label → comparison.RunSummary, this session's ended runs
MAX_FINISHED_RUNS = 4  # each keeps its 10,000 × 10 test probabilities (400 KB)
SHIPPED_OPTION = "shipped:"  # Run A's and B's options for a shipped model: "shipped:<key>"


def show_table(rows: list[dict]) -> None:
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(f"Total: {sum(row['Parameters'] for row in rows):,} parameters")


def use_on_canvas(label: str, model) -> None:
    st.session_state.setdefault(SESSION_MODELS_KEY, {})[label] = model


def first_layer(
    snapshot: training.FilterSnapshot,
    keys: tuple[str, str],
    titles: tuple[str, str],
    **scales,
) -> None:
    """A snapshot's filters beside what they make of a probe 7, and its moment in words.

    Built once per server for each snapshot (``shared_figure``): the live charts redraw every
    second and every student replaying the shipped models asks for the same figures. ``scales``
    fixes the colour scales (``limit`` of the filters, ``value_range`` of the maps).
    """
    filters_column, maps_column = st.columns([1, 2])
    limit = {"limit": scales["limit"]} if "limit" in scales else {}
    value_range = {"value_range": scales["value_range"]} if "value_range" in scales else {}
    filters_column.plotly_chart(
        shared_figure(network_charts.filter_grid, snapshot.kernels, titles[0], columns=6, **limit),
        config=CHART_CONFIG,
        key=keys[0],
    )
    maps_column.plotly_chart(
        shared_figure(
            network_charts.feature_maps, snapshot.maps, titles[1], columns=6, **value_range
        ),
        config=CHART_CONFIG,
        key=keys[1],
    )
    st.caption(messages.snapshot_caption(snapshot.step, snapshot.elapsed_s))


def latest_filters(snapshot: training.FilterSnapshot, model_key: str) -> None:
    """The first layer as training has it now: its filters and what they make of a probe 7."""
    keys = (f"live_filters_{model_key}", f"live_maps_{model_key}")
    first_layer(snapshot, keys, ("Filters now", "What they see in a test 7"))


@st.fragment
def scrub_filters(
    key: str,
    snapshots: tuple,
    curves: tuple,
    batches_per_epoch: int | None,
) -> None:
    """After a run: a slider through the snapshots, the moment marked on the loss curve."""
    if not snapshots:
        return
    st.markdown("**How the first layer learned** — slide through the run")
    index = st.select_slider(
        "Snapshot",
        options=range(len(snapshots)),
        value=len(snapshots) - 1,
        format_func=lambda i: f"batch {snapshots[i].step:,}",
        key=f"scrub_{key}",
    )
    snapshot = snapshots[index]
    # Arrays, which Streamlit hashes by their bytes (a list of floats it hashes one by one).
    steps, loss, accuracy = (np.asarray(series) for series in curves)
    figure = shared_figure(
        training_charts.batch_curves,
        steps,
        loss,
        accuracy,
        title="Per batch (red: the snapshot's moment)",
        batches_per_epoch=batches_per_epoch,
        marker_step=snapshot.step,
        height=340,
    )
    st.plotly_chart(figure, config=CHART_CONFIG, key=f"scrub_curve_{key}")
    # One colour scale for the whole run, so weights growing from their random start show.
    limit = max(float(abs(item.kernels).max()) for item in snapshots)
    low = min(float(item.maps.min()) for item in snapshots)
    high = max(float(item.maps.max()) for item in snapshots)
    keys = (f"scrub_filters_{key}", f"scrub_maps_{key}")
    titles = ("Filters", "What they see in a test 7")
    first_layer(snapshot, keys, titles, limit=limit, value_range=(low, high))


@st.fragment
def mistakes_gallery(model_key: str, mnist, result) -> None:
    digits = [ANY_DIGIT, *range(10)]
    true_column, predicted_column = st.columns(2)
    true_digit = true_column.selectbox("True digit", digits, key=f"true_digit_{model_key}")
    predicted_digit = predicted_column.selectbox(
        "Predicted digit", digits, key=f"predicted_digit_{model_key}"
    )
    indices = evaluation.misclassified_indices(
        mnist.y_test,
        result.test_probabilities,
        true_class=None if true_digit == ANY_DIGIT else true_digit,
        predicted_class=None if predicted_digit == ANY_DIGIT else predicted_digit,
    )
    st.caption(messages.mistakes_caption(len(indices), GALLERY_SIZE))
    shown = indices[:GALLERY_SIZE]
    figure = training_charts.misclassified_gallery(
        mnist.x_test[shown], mnist.y_test[shown], result.test_probabilities[shown]
    )
    st.plotly_chart(figure, config=CHART_CONFIG, key=f"gallery_{model_key}")


def remember_run(job) -> None:
    """Keep an ended run for the comparison (once per job; the newest few)."""
    runs = st.session_state.setdefault(FINISHED_RUNS_KEY, {})
    if any(run_id == id(job) for run_id, _ in runs.values()):
        return
    taken = {summary.label for _, summary in runs.values()}
    label = comparison.unique_label(job.config.label, taken)
    runs[label] = (id(job), comparison.run_from_result(label, job.config, job.result))
    while len(runs) > MAX_FINISHED_RUNS:
        runs.pop(next(iter(runs)))


def result_summary(model_key: str, job, snap, test_count: int) -> None:
    """The test accuracy and the epoch time, then what went wrong, if anything did."""
    result = job.result
    accuracy, epoch_time = st.columns(2)
    accuracy.metric("Test accuracy", f"{result.test_accuracy:.2%}")
    mean_epoch = sum(result.seconds_per_epoch) / max(len(result.seconds_per_epoch), 1)
    epoch_time.metric("Time per epoch", messages.format_duration(mean_epoch))
    st.caption(
        f"Test loss {messages.format_loss(result.test_loss)} on {test_count:,} test digits. "
        + lesson.paper_comparison(model_key, result.test_accuracy)
    )
    config = job.config
    diverged = messages.divergence_message(
        snap.batch_steps, snap.batch_loss, config.optimizer, config.learning_rate
    )
    undertrained = messages.undertrained_message(
        config.label,
        result.model.count_params(),
        result.test_accuracy,
        job.images_per_epoch,
        max(len(snap.epochs), 1),
        MNIST_TRAIN_SIZE,
    )
    if undertrained and not diverged:
        st.warning(undertrained)


def result_downloads(model_key: str, snap, result) -> None:
    """The epochs and layers as tables, the history and the model as files."""
    st.dataframe(messages.epoch_rows(snap.epochs), hide_index=True)
    show_table(models.summary_table(result.model))
    csv_column, model_column = st.columns(2)
    csv_column.download_button(
        "History (CSV)",
        result.history_csv(),
        f"{model_key}-history.csv",
        "text/csv",
        on_click="ignore",
        key=f"csv_{model_key}",
    )
    model_column.download_button(
        "Model (.keras)",
        result.model_bytes,
        f"{model_key}.keras",
        "application/zip",
        on_click="ignore",
        key=f"keras_{model_key}",
    )
    model_column.markdown(lesson.download_note(snap.config.model, f"{model_key}.keras"))


def offer_on_canvas(model_key: str, snap, result) -> None:
    label = f"{snap.config.label}, trained here ({result.test_accuracy:.2%})"
    st.button(
        "Use this model on the canvas",
        key=f"canvas_{model_key}",
        on_click=use_on_canvas,
        args=(label, result.model),
    )
    if label in st.session_state.get(SESSION_MODELS_KEY, {}):
        st.success(f"“{label}” is now offered on the canvas page.")
        st.page_link("pages/draw.py", label="Draw a digit", icon="✏️")


def results(model_key: str, job, mnist) -> None:
    """An ended run: its numbers, its confusion matrix, its first layer replayed, its mistakes."""
    result, snap = job.result, job.snapshot()
    remember_run(job)
    result_summary(model_key, job, snap, len(mnist.y_test))
    figure = training_charts.confusion_matrix(result.confusion)
    st.plotly_chart(figure, config=CHART_CONFIG, key=f"confusion_{model_key}")
    st.caption(messages.CONFUSION_LEGEND)
    scrub_filters(
        f"job_{model_key}",
        snap.filter_snapshots,
        (snap.batch_steps, snap.batch_loss, snap.batch_accuracy),
        snap.total_batches // snap.total_epochs or None,
    )
    st.markdown("**Misclassified test digits** (true → predicted, with probabilities)")
    mistakes_gallery(model_key, mnist, result)
    with st.expander("Epochs, layers and downloads"):
        result_downloads(model_key, snap, result)
    offer_on_canvas(model_key, snap, result)


@st.cache_resource(show_spinner=False)
def shipped_replay(model_key: str):
    """The shipped model's history and its two figures, built once per server: they never change,
    and building them cost 40–110 ms on every rerun of this page. Shared read-only (st.plotly_chart
    copies a figure before sending it). Errors are not cached: a fixed file is read again."""
    history = training.load_shipped_history(model_key)
    batch_figure = training_charts.batch_curves(
        history["batch_steps"],
        history["batch_loss"],
        history["batch_accuracy"],
        title="Per batch",
        batches_per_epoch=history.get("steps_per_epoch"),
    )
    epochs = [training.EpochRecord(**record) for record in history["epochs"]]
    epoch_figure = training_charts.epoch_curves(epochs, title="Per epoch: train vs validation")
    return history, batch_figure, epoch_figure


def replay_reasons() -> None:
    """Why the replayed curves sit where they do, from the shipped histories' own numbers."""
    try:
        histories = {key: shipped_replay(key)[0] for key in models.shipped_files()}
        st.markdown(lesson.replay_lesson(histories))
    except (FileNotFoundError, ValueError, KeyError, TypeError, IndexError):
        return  # each replay column already says what is wrong with its file


def replay(model_key: str) -> None:
    try:
        history, batch_figure, epoch_figure = shipped_replay(model_key)
        # Named by how it was trained: the shipped LeNet-5 did not follow the seed's recipe.
        config = history.get("config")
        st.subheader(
            models.config_from_dict(config).label if config else models.model_spec(model_key).label
        )
        accuracy = f"{history['test_accuracy']:.2%}"
    except FileNotFoundError:
        st.subheader(models.model_spec(model_key).label)
        st.info("This model has not been shipped yet: train it live in the first tab.")
        return
    except (ValueError, KeyError, TypeError) as error:  # a corrupt or older history file
        st.warning(f"Its history file could not be read ({type(error).__name__}: {error}).")
        return
    st.metric("Test accuracy of the shipped model", accuracy)
    st.caption(lesson.paper_comparison(model_key, history["test_accuracy"]))
    st.plotly_chart(batch_figure, config=CHART_CONFIG, key=f"replay_batch_{model_key}")
    st.plotly_chart(epoch_figure, config=CHART_CONFIG, key=f"replay_epoch_{model_key}")
    st.caption(f"Trained with `{history.get('command', 'python -m cnnviz.train')}`")
    snapshots = shipped_snapshots(model_key)
    if snapshots:
        scrub_filters(
            f"replay_{model_key}",
            snapshots,
            (history["batch_steps"], history["batch_loss"], history["batch_accuracy"]),
            history.get("steps_per_epoch"),
        )
    else:
        st.caption("This history file has no filter snapshots: retrain with the command above.")


@st.cache_resource(show_spinner=False)
def shipped_snapshots(model_key: str) -> tuple:
    """The shipped model's filter snapshots, decoded once per server (read-only)."""
    history = shipped_replay(model_key)[0]  # the history file is read once per server
    return tuple(
        training.FilterSnapshot.from_json(item) for item in history.get("filter_snapshots", [])
    )


@st.cache_resource(show_spinner="Reading the 10,000 test digits with the shipped model…")
def shipped_run(model_key: str, _x_test: np.ndarray) -> comparison.RunSummary:
    """A shipped model as a run to compare with: its history and its answers to the test digits
    ``_x_test`` (computed once per server: they never change; the underscore: not hashed)."""
    from cnnviz import inference  # imports TensorFlow: only when a comparison needs it

    status = inference.load_registry()[model_key]
    if not status.ok:
        raise ValueError(status.error)
    history = shipped_replay(model_key)[0]
    probabilities = inference.predict_digits(status.model, _x_test)
    epochs = [training.EpochRecord(**record) for record in history["epochs"]]
    label = comparison.shipped_label(models.config_from_dict(history["config"]))
    return comparison.run_from_history(
        label, history, status.model.count_params(), epochs, probabilities
    )


def chosen_runs(x_test: np.ndarray) -> list[comparison.RunSummary] | None:
    """Runs A and B as the two select boxes choose them; None after saying why there are none."""
    session_runs = {
        label: summary
        for label, (_, summary) in st.session_state.get(FINISHED_RUNS_KEY, {}).items()
    }
    shipped = {f"{SHIPPED_OPTION}{key}": key for key in models.shipped_files()}
    options = [*reversed(session_runs), *shipped]

    def describe(option: str) -> str:
        if option not in shipped:
            return option
        try:
            history = shipped_replay(shipped[option])[0]
            return comparison.shipped_label(models.config_from_dict(history["config"]))
        except (FileNotFoundError, ValueError, KeyError, TypeError):  # chosen_runs says why
            return f"{models.model_spec(shipped[option]).label}, shipped"

    first_column, second_column = st.columns(2)
    first = first_column.selectbox("Run A", options, format_func=describe, key="compare_first")
    second = second_column.selectbox(
        "Run B", options, index=1, format_func=describe, key="compare_second"
    )
    if first == second:
        st.info("Pick two different runs.")
        return None
    try:
        return [
            shipped_run(shipped[option], x_test) if option in shipped else session_runs[option]
            for option in (first, second)
        ]
    except (ValueError, FileNotFoundError, KeyError) as error:
        st.warning(f"That run cannot be compared: {error}")
        return None


def compare_runs(mnist) -> None:
    """Two runs on the same axes: this session's ended runs and the shipped models."""
    st.subheader("Compare two runs")
    if not st.toggle(
        "Compare two runs (this session's and the shipped models)", key="compare_show"
    ):
        st.caption(
            "Train with different settings (tanh vs ReLU, average vs max pooling) and compare "
            "them here, or compare with a shipped model."
        )
        return
    runs = chosen_runs(mnist.x_test)
    if runs is None:
        return
    a, b = runs
    figure = training_charts.compare_epoch_curves(
        {f"A: {a.label}": a.epochs, f"B: {b.label}": b.epochs},
        title="Per epoch, both runs on the same axes",
    )
    st.plotly_chart(figure, config=CHART_CONFIG, key="compare_curves")
    st.dataframe(comparison.comparison_rows(a, b), hide_index=True, width="stretch")
    st.markdown(comparison.comparison_sentence(a, b))
    disagreements = evaluation.disagreement_indices(a.test_probabilities, b.test_probabilities)
    st.markdown(messages.disagreements_caption(len(disagreements), len(mnist.y_test)))
    shown = disagreements[:GALLERY_SIZE]
    figure = training_charts.disagreement_gallery(
        mnist.x_test[shown],
        mnist.y_test[shown],
        a.test_probabilities[shown],
        b.test_probabilities[shown],
    )
    st.plotly_chart(figure, config=CHART_CONFIG, key="compare_gallery")


def replay_shipped() -> None:
    """The shipped models' recorded runs side by side, then why their curves sit where they do."""
    st.markdown(lesson.SHIPPED_REPLAY)
    shipped = models.shipped_files()
    for column, model_key in zip(st.columns(len(shipped)), shipped, strict=True):
        with column:
            replay(model_key)
    replay_reasons()
