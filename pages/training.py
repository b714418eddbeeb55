"""Live training: LeNet-5 and AlexNet learn MNIST while the class watches (Topics 2 and 3).

Training runs in a worker process looked after by a ``TrainingJob`` kept in
``st.session_state``; this script only reads snapshots, so clicks and page switches never
interrupt it. When the tab disconnects, Streamlit releases the session's resources; its jobs
wait ``server.disconnectedSessionTTL`` for a reload of the tab (whose address names them) to
claim them, and are then stopped with their workers.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from cnnviz import comparison, evaluation, layer_table, models, training
from cnnviz import training_lesson as lesson
from cnnviz.charts import draw as draw_charts
from cnnviz.charts import training as training_charts
from cnnviz.classroom import teaching
from cnnviz.data import (
    MNIST_DOWNLOAD_BYTES,
    MNIST_TRAIN_SIZE,
    MnistDownloadError,
    MnistNotFoundError,
    download_mnist,
    keras_cache_path,
    load_mnist,
)
from cnnviz.parallel import native_bfloat16
from cnnviz.site import SESSION_MODELS_KEY, keep_settings
from pages import (
    TRAINING_TOKEN_KEY,
    class_queue_role,
    class_training_permission,
    is_teacher,
    session_claim,
    session_ttl_s,
    shared_figure,
    through_the_router,
)

through_the_router()  # a deep link on a fresh server ran this page past app.py

POLL_SECONDS = 1.0  # how often the live charts redraw while a job is under way
# The live per-batch chart: short enough that, with the title, Stop and the progress line above it,
# it fits in a projector's 1280 × 720 (checked in tests/e2e/test_training_e2e.py).
LIVE_CHART_HEIGHT = 320
GALLERY_SIZE = 16  # misclassified digits shown at once
RUNS = {"lenet": ("lenet",), "alexnet": ("alexnet",), "both": ("lenet", "alexnet")}
RUN_LABELS = {"lenet": "LeNet-5", "alexnet": "AlexNet", "both": "Both, one after the other"}
# The classroom settings: every TrainingConfig field but the model (the "Model" radio picks the
# runs), each edited by the widget keyed "train_<field>".
SETTINGS = tuple(
    field.name for field in dataclasses.fields(models.TrainingConfig) if field.name != "model"
)
ANY_DIGIT = "any"
RUN_PARAMETER = "run"  # ?run=<token>: the tab's jobs, found again after a reload
CLASS_NOTICE_KEY = "training_class_notice"  # what the class's rules did to the last Start
FINISHED_RUNS_KEY = "finished_runs"  # label → comparison.RunSummary, this session's ended runs
MAX_FINISHED_RUNS = 4  # each keeps its 10,000 × 10 test probabilities (400 KB)


@st.cache_resource(show_spinner="Loading MNIST…")
def load_dataset():
    mnist = load_mnist(allow_download=False)  # fails fast with instructions; shared, read-only
    training.prewarm_worker()  # a training may come: have a worker import TensorFlow meanwhile
    return mnist


def mnist_missing(error: MnistNotFoundError) -> None:
    """No MNIST here yet: offer to download it, and say how to get it on an offline machine."""
    st.error(str(error))
    label = f"Download MNIST ({MNIST_DOWNLOAD_BYTES / 1e6:.0f} MB)"
    if not st.button(label, key="download_mnist", type="primary"):
        st.caption(f"Online, this button puts it in keras' cache, `{keras_cache_path()}`.")
        return
    bar = st.progress(0.0, text="Connecting…")

    def show(received: int, total: int) -> None:
        text = f"Downloading MNIST: {received / 1e6:.1f} of {total / 1e6:.1f} MB"
        bar.progress(received / total, text=text)

    try:
        path = download_mnist(show)
    except MnistDownloadError as failure:
        bar.empty()
        st.error(f"{failure.reason} Without internet, follow the instructions above.")
        return
    st.session_state.mnist_downloaded = str(path)
    st.rerun()  # the training form, now with MNIST


@st.cache_resource(show_spinner="Building the model…")
def architecture(model_key: str) -> tuple[list[dict], int, str]:
    """The model's layer table, its parameter count and, for AlexNet, its padding lesson."""
    model = models.MODEL_BUILDERS[model_key]()
    rows = layer_table.layer_rows(model)
    padding = lesson.alexnet_padding_lesson(model) if model_key == "alexnet" else ""
    return [row.as_dict() for row in rows], layer_table.total_parameters(rows), padding


