"""The site's map (cnnviz.site): every page listed once, with a script, and the router serves it."""

import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.runtime.scriptrunner import script_runner
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


def test_streamlits_legacy_listing_of_pages_shows_the_sites_pages_and_not_their_glue(monkeypatch):
    # What a fresh server's first deep link runs (pages/glue/router.py): Streamlit's own listing
    # of pages/, which must not take the shared modules of pages/glue/ for pages.
    listed = []
    page_module = importlib.import_module("streamlit.navigation.page")
    navigation = importlib.import_module("streamlit.commands.navigation")
    monkeypatch.setattr(page_module, "_create_page", lambda path, **_: listed.append(path))
    monkeypatch.setattr(navigation, "_navigation", lambda *_, **__: SimpleNamespace(run=tuple))
    script_runner._mpa_v1(str(PROJECT_ROOT / "app.py"))
    assert listed[0] == PROJECT_ROOT / "app.py"
    scripts = sorted(path.relative_to(PROJECT_ROOT).as_posix() for path in listed[1:])
    assert scripts == sorted(page.path for page in site.PAGES)
    assert (PROJECT_ROOT / "pages" / "glue" / "router.py").is_file()  # the glue is there


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
