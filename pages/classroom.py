"""Class: the teacher leads a class, the students answer questions and draw digits.

Thin page: the class lives in the database (cnnviz.classroom), its questions and statistics are
computed in cnnviz.classroom.questions and .statistics, the charts in cnnviz.charts.classroom.
This browser's membership (code, student id or teacher secret) is in its session
(pages/glue/class_membership.py); the sidebar panel (pages/glue/class_panel.py) joins from
links and follows the teacher on every page.
"""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnnviz import images, inference, pooling_settings, preprocess
from cnnviz.charts import classroom as class_charts
from cnnviz.charts.base import CHART_CONFIG
from cnnviz.classroom import (
    ClassroomError,
    ClassState,
    Question,
    TrainingPermission,
    address,
    teaching,
)
from cnnviz.classroom import questions as class_questions
from cnnviz.classroom import statistics as class_statistics
from cnnviz.classroom.errors import CLASS_CLOSED
from cnnviz.models import shipped_files
from cnnviz.training import load_shipped_history
from pages.glue.class_counts import class_counts
from pages.glue.class_membership import (
    CLASS_CODE_KEY,
    STUDENT_ID_KEY,
    TEACHER_SECRET_KEY,
    class_store,
    is_student,
    is_teacher,
    join,
    leave_class,
)
from pages.glue.class_round import send_to_round
from pages.glue.class_training import class_runs_panel
from pages.glue.router import through_the_router

through_the_router()

OWN_FORM_KEY = "class_own_form"  # the own-question form's version: a new one empties the form
LIVE_REFRESH_S = 1.0  # the teacher's histogram and confusion matrix refresh this often
CANVAS_SIZE = 280
PERMISSION_LABELS = {
    TrainingPermission.OFF: "Off: only I train",
    TrainingPermission.SUBSETS: f"Small subsets (≤ {teaching.STUDENT_SUBSET_MAX:,} images)",
    TrainingPermission.ON: "On: full runs too",
}
OWN_QUESTION = "own"  # the teacher types the question: the one kind cnnviz does not generate
QUESTION_LABELS = {
    **{kind.key: kind.label for kind in class_questions.QUESTION_KINDS},
    OWN_QUESTION: "My own question",
}
QUESTION_MODEL = "lenet"  # the network the digit question asks about


@st.cache_resource(show_spinner="Loading the trained models…")
def shipped_models() -> dict[str, inference.ModelStatus]:
    """The shipped models, loaded once for the whole server and shared read-only."""
    return inference.load_registry()


@st.cache_data(show_spinner=False)
def mnist_test_accuracy(model: str) -> float | None:
    """The shipped model's accuracy on MNIST's 10,000 test digits (from its history file)."""
    try:
        return load_shipped_history(model).get("test_accuracy")
    except (FileNotFoundError, ValueError):
        return None


def store_call(action, *args, **kwargs):
    """Call the store; a refusal (bad input, closed class, wrong secret) becomes a message."""
    try:
        return action(*args, **kwargs)
    except (ClassroomError, PermissionError) as error:
        st.error(str(error))
        return None


def introduction() -> None:
    """What class mode is for, before the teacher starts (the teacher's projected screen and a
    student's page lead with the class instead)."""
    st.markdown(
        "Students learn most when they **predict before they see**. Start a class and project "
        "its code: students join on their own devices, follow your page and settings, answer "
        "your questions before you reveal the answer, and draw digits that become the class's "
        "own test set for the network."
    )


# -- before joining --------------------------------------------------------------------------


def start_or_join() -> None:
    teacher, student = st.columns(2)
    with teacher.container(border=True):
        st.subheader("Start a class")
        with st.form("class_start"):
            title = st.text_input("Title", "CNNs, lesson 1", max_chars=80)
            if st.form_submit_button("Start the class", type="primary"):
                created = store_call(class_store().create_class, title)
                if created is not None:
                    leave_class()
                    code, secret = created
                    st.session_state[CLASS_CODE_KEY] = code
                    st.session_state[TEACHER_SECRET_KEY] = secret
                    st.rerun()
        with st.expander("Take over a class you started in another browser"):
            with st.form("class_resume"):
                code = st.text_input("Class code")
                secret = st.text_input("Teacher secret", type="password")
                if st.form_submit_button("Lead this class"):
                    resume_as_teacher(code, secret)
    with student.container(border=True):
        st.subheader("Join a class")
        with st.form("class_join"):
            code = st.text_input("Class code (on the teacher's screen)", max_chars=12)
            nickname = st.text_input(
                "Nickname (optional)", max_chars=class_store().limits.max_nickname_length
            )
            if st.form_submit_button("Join", type="primary"):
                join(code, nickname)