def show_layer_table(model_key: str) -> None:
    """Every layer with the formulas of Topic 1 filled in, and the Keras code that builds it."""
    rows, total, _ = architecture(model_key)
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(f"Total: {total:,} parameters. " + lesson.LAYER_TABLE_LEGEND)
    with st.expander("The Keras code of this model (what cnnviz trains)"):
        st.code(layer_table.model_source(model_key), language="python")


def show_table(rows: list[dict]) -> None:
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(f"Total: {sum(row['Parameters'] for row in rows):,} parameters")


def recipe_or(name: str | None) -> str:
    return "as the recipe" if name is None else name


def find_jobs_again() -> None:
    """A new session: its own jobs, or, after a reload, the ones its address names."""
    claim = session_claim()
    token = st.query_params.get(RUN_PARAMETER)
    if token is not None and claim.token is None:
        if claim.claim(token) is not None:
            st.toast(lesson.FOUND_AGAIN)
        else:
            st.session_state.training_notice = lesson.run_gone(session_ttl_s())
            del st.query_params[RUN_PARAMETER]
    st.session_state.training_jobs = claim.jobs


def keep_address() -> None:
    """The tab's address names its jobs (Start files them; another page's link drops it)."""
    claim = session_claim()
    if claim.token is not None and st.query_params.get(RUN_PARAMETER) != claim.token:
        st.query_params[RUN_PARAMETER] = claim.token
    # For hold_training, on any page (Start is a callback: this page's run after it sees the
    # token it filed).
    st.session_state[TRAINING_TOKEN_KEY] = claim.token


def under_class_rules(settings: dict) -> dict | None:
    """A student's settings under the teacher's training permission; None: Start is refused.

    Checked here, on the server, whatever the browser sends; the teacher is never limited.
    """
    st.session_state[CLASS_NOTICE_KEY] = None
    permission = class_training_permission()
    if permission is None:
        return settings
    asked = settings["subset"] or MNIST_TRAIN_SIZE
    allowance = teaching.student_training(permission, asked)
    if not allowance.allowed:
        st.session_state.training_message = allowance.message
        return None
    st.session_state[CLASS_NOTICE_KEY] = allowance.message
    if allowance.subset != asked:
        st.session_state.train_subset = allowance.subset  # the form shows what trains
    return {**settings, "subset": allowance.subset}


def class_training_rules() -> None:
    """In a class: the teacher's rule for students, and why the teacher's runs go first."""
    if is_teacher():
        st.caption(f"You lead a class. {teaching.TEACHER_FIRST}")
    elif (permission := class_training_permission()) is not None:
        st.info(teaching.student_training_rule(permission))
    if notice := st.session_state.get(CLASS_NOTICE_KEY):
        st.warning(notice)


def start_training(mnist) -> None:
    stop_training()
    state = st.session_state
    settings = {field: state[f"train_{field}"] for field in SETTINGS}
    problems = lesson.form_problems(settings)
    if problems:
        state.training_message = "Start did nothing: " + " ".join(problems)
        return
    settings = under_class_rules(settings)
    if settings is None:
        return
    try:
        configs = [models.TrainingConfig(model=key, **settings) for key in RUNS[state.train_models]]
    except ValueError as error:
        st.session_state.training_message = str(error)
        return
    st.session_state.training_message = None
    session_claim().file()  # from now on a reload or a reconnect finds these jobs again
    jobs = st.session_state.training_jobs
    jobs.clear()
    role = class_queue_role()
    jobs.update(
        {config.model: training.TrainingJob(config, mnist, queue_role=role) for config in configs}
    )
    for job in jobs.values():
        job.start()


def stop_training() -> None:
    for job in st.session_state.training_jobs.values():
        job.request_stop()


def reset_training() -> None:
    stop_training()
    st.session_state.training_jobs.clear()
    st.session_state.training_message = None


def use_on_canvas(label: str, model) -> None:
    st.session_state.setdefault(SESSION_MODELS_KEY, {})[label] = model


