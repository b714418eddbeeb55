"""The Home page, headless (AppTest): it introduces and links the three parts, without TF."""

import subprocess
import sys
import textwrap
from pathlib import Path

from streamlit.testing.v1 import AppTest

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
    script = textwrap.dedent(
        f"""
        import sys
        from streamlit.testing.v1 import AppTest
        app = AppTest.from_file({APP!r}, default_timeout=30)
        app.run()
        assert not app.exception, app.exception
        print("TF:", "tensorflow" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,  # `python -c` puts the working directory on sys.path: cnnviz imports
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "TF: False" in result.stdout
