"""The Draw page's canvas: the ink and pen controls, the drawing component, Undo and Clear.

The page keeps what the canvas last sent, so a drawing outlives a visit to another page and a
change of ink.
"""

from typing import NamedTuple

import numpy as np
import streamlit as st

from cnnviz import canvas_drawing

CANVAS_SIZE = 280
# Hides the canvas component's hover toolbar. The component draws in an open shadow root, out of
# reach of the page's CSS, so a style is added to each canvas's shadow root as it appears.
HIDE_CANVAS_TOOLBAR = """
<script>
(() => {
  if (window.cnnvizHideCanvasToolbar) return;
  window.cnnvizHideCanvasToolbar = true;
  const patch = () => {
    for (const box of document.querySelectorAll("[data-testid='stBidiComponentIsolated']")) {
      for (const host of [box, ...box.querySelectorAll("*")]) {
        const root = host.shadowRoot;
        if (root && !root.querySelector("style[data-cnnviz-toolbar]")) {
          const style = document.createElement("style");
          style.setAttribute("data-cnnviz-toolbar", "");
          style.textContent = ".dc-toolbar { display: none !important; }";
          root.appendChild(style);
        }
      }
    }
  };
  // attachShadow changes no light DOM, so an observer alone misses a canvas's new shadow root.
  new MutationObserver(patch).observe(document.body, { childList: true, subtree: true });
  setInterval(patch, 300);
  patch();
})();
</script>
"""
KEPT_DRAWING_KEY = "draw_kept_drawing"  # a KeptDrawing: what the canvas last sent
CANVAS_INK_KEY = "draw_canvas_ink"  # the ink the canvas was last drawn in
INKS = {"White on black": ("#FFFFFF", "#000000"), "Black on white": ("#000000", "#FFFFFF")}


class Canvas(NamedTuple):
    """What the canvas holds and how it was drawn."""

    image: np.ndarray | None  # (280, 280, 4) RGBA, None before the first stroke
    pen_width: int  # pixels
    background: str  # "#RRGGBB"


class KeptDrawing(NamedTuple):
    """The drawing the canvas last sent, kept by the page: the canvas loses it on a visit to
    another page, and a canvas given a drawing to start from sends nothing until drawn on."""

    strokes: dict  # Fabric.js JSON, one object a stroke
    image: np.ndarray  # (280, 280, 4) RGBA, as the canvas drew it
    background: str  # "#RRGGBB", the background ``image`` was drawn on


def start_canvas_from(drawing: dict | None) -> None:
    """The canvas redraws ``drawing`` (in the ink chosen), or starts empty for None.

    The same canvas (same key) is given a new drawing: unlike a new canvas, it then sends the
    drawing back, so what it shows is what the page reads.
    """
    state = st.session_state
    if drawing is not None:
        drawing = canvas_drawing.recoloured(drawing, *INKS[state.draw_ink])
    state.canvas_revision = state.get("canvas_revision", 0) + 1
    state.canvas_start = canvas_drawing.revised(drawing, state.canvas_revision)


def clear_canvas() -> None:
    st.session_state.canvas_version += 1  # a new key is a new, empty canvas
    st.session_state.canvas_start = None
    st.session_state.pop(KEPT_DRAWING_KEY, None)


def undo_stroke() -> None:
    """The canvas redraws the drawing without its last stroke (Clear for a single stroke)."""
    kept = st.session_state.get(KEPT_DRAWING_KEY)
    remaining = canvas_drawing.without_last_stroke(kept.strokes if kept else None)
    if remaining is None:
        clear_canvas()
    else:
        start_canvas_from(remaining)


def canvas() -> Canvas:
    """The ink and pen controls and the canvas, and what is on it."""
    state = st.session_state
    if "canvas_version" not in state:
        state.canvas_version = 0
        state.canvas_start = None  # the drawing the canvas starts from (Undo, ink, return)
    ink_name = st.radio("Ink", list(INKS), horizontal=True, key="draw_ink")
    ink, background = INKS[ink_name]
    stroke_width = st.slider("Pen width", 5, 40, 20, key="draw_pen_width")
    # The component's own toolbar floats, invisible until hovered, over the canvas's top-right
    # strip: strokes starting there were swallowed and a tap near the corner hit its hidden
    # reset. It is hidden; Undo and Clear are ordinary buttons under the canvas.
    st.html(HIDE_CANVAS_TOOLBAR, unsafe_allow_javascript=True)
    key = f"digit_canvas_{state.canvas_version}"
    kept = state.get(KEPT_DRAWING_KEY)
    # A canvas not on the page in the last run (back from another page) starts empty, and a new
    # ink (a new background) empties it: both start again from the kept strokes.
    if kept is not None and (key not in state or state.get(CANVAS_INK_KEY) != ink_name):
        start_canvas_from(kept.strokes)
    state[CANVAS_INK_KEY] = ink_name
    # Imported here, not at the top: the component registers itself on import, which needs a
    # runtime, and tests stand a fake module in for it before each run.
    from streamlit_drawable_canvas import st_canvas

    result = st_canvas(
        stroke_width=stroke_width,
        stroke_color=ink,
        background_color=background,
        height=CANVAS_SIZE,
        width=CANVAS_SIZE,
        drawing_mode="freedraw",
        initial_drawing=state.canvas_start,
        return_image_data=True,
        key=key,
    )
    if result.image_data is not None:  # the canvas sent its drawing (else it shows the kept one)
        drawn_on = (result.json_data or {}).get("background") or background
        kept = KeptDrawing(result.json_data, result.image_data, drawn_on)
        state[KEPT_DRAWING_KEY] = kept
    canvas_buttons(has_strokes=bool(canvas_drawing.strokes(result.json_data)))
    if kept is None:
        return Canvas(None, stroke_width, background)
    return Canvas(kept.image, stroke_width, kept.background)


def canvas_buttons(has_strokes: bool) -> None:
    """Undo and Clear, under the canvas (the component's own toolbar is hidden)."""
    undo_column, clear_column, _ = st.columns([1, 1, 2])
    undo_column.button(
        "Undo", on_click=undo_stroke, key="draw_undo", disabled=not has_strokes, width="stretch"
    )
    clear_column.button("Clear", on_click=clear_canvas, key="draw_clear", width="stretch")