def live_job(model_key: str, polling: bool) -> None:
    job = st.session_state.training_jobs.get(model_key)
    if job is None:  # reset while this fragment was waiting
        return
    snap = job.snapshot()
    if snap.status == "queued":
        st.info(lesson.queue_message(snap.queue_position, snap.queue_ahead))
    elif snap.status == "failed":
        st.error(f"Training failed: {snap.error}")
    elif snap.status == "stopped":
        st.warning(
            lesson.stop_message(
                snap.batches_done, snap.total_batches, snap.epoch, snap.total_epochs
            )
        )
    diverged = lesson.divergence_message(
        snap.batch_steps, snap.batch_loss, snap.config.optimizer, snap.config.learning_rate
    )
    if diverged:
        st.error(diverged)
    st.progress(
        min(max(snap.progress, 0.0), 1.0),
        text=f"{snap.config.label} · {lesson.progress_text(snap)}",
    )
    if snap.images_per_second > 0:
        st.caption(
            f"{snap.images_per_second:,.0f} images per second · "
            f"{lesson.format_duration(snap.elapsed_s)} of training"
        )
    if snap.batch_steps:
        figure = training_charts.batch_curves(
            snap.batch_steps,
            snap.batch_loss,
            snap.batch_accuracy,
            title="Per batch",
            batches_per_epoch=snap.total_batches // snap.total_epochs or None,
            height=LIVE_CHART_HEIGHT,
        )
        st.plotly_chart(figure, key=f"batch_chart_{model_key}")
    if snap.filter_snapshots and polling:
        latest_filters(snap.filter_snapshots[-1], model_key)
    if snap.epochs:
        figure = training_charts.epoch_curves(snap.epochs, title="Per epoch: train vs validation")
        st.plotly_chart(figure, key=f"epoch_chart_{model_key}")
    if polling and job.done:
        st.rerun()  # a full run stops the polling and draws the results


def latest_filters(snapshot: training.FilterSnapshot, model_key: str) -> None:
    """The first layer as training has it now: its filters and what they make of a probe 7."""
    filters_column, maps_column = st.columns([1, 2])
    # A snapshot comes every few seconds, the charts redraw every second: build each once.
    filters_column.plotly_chart(
        shared_figure(draw_charts.filter_grid, snapshot.kernels, "Filters now", columns=6),
        key=f"live_filters_{model_key}",
    )
    maps_column.plotly_chart(
        shared_figure(
            draw_charts.feature_maps, snapshot.maps, "What they see in a test 7", columns=6
        ),
        key=f"live_maps_{model_key}",
    )
    st.caption(lesson_snapshot_caption(snapshot))


def lesson_snapshot_caption(snapshot: training.FilterSnapshot) -> str:
    return (
        f"The first layer after {snapshot.step:,} batches "
        f"({lesson.format_duration(snapshot.elapsed_s)} of training). Batch 0 shows the random "
        "filters training starts from; watch them turn into stroke and edge detectors."
    )


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
    # Built once per server for each moment: every student replaying the shipped models asks
    # for the same figures (the replay was most of this page's rerun before).
    st.plotly_chart(
        shared_figure(
            training_charts.batch_curves,
            steps,
            loss,
            accuracy,
            title="Per batch (red: the snapshot's moment)",
            batches_per_epoch=batches_per_epoch,
            marker_step=snapshot.step,
            height=340,
        ),
        key=f"scrub_curve_{key}",
    )
    # One colour scale for the whole run, so weights growing from their random start show.
    limit = max(float(abs(item.kernels).max()) for item in snapshots)
    low = min(float(item.maps.min()) for item in snapshots)
    high = max(float(item.maps.max()) for item in snapshots)
    filters_column, maps_column = st.columns([1, 2])
    filters_column.plotly_chart(
        shared_figure(draw_charts.filter_grid, snapshot.kernels, "Filters", columns=6, limit=limit),
        key=f"scrub_filters_{key}",
    )
    maps_column.plotly_chart(
        shared_figure(
            draw_charts.feature_maps,
            snapshot.maps,
            "What they see in a test 7",
            columns=6,
            value_range=(low, high),
        ),
        key=f"scrub_maps_{key}",
    )
    st.caption(lesson_snapshot_caption(snapshot))


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
    st.caption(lesson.mistakes_caption(len(indices), GALLERY_SIZE))
    shown = indices[:GALLERY_SIZE]
    figure = training_charts.misclassified_gallery(
        mnist.x_test[shown], mnist.y_test[shown], result.test_probabilities[shown]
    )
    st.plotly_chart(figure, key=f"gallery_{model_key}")


