"""Live training: LeNet-5 and AlexNet learn MNIST while the class watches (Topics 2 and 3).

Training runs in a worker process looked after by a ``TrainingJob`` kept in
``st.session_state``; this script only reads snapshots, so clicks and page switches never
interrupt it. When the tab disconnects, Streamlit releases the session's resources; its jobs
wait ``server.disconnectedSessionTTL`` for a reload of the tab (whose address names them) to
claim them, and are then stopped with their workers. What an ended run shows, the comparison and
the shipped models' replay are sections of ``pages/training_views.py``; the runs and the model
tabs derive from ``cnnviz.models.MODEL_SPECS``.
"""

from __future__ import annotations

import streamlit as st

from cnnviz import layer_table, models, training
from cnnviz import training_form as form
from cnnviz import training_lesson as lesson
from cnnviz import training_messages as messages
from cnnviz.charts import training as training_charts
from cnnviz.charts.base import CHART_CONFIG
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
from cnnviz.site import keep_settings
from pages.glue import training_views as views
from pages.glue.class_membership import class_queue_role, class_training_permission, is_teacher
from pages.glue.class_training import class_seat
from pages.glue.router import through_the_router
from pages.glue.training_claim import session_claim

through_the_router()  # a deep link on a fresh server ran this page past app.py

POLL_SECONDS = 1.0  # how often the live charts redraw while a job is under way
# The live per-batch chart: short enough that, with the title, Stop and the progress line above it,
# it fits in a projector's 1280 × 720 (checked in tests/e2e/test_training_e2e.py).
LIVE_CHART_HEIGHT = 320
# A student's last Start under the class's rules: (images asked for, the decision), or None.
CLASS_START_KEY = "training_class_start"


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
    """The model's layer table, its parameter count and what its lesson reads in it."""
    spec = models.model_spec(model_key)
    model = spec.builder()
    rows = layer_table.layer_rows(model)
    from_model = lesson.MODEL_LESSONS[spec.lesson].from_model
    note = from_model(model) if from_model is not None else ""
    return [row.as_dict() for row in rows], layer_table.total_parameters(rows), note


def show_layer_table(model_key: str) -> None:
    """Every layer with the formulas of Topic 1 filled in, the Keras code that builds it, and
    what the model's lesson reads in it."""
    rows, total, note = architecture(model_key)
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(f"Total: {total:,} parameters. " + lesson.LAYER_TABLE_LEGEND)
    with st.expander("The Keras code of this model (what cnnviz trains)"):
        st.code(layer_table.model_source(model_key), language="python")
    if note:
        st.markdown(note)


def model_tab(lesson_key: str, specs: tuple[models.ModelSpec, ...]) -> None:
    """A model lesson: its overview, its models' tables one under the other (they are too wide
    for two columns), then what it concludes."""
    model_lesson = lesson.MODEL_LESSONS[lesson_key]
    st.markdown(model_lesson.overview)
    if model_lesson.tables_title:
        st.subheader(model_lesson.tables_title)
    for spec in specs:
        if len(specs) > 1:
            st.markdown(f"**{spec.label}**")
        show_layer_table(spec.key)
    if model_lesson.closing is not None:
        for part in model_lesson.closing(shipped_accuracy(specs[0].key)):
            st.markdown(part)


@st.cache_data(show_spinner=False)
def shipped_accuracy(model_key: str) -> float | None:
    """A shipped model's test accuracy (None if it is not shipped or its history is missing)."""
    try:
        return float(training.load_shipped_history(model_key)["test_accuracy"])
    except (FileNotFoundError, KeyError, ValueError):
        return None


def under_class_rules(settings: dict) -> dict | None:
    """A student's settings under the teacher's training permission; None: Start is refused.

    Checked here, on the server, whatever the browser sends; the teacher is never limited.
    """
    st.session_state[CLASS_START_KEY] = None
    permission = class_training_permission()
    if permission is None:
        return settings
    asked = settings["subset"] or MNIST_TRAIN_SIZE
    allowance = teaching.student_training(permission, asked)
    st.session_state[CLASS_START_KEY] = (asked, allowance)
    if not allowance.allowed:
        return None
    if allowance.subset != asked:
        st.session_state.train_subset = allowance.subset  # the form shows what trains
    return {**settings, "subset": allowance.subset}


