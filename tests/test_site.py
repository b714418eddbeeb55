"""The site's map (cnnviz.site): every page listed once, with a script, and the router serves it."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import site

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_every_page_has_a_script_a_unique_title_and_one_is_the_default():
    for page in site.PAGES:
        assert (PROJECT_ROOT / page.path).is_file(), page.path
    titles = [page.title for page in site.PAGES]
    assert len(set(titles)) == len(titles), titles
    assert [page for page in site.PAGES if page.default] == [site.HOME]
    assert all(page.summary for page in site.lesson_pages())


def test_an_unknown_script_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match=r"'pages/nope\.py'.*pages/pooling\.py"):
        site.page_by_path("pages/nope.py")


def test_the_router_and_the_home_page_follow_the_list():
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    # Home's cards: one per lesson page, in the list's order, each linking to its script.
    links = app.get("page_link")
    lessons = site.lesson_pages()
    assert [link.proto.label for link in links] == [f"Open {page.title}" for page in lessons]
    assert [link.proto.page for link in links] == [Path(page.path).stem for page in lessons]
    assert [header.value for header in app.subheader][: len(lessons)] == [
        f"{page.icon} {page.title}" for page in lessons
    ]
    # Every page of the list is served by the router.
    for page in lessons:
        app.switch_page(page.path).run()
        assert not app.exception, (page.path, app.exception)
