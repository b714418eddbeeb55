"""The teacher's live counts: joined, following, exploring (by page), answered, drawings sent.

One fragment, redrawn every couple of seconds from one read of the store
(``ClassroomStore.class_counts``), called with one line from the Class page and from the
teacher's sidebar panel. Numbers only: students appear by number, with a nickname only when the
teacher shows nicknames.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom import ClassroomError
from cnnviz.classroom.counts import counts_sentences
from pages.glue.class_membership import class_store

COUNTS_REFRESH_S = 2.0  # the students report every few seconds: redrawing faster shows nothing new


@st.fragment(run_every=COUNTS_REFRESH_S)
def class_counts(code: str) -> None:
    """The class's live counts for its teacher (redrawn on their own, every few seconds)."""
    try:
        store = class_store()
        counts = store.class_counts(code)
        show_nicknames = store.state(code).show_nicknames
    except ClassroomError:
        return  # removed: the next full run says so
    for line in counts_sentences(counts, show_nicknames):
        st.caption(line)
