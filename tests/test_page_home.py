"""The Home page, headless (AppTest): it introduces and links the three parts, without TF."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench.support.fresh_python import run_fresh_python

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "app.py")
PART_PAGES = ["pages/pooling.py", "pages/training.py", "pages/draw.py"]


def test_home_is_the_default_page_and_links_every_part():
    app = AppTest.from_file(APP, default_timeout=30)
    app.run()
    assert not app.exception, app.exception
    assert app.title[0].value.startswith("cnnviz")
    links = app.get("page_link")
    assert [link.proto.label for link in links] == [
        "Open Pooling & padding",
        "Open Live training",
        "Open Draw a digit",
    ]
    # Each link resolved to a page the router knows (Streamlit fills in its URL path).
    assert [link.proto.page for link in links] == ["pooling", "training", "draw"]
    assert any("Using cnnviz in class" in header.value for header in app.subheader)


def test_every_linked_page_exists():
    for page in PART_PAGES:
        assert (PROJECT_ROOT / page).is_file(), page


def test_home_never_imports_tensorflow():
    printed = run_fresh_python(
        f"""
        import sys
        from streamlit.testing.v1 import AppTest
        app = AppTest.from_file({APP!r}, default_timeout=30)
        app.run()
        assert not app.exception, app.exception
        print("TF:", "tensorflow" in sys.modules)
        """
    )
    assert "TF: False" in printed