def resume_as_teacher(code: str, secret: str) -> None:
    store = class_store()
    try:
        store.check_teacher(code, secret)
        state = store.state(code)
    except (ClassroomError, PermissionError) as error:
        st.error(str(error))
        return
    leave_class()
    st.session_state[CLASS_CODE_KEY] = state.code
    st.session_state[TEACHER_SECRET_KEY] = secret
    st.rerun()


# -- the teacher's view ----------------------------------------------------------------------


def join_banner(state: ClassState) -> None:
    """The code, the link and its QR code, big enough to read from the back of the room.

    The link carries an address students' devices can open (``cnnviz.classroom.address``), not
    the teacher's own ``127.0.0.1``; the banner says so when there is none.
    """
    where = address.student_address(
        st.context.url,
        port=st.get_option("server.port"),
        base_url_path=st.get_option("server.baseUrlPath") or "",
        server_address=st.get_option("server.address") or "",
    )
    link = teaching.join_link(where.base_url, state.code)
    code_column, qr_column = st.columns([3, 1])
    with code_column:
        st.markdown(f"### {state.title}")
        st.markdown(
            f"<div style='font-size:4rem;font-weight:700;letter-spacing:0.3em'>{state.code}</div>",
            unsafe_allow_html=True,
        )
        st.markdown(f"Join at **{link}** or type the code on the Class page.")
        if where.warning:
            st.warning(where.warning)
        if state.closed:
            st.warning("This class is closed: its data stays, nobody can join or answer.")
    qr_column.image(teaching.qr_png(link), caption="Scan to join", width=180)


def teacher_secret() -> None:
    """The teacher secret, only while the teacher asks for it: with it anyone leads the class, so
    the projected screen never shows it by itself. (It is stored only as a hash.)"""
    shown = st.toggle(
        "Show the teacher secret",
        key="class_show_secret",
        help="Note it down where the class cannot see: with it you lead this class from another "
        "browser or after a restart. Students never need it.",
    )
    if shown:
        st.code(st.session_state[TEACHER_SECRET_KEY], language=None)
        st.caption("Noted it? Turn this off before the class sees your screen.")


def class_controls(state: ClassState) -> None:
    code, secret = state.code, st.session_state[TEACHER_SECRET_KEY]
    store = class_store()
    students = store.students(code)
    with st.expander(f"Class settings · {len(students)} students", expanded=False):
        permission = st.radio(
            "Students may train models",
            list(TrainingPermission),
            index=list(TrainingPermission).index(state.training_permission),
            format_func=PERMISSION_LABELS.get,
            horizontal=True,
            key="class_permission",
            help=teaching.TEACHER_FIRST,
            disabled=state.closed,
        )
        if permission != state.training_permission:
            store_call(store.set_training_permission, code, secret, permission)
        show_names = st.toggle(
            "Show nicknames on this screen",
            value=state.show_nicknames,
            key="class_show_names",
            disabled=state.closed,
            help="Off by default: the projected view shows students by number only.",
        )
        if show_names != state.show_nicknames:
            store_call(store.set_show_nicknames, code, secret, show_names)
        if students:
            names = [
                f"#{s.number}" + (f" {s.nickname}" if show_names and s.nickname else "")
                for s in students
            ]
            st.caption("Students: " + ", ".join(names))
        left, right = st.columns(2)
        confirm = left.checkbox("Yes, delete every question and drawing", key="class_clear_ok")
        if left.button("Clear the class's work", disabled=not confirm, key="class_clear"):
            store_call(store.clear, code, secret)
            st.rerun()
        if right.button("Close the class", disabled=state.closed, key="class_close"):
            store_call(store.close_class, code, secret)
            st.rerun()
        if right.button("Leave (the class stays)", key="class_teacher_leave"):
            leave_class()
            st.rerun()


