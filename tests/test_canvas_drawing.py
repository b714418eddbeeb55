"""The Draw page's drawings as Fabric.js JSON: less a stroke, in another ink, marked as new."""

import pytest

from cnnviz import canvas_drawing

WHITE, BLACK = "#FFFFFF", "#000000"


def path(number: int, stroke: str | None = WHITE) -> dict:
    return {"type": "Path", "stroke": stroke, "strokeWidth": 20, "path": [["M", number, 0]]}


def test_without_last_stroke_keeps_the_others_in_order_and_the_rest_of_the_drawing():
    drawing = {"version": "6.0", "background": BLACK, "objects": [path(1), path(2), path(3)]}
    assert canvas_drawing.without_last_stroke(drawing) == {**drawing, "objects": [path(1), path(2)]}
    assert drawing["objects"] == [path(1), path(2), path(3)]  # the kept drawing is unchanged


@pytest.mark.parametrize("drawing", [None, {"objects": []}, {"objects": [path(1)]}])
def test_without_its_only_stroke_a_drawing_is_none(drawing):
    assert canvas_drawing.without_last_stroke(drawing) is None


def test_recoloured_changes_every_stroke_and_the_background_and_nothing_else():
    drawing = {"background": BLACK, "objects": [path(1), path(2), {"type": "Image"}]}
    changed = canvas_drawing.recoloured(drawing, BLACK, WHITE)
    assert changed == {
        "background": WHITE,
        "objects": [path(1, BLACK), path(2, BLACK), {"type": "Image"}],
    }
    assert canvas_drawing.recoloured(changed, WHITE, BLACK) == drawing  # and back


def test_recoloured_refuses_a_colour_it_cannot_read():
    with pytest.raises(ValueError, match="Colours must be given like '#FFFFFF', got 'white'"):
        canvas_drawing.recoloured({"objects": []}, "white", BLACK)


def test_a_drawing_whose_objects_are_not_a_list_is_refused():
    with pytest.raises(ValueError, match="'objects' must be a list"):
        canvas_drawing.strokes({"objects": "nope"})


def test_each_revision_is_a_different_drawing_and_none_stays_none():
    drawing = {"objects": [path(1)]}
    first, second = canvas_drawing.revised(drawing, 1), canvas_drawing.revised(drawing, 2)
    assert first != second and first["objects"] == second["objects"] == drawing["objects"]
    assert canvas_drawing.revised(None, 3) is None