def remember_run(job) -> None:
    """Keep an ended run for the comparison (once per job; the newest few)."""
    runs = st.session_state.setdefault(FINISHED_RUNS_KEY, {})
    if any(run_id == id(job) for run_id, _ in runs.values()):
        return
    label = comparison.settings_label(job.config)
    taken = {summary.label for _, summary in runs.values()}
    number = 2
    while label in taken:  # the same settings trained again
        label = f"{comparison.settings_label(job.config)} (run {number})"
        number += 1
    runs[label] = (id(job), comparison.run_from_result(label, job.config, job.result))
    while len(runs) > MAX_FINISHED_RUNS:
        runs.pop(next(iter(runs)))


def results(model_key: str, job, mnist) -> None:
    result, snap = job.result, job.snapshot()
    remember_run(job)
    accuracy, epoch_time = st.columns(2)
    accuracy.metric("Test accuracy", f"{result.test_accuracy:.2%}")
    mean_epoch = sum(result.seconds_per_epoch) / max(len(result.seconds_per_epoch), 1)
    epoch_time.metric("Time per epoch", lesson.format_duration(mean_epoch))
    st.caption(
        f"Test loss {lesson.format_loss(result.test_loss)} on {len(mnist.y_test):,} test digits. "
        + lesson.paper_comparison(model_key, result.test_accuracy)
    )
    diverged = lesson.divergence_message(
        snap.batch_steps, snap.batch_loss, job.config.optimizer, job.config.learning_rate
    )
    undertrained = lesson.undertrained_message(
        snap.config.label,
        result.model.count_params(),
        result.test_accuracy,
        job.images_per_epoch,
        max(len(snap.epochs), 1),
        MNIST_TRAIN_SIZE,
    )
    if undertrained and not diverged:
        st.warning(undertrained)
    st.plotly_chart(
        training_charts.confusion_matrix(result.confusion), key=f"confusion_{model_key}"
    )
    st.caption(lesson.CONFUSION_LEGEND)
    scrub_filters(
        f"job_{model_key}",
        snap.filter_snapshots,
        (snap.batch_steps, snap.batch_loss, snap.batch_accuracy),
        snap.total_batches // snap.total_epochs or None,
    )
    st.markdown("**Misclassified test digits** (true → predicted, with probabilities)")
    mistakes_gallery(model_key, mnist, result)
    with st.expander("Epochs, layers and downloads"):
        st.dataframe(lesson.epoch_rows(snap.epochs), hide_index=True)
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


@st.cache_data(show_spinner=False)
def shipped_lenet_accuracy() -> float | None:
    """The shipped LeNet-5's test accuracy (None if its history file is missing)."""
    try:
        return float(training.load_shipped_history("lenet")["test_accuracy"])
    except (FileNotFoundError, KeyError, ValueError):
        return None


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
        histories = {key: shipped_replay(key)[0] for key in models.SHIPPED_MODELS}
        st.markdown(lesson.replay_lesson(histories))
    except (FileNotFoundError, ValueError, KeyError, TypeError, IndexError):
        return  # each replay column already says what is wrong with its file


