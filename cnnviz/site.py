"""The site's map: every page of the app, in menu order, and the keys pages share.

``app.py`` builds its navigation from :data:`PAGES` and the home page lists their summaries, so a
new page is one entry here (plus its script in ``pages/``). No streamlit import: this is data.

>>> [page.title for page in PAGES][:2]
['Home', 'Convolution']
>>> page_by_path("pages/draw.py").icon
'✏️'
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from cnnviz.shifts import survey_summary

# st.session_state key of the models a student trained this session and chose to draw with:
# the training page adds {label: keras model}, the draw page offers them.
SESSION_MODELS_KEY = "canvas_models"
# Prefix of the session-state copies that keep a page's settings while the student is elsewhere
# (Streamlit deletes a widget's own key when a run does not draw it, e.g. on another page).
KEPT_PREFIX = "kept:"


@dataclass(frozen=True)
class Page:
    """One page of the app."""

    path: str  # the script, relative to the project root (what st.Page and st.page_link take)
    title: str  # in the menu, on the home page's card and its link
    icon: str
    summary: str  # the home page's one-paragraph description ("" for the home page itself)
    default: bool = False  # the page the app opens on


HOME = Page("pages/home.py", "Home", "🏠", "", default=True)

PAGES: tuple[Page, ...] = (
    HOME,
    Page(
        "pages/convolution.py",
        "Convolution",
        "🧮",
        "Slide a kernel over a photo, a digit or your own image: blur, sharpen, edge finders, a "
        "filter LeNet-5 learned, or weights you type in; stride, dilation and padding with the "
        "output-size formula; one output cell's multiply-and-add written out; colour channels "
        "and a layer's parameter count.",
    ),
    Page(
        "pages/pooling.py",
        "Pooling & padding",
        "🔲",
        "Max, min and average pooling and valid/same/full padding on photos, digits and "
        "patterns; the output-size formula with real numbers; a window you step through by "
        f"hand; how much a small shift changes a pooled map ({survey_summary()}), and how "
        "trained networks read shifted digits.",
    ),
    Page(
        "pages/training.py",
        "Live training",
        "📈",
        "Train LeNet-5 and an AlexNet adapted to MNIST while you watch: loss and accuracy "
        "update live, then a confusion matrix and a gallery of the digits the network got "
        "wrong.",
    ),
    Page(
        "pages/draw.py",
        "Draw a digit",
        "✏️",
        "Draw a digit and let a trained network read it: every preprocessing step, the ten "
        "probabilities, and what each layer sees.",
    ),
    Page(
        "pages/classroom.py",
        "Class",
        "🎓",
        "Lead a class: students join with a code or a QR code, follow your page and settings, "
        "answer questions before you reveal the answer, and draw digits that become the "
        "class's own test set.",
    ),
)


def lesson_pages() -> tuple[Page, ...]:
    """The pages the home page introduces: every page but the home page itself."""
    return tuple(page for page in PAGES if not page.default)


def page_by_path(path: str) -> Page:
    """The page whose script is `path` (e.g. ``"pages/draw.py"``).

    Raises
    ------
    ValueError
        If no page has that script.
    """
    for page in PAGES:
        if page.path == path:
            return page
    known = ", ".join(page.path for page in PAGES)
    raise ValueError(f"No page has the script {path!r}; the pages are: {known}.")


def keep_settings(
    state: MutableMapping[str, Any],
    keys: Iterable[str],
    allowed: Mapping[str, Collection[Any]] | None = None,
) -> None:
    """Keep a page's widget values across visits to other pages; call it before the widgets.

    While the page is shown, each widget's value (``state[key]``) is copied to
    ``state[KEPT_PREFIX + key]``, which Streamlit never deletes. When the student comes back the
    widget's key is gone, and the copy is put back, so the widget shows the value they left.

    Parameters
    ----------
    state : MutableMapping
        ``st.session_state`` (any mutable mapping in tests).
    keys : iterable of str
        The widget keys to keep (never a button's or a file uploader's: Streamlit refuses to
        set those).
    allowed : mapping, optional
        For a widget whose options change (a model picker), the values it offers now: a kept
        value that is no longer offered is dropped instead of put back.

    Examples
    --------
    >>> state = {"mode": "avg"}
    >>> keep_settings(state, ["mode"])  # on the page: remembered
    >>> del state["mode"]  # the student visits another page: Streamlit drops the widget's key
    >>> keep_settings(state, ["mode"])  # back on the page: put back before the widget is drawn
    >>> state["mode"]
    'avg'
    """
    allowed = allowed or {}
    for key in keys:
        kept = KEPT_PREFIX + key
        if key in state:
            state[kept] = state[key]
        elif kept in state:
            if key in allowed and state[kept] not in allowed[key]:
                del state[kept]
            else:
                state[key] = state[kept]
