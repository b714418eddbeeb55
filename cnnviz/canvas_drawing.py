"""The Draw page's drawing as the canvas component keeps it: Fabric.js JSON, one object a stroke.

The page keeps the strokes itself and gives them back to the canvas (its ``initial_drawing``)
whenever the canvas would lose them: after Undo, a change of ink, or a visit to another page.
These functions make those drawings; they never draw pixels.

>>> drawing = {"version": "6", "objects": [{"type": "Path", "stroke": "#FFFFFF"}] * 2}
>>> len(without_last_stroke(drawing)["objects"])
1
>>> recoloured(drawing, "#000000", "#FFFFFF")["objects"][0]["stroke"]
'#000000'
"""

from __future__ import annotations

from typing import Any

# Set on each drawing the page gives the canvas. The canvas reloads its drawing only when the
# drawing it is given changes, so Undo back to a drawing it was given before (draw a stroke,
# Undo it) must still be a new one. Fabric keeps unknown keys on the canvas and ignores them.
REVISION_KEY = "cnnviz_revision"


def strokes(drawing: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The drawing's objects, oldest first ([] for no drawing)."""
    if drawing is None:
        return []
    objects = drawing.get("objects", [])
    if not isinstance(objects, list):
        raise ValueError(f"A canvas drawing's 'objects' must be a list, got {objects!r}.")
    return objects


def without_last_stroke(drawing: dict[str, Any] | None) -> dict[str, Any] | None:
    """The drawing less its newest stroke; None when that leaves nothing (an empty canvas)."""
    remaining = strokes(drawing)[:-1]
    return {**drawing, "objects": remaining} if remaining else None


def recoloured(drawing: dict[str, Any], ink: str, background: str) -> dict[str, Any]:
    """The same strokes in ``ink`` on ``background`` (colours as ``"#RRGGBB"``).

    Each stroke keeps its path and width, so the network reads the same digit in either ink.
    """
    for colour in (ink, background):
        if not (isinstance(colour, str) and len(colour) == 7 and colour.startswith("#")):
            raise ValueError(f"Colours must be given like '#FFFFFF', got {colour!r}.")
    objects = [
        {**stroke, "stroke": ink} if stroke.get("stroke") is not None else stroke
        for stroke in strokes(drawing)
    ]
    return {**drawing, "objects": objects, "background": background}


def revised(drawing: dict[str, Any] | None, revision: int) -> dict[str, Any] | None:
    """``drawing`` marked with ``revision``, so the canvas takes it as a new drawing (see
    :data:`REVISION_KEY`); None stays None (the canvas starts empty)."""
    return None if drawing is None else {**drawing, REVISION_KEY: revision}