def replay(model_key: str) -> None:
    st.subheader(models.MODEL_LABELS[model_key])
    try:
        history, batch_figure, epoch_figure = shipped_replay(model_key)
        accuracy = f"{history['test_accuracy']:.2%}"
    except FileNotFoundError:
        st.info("This model has not been shipped yet: train it live in the first tab.")
        return
    except (ValueError, KeyError, TypeError) as error:  # a corrupt or older history file
        st.warning(f"Its history file could not be read ({type(error).__name__}: {error}).")
        return
    st.metric("Test accuracy of the shipped model", accuracy)
    st.caption(lesson.paper_comparison(model_key, history["test_accuracy"]))
    st.plotly_chart(batch_figure, key=f"replay_batch_{model_key}")
    st.plotly_chart(epoch_figure, key=f"replay_epoch_{model_key}")
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
def shipped_run(model_key: str) -> comparison.RunSummary:
    """A shipped model as a run to compare with: its history and its test answers (computed
    once per server: they never change)."""
    from cnnviz import inference  # imports TensorFlow: only when a comparison needs it

    status = inference.load_registry()[model_key]
    if not status.ok:
        raise ValueError(status.error)
    history = shipped_replay(model_key)[0]
    mnist = load_dataset()
    probabilities = inference.predict_digits(status.model, mnist.x_test)
    epochs = [training.EpochRecord(**record) for record in history["epochs"]]
    label = f"{models.MODEL_LABELS[model_key]}, shipped"
    return comparison.run_from_history(
        label, history, status.model.count_params(), epochs, probabilities
    )


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
    session_runs = {
        label: summary
        for label, (_, summary) in st.session_state.get(FINISHED_RUNS_KEY, {}).items()
    }
    options = [*reversed(session_runs), *(f"shipped:{key}" for key in models.SHIPPED_MODELS)]

    def describe(option: str) -> str:
        if option.startswith("shipped:"):
            return f"{models.MODEL_LABELS[option.removeprefix('shipped:')]}, shipped"
        return option

    first_column, second_column = st.columns(2)
    first = first_column.selectbox("Run A", options, format_func=describe, key="compare_first")
    second = second_column.selectbox(
        "Run B", options, index=1, format_func=describe, key="compare_second"
    )
    if first == second:
        st.info("Pick two different runs.")
        return
    try:
        runs = [
            shipped_run(option.removeprefix("shipped:"))
            if option.startswith("shipped:")
            else session_runs[option]
            for option in (first, second)
        ]
    except (ValueError, FileNotFoundError, KeyError) as error:
        st.warning(f"That run cannot be compared: {error}")
        return
    a, b = runs
    st.plotly_chart(
        training_charts.compare_epoch_curves(
            {f"A: {a.label}": a.epochs, f"B: {b.label}": b.epochs},
            title="Per epoch, both runs on the same axes",
        ),
        key="compare_curves",
    )
    st.dataframe(comparison.comparison_rows(a, b), hide_index=True, width="stretch")
    st.markdown(comparison.comparison_sentence(a, b))
    disagreements = evaluation.disagreement_indices(a.test_probabilities, b.test_probabilities)
    st.markdown(
        f"**Test digits they answer differently**: {len(disagreements):,} of "
        f"{len(mnist.y_test):,}, the ones both are surest about first (true digit: A's answer, "
        "B's answer)."
    )
    shown = disagreements[:GALLERY_SIZE]
    st.plotly_chart(
        training_charts.disagreement_gallery(
            mnist.x_test[shown],
            mnist.y_test[shown],
            a.test_probabilities[shown],
            b.test_probabilities[shown],
        ),
        key="compare_gallery",
    )


def settings_form(mnist, busy: bool) -> None:
    """The run's settings and Start. The number inputs take any number: a browser refuses an
    out-of-range one without a word (and Start would do nothing), so Start says what is wrong."""
    with st.form("training_settings"):
        # Start beside the model choice: at 1280 × 720 it is on screen without scrolling, so the
        # live view that replaces the form after Start is too (a rerun keeps the scroll).
        model_column, start_column = st.columns([3, 1], vertical_alignment="bottom")
        model_column.radio(
            "Model", RUNS, format_func=RUN_LABELS.get, key="train_models", horizontal=True
        )
        start_column.form_submit_button(
            "Start training",
            type="primary",
            on_click=start_training,
            args=(mnist,),
            disabled=mnist is None or busy,
            key="train_start",
            width="stretch",
        )
        left, middle, right = st.columns(3)
        left.number_input(
            "Epochs", value=None, step=1, key="train_epochs", placeholder="as the recipe"
        )
        left.selectbox("Batch size", [8, 16, 32, 64, 128, 256], index=2, key="train_batch_size")
        left.number_input("Training images", value=MNIST_TRAIN_SIZE, step=512, key="train_subset")
        left.selectbox(
            "Arithmetic",
            models.PRECISIONS,
            format_func=lesson.PRECISION_LABELS.get,
            key="train_precision",
            help=lesson.precision_help(native_bfloat16()),
        )
        middle.selectbox(
            "Activation", [None, *models.ACTIVATIONS], format_func=recipe_or, key="train_activation"
        )
        middle.selectbox(
            "Pooling", [None, *models.POOLINGS], format_func=recipe_or, key="train_pooling"
        )
        middle.toggle("Augment (shift, rotate, zoom)", key="train_augment")
        middle.toggle(
            "Validate on held-out training images",
            key="train_holdout",
            help=lesson.HOLDOUT_HELP,
        )
        right.selectbox("Optimizer", models.OPTIMIZERS, key="train_optimizer")
        right.number_input(
            "Learning rate",
            value=1e-3,
            step=1e-4,
            format="%g",  # significant digits: the smallest rate reads 0.00001, not 0.0000
            key="train_learning_rate",
            help=lesson.LEARNING_RATE_HELP,
        )
        right.number_input("Random seed", value=0, step=1, key="train_seed")
    if st.session_state.training_message:
        st.error(st.session_state.training_message)