def teacher_pooling_settings() -> dict:
    """The pooling settings the class last saw on the Pooling page (its defaults before)."""
    published = class_store().page_settings(st.session_state[CLASS_CODE_KEY], "pooling")
    return {**pooling_settings.defaults(), **published}


def generated_question(
    kind: class_questions.QuestionKind, state: ClassState
) -> class_questions.GeneratedQuestion | None:
    """The question of ``kind`` from the teacher's live settings, answered by cnnviz."""
    context = class_questions.QuestionContext(
        settings=teacher_pooling_settings(),
        load_image=images.load_sample,
        drawings=lambda: class_store().drawings(state.code),
        model=QUESTION_MODEL,
        model_label=shipped_models()[QUESTION_MODEL].label,
    )
    question = kind.make(context)
    if question is None:
        st.info(kind.unavailable)
    elif question.drawing is not None:
        drawing = question.drawing
        st.plotly_chart(
            class_charts.drawing_gallery([drawing.image28], [f"#{drawing.drawing_id}"]),
            config=CHART_CONFIG,
            key="class_question_drawing",
        )
    return question


def own_question() -> tuple[str, list[str], int | None, str | None]:
    """The teacher's own question: prompt, choices, the right one and why. The right answer and
    the explanation sit in a closed expander (the class sees this form on the projector), and
    asking empties the form."""
    version = st.session_state.setdefault(OWN_FORM_KEY, 0)
    prompt = st.text_input("Your question", key=f"class_own_prompt_{version}", max_chars=300)
    choices_text = st.text_area("Choices, one per line", key=f"class_own_choices_{version}")
    choices = [line.strip() for line in choices_text.splitlines() if line.strip()]
    with st.expander("The right answer and why (open it where the class cannot see)"):
        right = st.selectbox(
            "The right answer (or none, for a poll)",
            [None, *range(len(choices))],
            format_func=lambda i: "none: it is a poll" if i is None else choices[i],
            key=f"class_own_right_{version}",
        )
        why = st.text_input(
            "Why (everyone reads it at the reveal; optional)",
            key=f"class_own_why_{version}",
            max_chars=300,
        )
    return prompt, choices, right, why.strip() or None


def ask_question(state: ClassState) -> None:
    st.subheader("Predict, then reveal")
    kind = st.selectbox(
        "Question", list(QUESTION_LABELS), format_func=QUESTION_LABELS.get, key="class_kind"
    )
    if kind == OWN_QUESTION:
        question = own_question()
    else:
        generated = generated_question(class_questions.question_kind(kind), state)
        if generated is None:
            return
        st.markdown(f"**{generated.prompt}**")
        st.caption("Choices: " + " · ".join(generated.choices))
        # Off by default: the class reads this screen, and the answer is for the reveal.
        if st.toggle("Show the answer to me", key="class_show_answer"):
            st.caption(
                f"Answer: {generated.choices[generated.correct_index]} ({generated.explanation})"
            )
        question = (
            generated.prompt,
            list(generated.choices),
            generated.correct_index,
            generated.explanation,
        )
    if st.button("Ask the class", type="primary", disabled=state.closed, key="class_ask"):
        asked = store_call(
            class_store().ask, state.code, st.session_state[TEACHER_SECRET_KEY], *question
        )
        if asked is not None:
            if kind == OWN_QUESTION:
                st.session_state[OWN_FORM_KEY] += 1  # an empty form: the answer leaves the screen
            st.rerun()