def class_start_said() -> tuple[bool, str | None]:
    """What the class's rules said to this student's last Start, under the permission now:
    (whether that Start was allowed, the message or None). Computed from the current
    permission only, so a message never contradicts the rule beside it."""
    last = st.session_state.get(CLASS_START_KEY)
    permission = class_training_permission()
    if last is None or permission is None:
        return True, None
    asked, decision = last
    return decision.allowed, teaching.still_said(decision, asked, permission)


def class_training_rules() -> None:
    """In a class: the teacher's rule for students, why the teacher's runs go first, and what
    the rule did to the student's run (a refusal shows beside Start instead)."""
    if is_teacher():
        st.caption(f"You lead a class. {teaching.TEACHER_FIRST}")
    elif (permission := class_training_permission()) is not None:
        st.info(teaching.student_training_rule(permission))
    allowed, said = class_start_said()
    if allowed and said:
        st.warning(said)


def start_feedback() -> None:
    """Why the last Start did nothing, right under Start: below the settings it would be out of
    sight on a laptop's first screen, and Start would seem broken."""
    if st.session_state.training_message:
        st.error(st.session_state.training_message)
    allowed, said = class_start_said()
    if not allowed and said:
        st.error(said)


def start_training(mnist) -> None:
    stop_training()
    state = st.session_state
    settings = {field: state[f"train_{field}"] for field in form.SETTINGS}
    problems = form.form_problems(settings)
    if problems:
        state.training_message = "Start did nothing: " + " ".join(problems)
        return
    settings = under_class_rules(settings)
    if settings is None:
        return
    try:
        runs = form.model_runs()[state.train_models]
        configs = [models.TrainingConfig(model=key, **settings) for key in runs]
    except ValueError as error:
        st.session_state.training_message = str(error)
        return
    st.session_state.training_message = None
    session_claim().file()  # from now on a reload or a reconnect finds these jobs again
    jobs = st.session_state.training_jobs
    jobs.clear()
    role, seat = class_queue_role(), class_seat()
    jobs.update(
        {
            config.model: training.TrainingJob(config, mnist, queue_role=role, class_seat=seat)
            for config in configs
        }
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
    st.session_state[CLASS_START_KEY] = None  # no run: nothing left to say about one


def live_job(model_key: str, polling: bool) -> None:
    job = st.session_state.training_jobs.get(model_key)
    if job is None:  # reset while this fragment was waiting
        return
    snap = job.snapshot()
    if snap.status == "queued":
        st.info(messages.queue_message(snap.queue_position, snap.queue_ahead))
    elif snap.status == "failed":
        st.error(f"Training failed: {snap.error}")
    elif snap.status == "stopped" and snap.stopped_by_teacher:
        st.warning(messages.teacher_stop_message(snap.epoch, snap.total_epochs))
    elif snap.status == "stopped":
        st.warning(
            messages.stop_message(
                snap.batches_done, snap.total_batches, snap.epoch, snap.total_epochs
            )
        )
    diverged = messages.divergence_message(
        snap.batch_steps, snap.batch_loss, snap.config.optimizer, snap.config.learning_rate
    )
    if diverged:
        st.error(diverged)
    st.progress(
        min(max(snap.progress, 0.0), 1.0),
        text=f"{snap.config.label} · {messages.progress_text(snap)}",
    )
    if snap.images_per_second > 0:
        st.caption(
            # Batches over elapsed time (what the ETA extrapolates): validation and the graph's
            # tracing count too, unlike the comparison's speed per image of training time.
            f"{snap.images_per_second:,.0f} images per second of elapsed time, validation "
            f"included · {messages.format_duration(snap.elapsed_s)} of training"
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
        st.plotly_chart(figure, config=CHART_CONFIG, key=f"batch_chart_{model_key}")
    if snap.filter_snapshots and polling:
        views.latest_filters(snap.filter_snapshots[-1], model_key)
    if snap.epochs:
        figure = training_charts.epoch_curves(snap.epochs, title="Per epoch: train vs validation")
        st.plotly_chart(figure, config=CHART_CONFIG, key=f"epoch_chart_{model_key}")
    if polling and job.done:
        st.rerun()  # a full run stops the polling and draws the results


def settings_form(mnist, busy: bool) -> None:
    """The run's settings and Start. The number inputs take any number: a browser refuses an
    out-of-range one without a word (and Start would do nothing), so Start says what is wrong."""
    label = {name: limit.label for name, limit in models.TRAINING_LIMITS.items()}
    with st.form("training_settings"):
        # Start beside the model choice: at 1280 × 720 it is on screen without scrolling, so the
        # live view that replaces the form after Start is too (a rerun keeps the scroll).
        model_column, start_column = st.columns([3, 1], vertical_alignment="bottom")
        model_column.radio(
            "Model",
            form.model_runs(),
            format_func=form.run_label,
            key="train_models",
            horizontal=True,
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
        start_feedback()
        left, middle, right = st.columns(3)
        left.number_input(
            label["epochs"], value=None, step=1, key="train_epochs", placeholder="as the recipe"
        )
        left.selectbox(label["batch_size"], form.BATCH_SIZES, index=2, key="train_batch_size")
        left.number_input(label["subset"], value=MNIST_TRAIN_SIZE, step=512, key="train_subset")
        left.selectbox(
            "Arithmetic",
            models.PRECISIONS,
            format_func=form.PRECISION_LABELS.get,
            key="train_precision",
            help=form.precision_help(native_bfloat16()),
        )
        middle.selectbox(
            "Activation",
            [None, *models.ACTIVATIONS],
            format_func=form.recipe_or,
            key="train_activation",
        )
        middle.selectbox(
            "Pooling", [None, *models.POOLINGS], format_func=form.recipe_or, key="train_pooling"
        )
        middle.toggle("Augment (shift, rotate, zoom)", key="train_augment")
        middle.toggle(
            "Validate on held-out training images", key="train_holdout", help=form.HOLDOUT_HELP
        )
        right.selectbox("Optimizer", models.OPTIMIZERS, key="train_optimizer")
        right.number_input(
            label["learning_rate"],
            value=1e-3,
            step=1e-4,
            format="%g",  # significant digits: the smallest rate reads 0.00001, not 0.0000
            key="train_learning_rate",
            help=form.LEARNING_RATE_HELP,
        )
        right.number_input(label["seed"], value=0, step=1, key="train_seed")


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
                views.results(model_key, job, mnist)


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
    st.caption(messages.ONE_AT_A_TIME)
    st.markdown(lesson.READING_THE_CHARTS)
    st.markdown(lesson.VALIDATION_IS_TEST)
    if mnist is not None:
        views.compare_runs(mnist)


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
    # The session's own dict, or the one a reload found again by its address (hold_training):
    # the same dict as the session's claim, released with the session.
    st.session_state.training_jobs = session_claim().jobs
st.session_state.setdefault("training_message", None)

# The form shows the settings a student chose before visiting another page (and Start uses them).
keep_settings(st.session_state, ["train_models", *(f"train_{field}" for field in form.SETTINGS)])
st.title("Live training")
if not st.session_state.training_jobs:  # with a run, it folds away with the settings
    st.markdown(lesson.INTRO)
model_tabs = lesson.lesson_tabs()  # a tab per model lesson, between training and the replay
train_tab, *lesson_tabs, replay_tab = st.tabs(
    [
        "Train live",
        *(lesson.MODEL_LESSONS[key].tab for key in model_tabs),
        "Replay the shipped models",
    ]
)
with train_tab:
    train_live(dataset())
for tab, (lesson_key, specs) in zip(lesson_tabs, model_tabs.items(), strict=True):
    with tab:
        model_tab(lesson_key, specs)
with replay_tab:
    views.replay_shipped()