def training_buttons(jobs: dict, busy: bool) -> None:
    stop_column, reset_column, _ = st.columns([1, 1, 4])
    stop_column.button("Stop training", on_click=stop_training, disabled=not busy, key="train_stop")
    reset_column.button("Reset", on_click=reset_training, disabled=not jobs, key="train_reset")


def watch(jobs: dict, mnist) -> None:
    """Each job's live view, then its results; one job uses the whole width."""
    for column, (model_key, job) in zip(st.columns(len(jobs)), jobs.items(), strict=True):
        with column:
            polling = not job.done
            st.fragment(live_job, run_every=POLL_SECONDS if polling else None)(model_key, polling)
            if job.done and job.result is not None and mnist is not None:
                results(model_key, job, mnist)


def train_live(mnist) -> None:
    """Before a run: the settings. Once a run exists, the live view comes first, where a class
    watching a projector (1280 × 720) sees it without scrolling; the settings fold away."""
    jobs = st.session_state.training_jobs
    busy = any(not job.done for job in jobs.values())
    if jobs:
        training_buttons(jobs, busy)
        watch(jobs, mnist)
        class_training_rules()
        with st.expander("Settings: change them and start a new run"):
            st.markdown(lesson.INTRO)
            settings_form(mnist, busy)
    else:
        if notice := st.session_state.pop("training_notice", None):
            st.info(notice)
        class_training_rules()
        settings_form(mnist, busy)
        training_buttons(jobs, busy)
    st.caption(lesson.ONE_AT_A_TIME)
    st.markdown(lesson.READING_THE_CHARTS)
    st.markdown(lesson.VALIDATION_IS_TEST)
    if mnist is not None:
        compare_runs(mnist)


def dataset():
    """MNIST, or None after offering to download it."""
    try:
        mnist = load_dataset()
    except MnistNotFoundError as error:
        mnist_missing(error)
        return None
    if st.session_state.pop("mnist_downloaded", None):
        st.success("MNIST was downloaded and checked: ready to train.")
    return mnist


if "training_jobs" not in st.session_state:
    find_jobs_again()  # the same dict as the session's claim: released with the session
    st.session_state.training_message = None
keep_address()

# The form shows the settings a student chose before visiting another page (and Start uses them).
keep_settings(st.session_state, ["train_models", *(f"train_{field}" for field in SETTINGS)])
st.title("Live training")
if not st.session_state.training_jobs:  # with a run, it folds away with the settings
    st.markdown(lesson.INTRO)
train_tab, lenet_tab, alexnet_tab, replay_tab = st.tabs(
    ["Train live", "LeNet-5", "AlexNet", "Replay the shipped models"]
)

with train_tab:
    train_live(dataset())

with lenet_tab:
    st.markdown(lesson.LENET_OVERVIEW)
    st.subheader(lesson.PADDING_LESSON_TITLE)
    # One under the other: the tables are too wide for two columns.
    for model_key in ("lenet", "lenet_original"):
        st.markdown(f"**{models.MODEL_LABELS[model_key]}**")
        show_layer_table(model_key)
    st.markdown(lesson.PADDING_LESSON)
    st.markdown(lesson.paper_lesson(shipped_lenet_accuracy()))

with alexnet_tab:
    st.markdown(lesson.ALEXNET_OVERVIEW)
    show_layer_table("alexnet")
    st.markdown(architecture("alexnet")[2])

with replay_tab:
    st.markdown(lesson.SHIPPED_REPLAY)
    for column, model_key in zip(st.columns(2), models.SHIPPED_MODELS, strict=True):
        with column:
            replay(model_key)
    replay_reasons()