@st.fragment(run_every=LIVE_REFRESH_S)
def live_answers(code: str) -> None:
    """The current question, its answers' count every second, and the reveal.

    The histogram stays hidden until the reveal unless the teacher shows it: seeing how the
    others answered changes what the rest of the class chooses.
    """
    store = class_store()
    state = store.state(code)
    if state.current_question is None:
        st.caption("No question asked yet.")
        return
    question = store.question(code, state.current_question)
    counts = store.answer_counts(code, question.question_id)
    st.markdown(f"#### Asked: {question.prompt}")  # read from the back of the room
    if not question.revealed:
        total = sum(counts)
        shown = st.toggle(
            "Show the histogram",
            key=f"class_show_histogram_{question.question_id}",
            help="Hidden until you reveal the answer, so nobody follows the crowd.",
        )
        if shown:
            st.plotly_chart(
                class_charts.answer_histogram(question.choices, counts),
                config=CHART_CONFIG,
                key="class_histogram",
            )
        else:
            st.caption(
                f"{total} answer{'s' if total != 1 else ''} so far: the histogram shows at the "
                "reveal."
            )
        if st.button("Reveal the answer", type="primary", key="class_reveal"):
            store_call(
                store.reveal, code, st.session_state[TEACHER_SECRET_KEY], question.question_id
            )
            st.rerun()
        return
    st.plotly_chart(
        class_charts.answer_histogram(question.choices, counts, question.correct_index),
        config=CHART_CONFIG,
        key="class_histogram",
    )
    if question.correct_index is None:
        st.info("A poll: there is no right answer.")
    else:
        right = counts[question.correct_index]
        st.success(
            f"Answer: **{question.choices[question.correct_index]}**. {right} of "
            f"{sum(counts)} students had it right."
        )
    explanation(question)


def explanation(question: Question) -> None:
    """Why the answer is right, for everyone once it is revealed."""
    if question.revealed and question.explanation:
        st.markdown(f"**Why:** {question.explanation}")


def drawing_round(state: ClassState) -> None:
    st.subheader("A class drawing round")
    secret = st.session_state[TEACHER_SECRET_KEY]
    store = class_store()
    if state.current_round is None:
        prompt = st.text_input(
            "Ask for", "Draw any digit, then say which one it is", key="class_round_prompt"
        )
        if st.button("Start a drawing round", disabled=state.closed, key="class_round_start"):
            store_call(store.start_round, state.code, secret, prompt)
            st.rerun()
    else:
        st.markdown(f"Round open: **{store.round_prompt(state.code, state.current_round)}**")
        if st.button("End the round", key="class_round_end"):
            store_call(store.end_round, state.code, secret)
            st.rerun()
    live_drawings(state.code)


@st.fragment(run_every=2 * LIVE_REFRESH_S)
def live_drawings(code: str) -> None:
    """The class's accuracy beside MNIST's, the confusion matrix and the gallery of a cell."""
    drawings = class_store().drawings(code)
    if not drawings:
        st.caption("No drawings yet.")
        return
    model = st.radio(
        "Network",
        list(shipped_files()),
        format_func=lambda key: shipped_models()[key].label,
        horizontal=True,
        key="class_model",
    )
    label = shipped_models()[model].label
    accuracy = class_statistics.class_accuracy(drawings, model)
    mnist = mnist_test_accuracy(model)
    left, right = st.columns(2)
    left.metric(f"{label} on the class's drawings", "—" if accuracy is None else f"{accuracy:.1%}")
    right.metric(f"{label} on MNIST's test digits", "—" if mnist is None else f"{mnist:.2%}")
    confusion = class_statistics.class_confusion(drawings, model)
    st.plotly_chart(
        class_charts.class_confusion_matrix(confusion, label),
        config=CHART_CONFIG,
        key="class_confusion",
    )
    meant, read = st.columns(2)
    true_digit = meant.selectbox("Meant as", range(10), index=7, key="class_cell_true")
    read_digit = read.selectbox("Read as", range(10), index=1, key="class_cell_read")
    cell = class_statistics.drawings_in_cell(drawings, model, true_digit, read_digit)
    if cell:
        st.plotly_chart(
            class_charts.drawing_gallery(
                [d.image28 for d in cell], [f"#{d.drawing_id}" for d in cell]
            ),
            config=CHART_CONFIG,
            key="class_gallery",
        )
    else:
        st.caption(f"No {true_digit} of the class was read as a {read_digit}.")


