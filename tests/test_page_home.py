"""The Home page, headless (AppTest): it introduces and links the three parts, without TF."""

from streamlit.testing.v1 import AppTest

from bench.support.fresh_python import run_fresh_python
from cnnviz import PROJECT_ROOT, shifts
from cnnviz.site import page_by_path
from tests.apptest_helpers import APP, PAGE_TIMEOUT_S


def test_home_is_the_default_page_and_says_how_to_use_it_in_class():
    # Its links, one per lesson page, are checked against cnnviz.site in tests/test_site.py.
    app = AppTest.from_file(APP, default_timeout=PAGE_TIMEOUT_S)
    app.run()
    assert not app.exception, app.exception
    assert app.title[0].value.startswith("cnnviz")
    assert any("Using cnnviz in class" in header.value for header in app.subheader)


def test_home_never_imports_tensorflow():
    printed = run_fresh_python(
        f"""
        import sys
        from streamlit.testing.v1 import AppTest
        app = AppTest.from_file({APP!r}, default_timeout={PAGE_TIMEOUT_S})
        app.run()
        assert not app.exception, app.exception
        print("TF:", "tensorflow" in sys.modules)
        """
    )
    assert "TF: False" in printed


def test_home_says_which_numbers_are_computed_live_and_which_were_shipped():
    app = AppTest.from_file(APP, default_timeout=PAGE_TIMEOUT_S)
    app.run()
    text = " ".join(element.value for element in app.markdown)
    # Not "everything": the models, their histories and the shift curves were computed before.
    assert "Everything on screen is computed live" not in text
    assert "computed live" in text
    for shipped in ("models/*.keras", "models/*.history.json", "models/shift_accuracy.json"):
        assert f"`{shipped}`" in text
        assert list(PROJECT_ROOT.glob(shipped)), shipped


def test_the_pooling_card_says_how_often_a_shift_changes_a_pooled_map_less():
    # Issue 24: "less than plain subsampling, for max and average" was the medians' story; 13 of
    # 300 digits with max, 12 with average, and the thin lines at 3 pixels say otherwise.
    app = AppTest.from_file(APP, default_timeout=PAGE_TIMEOUT_S)
    app.run()
    text = " ".join(element.value for element in app.markdown)
    summary = shifts.survey_summary()
    assert summary in page_by_path("pages/pooling.py").summary
    assert summary in text
    assert "(less than plain subsampling, for max and average pooling)" not in text
