"""Send a drawing to the class's drawing round, from the Class page's canvas or the Draw page's.

One section both pages call with the 28 × 28 the network sees: the digit picker starts empty,
Send stays disabled until a digit is picked and something is drawn, and after each send the
picker is empty again (a label left over from the last digit would mislabel the next) and the
student reads what each network read. It shows only to a student of an open class with an open
round: a closed class has no round (closing it ends the round).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import streamlit as st

from cnnviz import inference
from cnnviz.classroom import ClassroomError, ClassState
from cnnviz.classroom.drawing_round import readings_sentence
from pages.glue.class_membership import CLASS_CODE_KEY, STUDENT_ID_KEY, class_store, is_student


def open_round() -> ClassState | None:
    """The class's state when this browser is a student of an open class with an open round."""
    if not is_student():
        return None
    try:
        state = class_store().state(st.session_state[CLASS_CODE_KEY])
    except ClassroomError:
        return None  # the class panel says what became of it
    if state.closed or state.current_round is None:
        return None
    return state


def _send(
    code: str,
    image28: np.ndarray,
    models: Mapping[str, inference.ModelStatus],
    key: str,
    on_sent: Callable[[], None] | None,
) -> None:
    """Send's callback: store the drawing with each shipped model's reading, then reset."""
    label = st.session_state.get(f"{key}_label")
    if label is None:  # Send is disabled without a label; a stale click finds none
        return
    predictions = {
        name: int(inference.predict_digit(status.model, image28).argmax())
        for name, status in models.items()
        if status.ok
    }
    try:
        class_store().add_drawing(
            code, st.session_state[STUDENT_ID_KEY], label, image28, predictions
        )
    except ClassroomError as error:
        st.session_state[f"{key}_outcome"] = ("error", str(error))
        return
    labels = {name: status.label for name, status in models.items()}  # as they were trained
    st.session_state[f"{key}_outcome"] = ("success", readings_sentence(label, predictions, labels))
    st.session_state[f"{key}_label"] = None  # the next digit needs its own label
    if on_sent is not None:
        on_sent()


def send_to_round(
    state: ClassState,
    image28: np.ndarray | None,
    models: Mapping[str, inference.ModelStatus],
    *,
    key: str,
    on_sent: Callable[[], None] | None = None,
) -> None:
    """The digit picker, Send and the last send's outcome, for the open round of ``state``.

    ``image28`` is what the network sees of the drawing (None: nothing readable drawn yet);
    ``on_sent`` runs after a drawing was stored (e.g. a fresh canvas); ``key`` names the widgets.
    """
    label = st.radio("The digit I drew", range(10), index=None, horizontal=True, key=f"{key}_label")
    st.button(
        "Send my drawing",
        type="primary",
        key=f"{key}_send",
        disabled=label is None or image28 is None,
        help="Draw a digit and pick which one it is first.",
        on_click=_send,
        args=(state.code, image28, models, key, on_sent),
    )
    if image28 is None or label is None:
        st.caption("Draw a digit and pick which one it is, then send it.")
    if outcome := st.session_state.pop(f"{key}_outcome", None):
        kind, text = outcome
        (st.success if kind == "success" else st.error)(text)
    mine = class_store().drawings(
        state.code, round_id=state.current_round, student_id=st.session_state[STUDENT_ID_KEY]
    )
    if mine:
        st.caption(f"You have sent {len(mine)} drawing{'s' if len(mine) != 1 else ''} this round.")


def round_beside_a_drawing(
    image28: np.ndarray | None,
    models: Mapping[str, inference.ModelStatus],
    *,
    key: str,
    on_sent: Callable[[], None] | None = None,
) -> None:
    """(The Draw a digit page.) When a round is open, its instruction and :func:`send_to_round`
    in a box, so a digit drawn here counts for the class too; nothing otherwise."""
    state = open_round()
    if state is None:
        return
    with st.container(border=True):
        prompt = class_store().round_prompt(state.code, state.current_round)
        st.markdown(f"**Send to the class round** · {prompt}")
        send_to_round(state, image28, models, key=key, on_sent=on_sent)