def exports(state: ClassState) -> None:
    secret = st.session_state[TEACHER_SECRET_KEY]
    store = class_store()
    left, middle, right = st.columns(3)
    left.download_button(
        "Download the drawings (.npz, MNIST's layout)",
        data=lambda: store.export_npz(state.code, secret),
        file_name=f"class-{state.code}.npz",
        mime="application/octet-stream",
        key="class_export_npz",
    )
    middle.download_button(
        "Download the drawings (.csv)",
        data=lambda: store.export_csv(state.code, secret),
        file_name=f"class-{state.code}.csv",
        mime="text/csv",
        key="class_export_csv",
    )
    right.download_button(
        "Download the answers (.csv)",
        data=lambda: store.export_answers_csv(state.code, secret),
        file_name=f"class-{state.code}-answers.csv",
        mime="text/csv",
        key="class_export_answers",
    )


def teacher_view(state: ClassState) -> None:
    """The projected screen: the join banner, then the current question full width (what the
    class must read from the back of the room), then asking and the drawing round."""
    join_banner(state)
    class_counts(state.code)
    teacher_secret()
    class_controls(state)
    with st.expander("Students' training runs"):
        class_runs_panel(state.code)
    live_answers(state.code)
    questions, drawings = st.columns(2)
    with questions:
        ask_question(state)
    with drawings:
        drawing_round(state)
        exports(state)


# -- a student's view ------------------------------------------------------------------------


def student_question(state: ClassState) -> None:
    if state.current_question is None:
        st.caption("No question yet: when the teacher asks one, it appears here.")
        return
    store = class_store()
    student_id = st.session_state[STUDENT_ID_KEY]
    question = store.question(state.code, state.current_question)
    mine = store.my_answer(state.code, student_id, question.question_id)
    st.markdown(f"**{question.prompt}**")
    choice = st.radio(
        "Your answer",
        range(len(question.choices)),
        index=None if mine is None else mine.choice,
        format_func=lambda i: question.choices[i],
        key=f"class_answer_{question.question_id}",
        disabled=question.revealed or state.closed,
    )
    if question.revealed:
        if mine is None:
            st.info(f"The answer was **{question.choices[question.correct_index]}**.")
        elif mine.correct is True:
            st.success("Right!")
        elif mine.correct is False:
            st.error(
                f"Not this time: the answer is **{question.choices[question.correct_index]}**."
            )
        else:
            st.info("A poll: every answer counts.")
        explanation(question)
        return
    if choice is not None and (mine is None or mine.choice != choice):
        try:
            store.answer(state.code, student_id, question.question_id, choice)
        except ClassroomError as error:
            st.error(str(error))
            return
    if choice is not None:
        st.caption("Answer sent: you may change it until the teacher reveals the answer.")


def student_round(state: ClassState) -> None:
    if state.current_round is None:
        st.caption("No drawing round open.")
        return
    st.markdown(f"**{class_store().round_prompt(state.code, state.current_round)}**")
    st.session_state.setdefault("class_canvas_version", 0)
    st.write("")  # room above the canvas for its floating toolbar
    result = st_canvas(
        stroke_width=20,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=CANVAS_SIZE,
        width=CANVAS_SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"class_canvas_{st.session_state.class_canvas_version}",
    )
    send_to_round(
        state, drawn_digit(result.image_data), shipped_models(), key="class", on_sent=fresh_canvas
    )


def drawn_digit(rgba) -> np.ndarray | None:
    """The 28 × 28 the network sees of the canvas; None while nothing is drawn."""
    if rgba is None:
        return None
    try:
        return preprocess.canvas_to_mnist(np.asarray(rgba))
    except preprocess.BlankCanvasError:
        return None


def fresh_canvas() -> None:
    st.session_state.class_canvas_version += 1  # a new key is a new, empty canvas


def student_view(state: ClassState) -> None:
    student = class_store().student(state.code, st.session_state[STUDENT_ID_KEY])
    st.markdown(f"**{state.title}** · class {state.code} · you are student #{student.number}")
    if state.closed:
        st.info(CLASS_CLOSED)
    question, drawing = st.columns(2)
    with question:
        st.subheader("Question")
        student_question(state)
    with drawing:
        st.subheader("Drawing round")
        student_round(state)


st.title("Class")
if is_teacher() or is_student():
    current = store_call(class_store().state, st.session_state[CLASS_CODE_KEY])
    if current is None:
        leave_class()
    elif is_teacher():
        teacher_view(current)
    else:
        student_view(current)
else:
    introduction()
    start_or_join()
