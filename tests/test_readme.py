"""The README's reference parts follow the code: every environment variable cnnviz reads."""

import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
README = PROJECT_ROOT / "README.md"
# How cnnviz names the variables it reads: its own, keras' cache and TensorFlow's threads.
ENVIRONMENT_NAME = re.compile(
    r"""["'](CNNVIZ_[A-Z0-9_]*[A-Z0-9]|KERAS_HOME|TF_[A-Z0-9_]*[A-Z0-9])["']"""
)


def readme_section(title: str) -> str:
    """The text of the README's ``## title`` section, up to the next ``## `` heading."""
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def names_in(folder: Path) -> set[str]:
    return {
        name for path in folder.rglob("*.py") for name in ENVIRONMENT_NAME.findall(path.read_text())
    }


def test_every_environment_variable_cnnviz_reads_is_in_the_readme_table():
    names = names_in(PROJECT_ROOT / "cnnviz")
    assert {"CNNVIZ_MNIST", "CNNVIZ_MAX_TRAININGS", "KERAS_HOME"} <= names  # the scan works
    table = readme_section("Environment variables")
    assert sorted(name for name in names if f"`{name}`" not in table) == []


def test_every_variable_the_tests_and_ci_read_is_in_the_readme_table():
    names = names_in(PROJECT_ROOT / "tests") | names_in(PROJECT_ROOT / "bench")
    names |= set(ENVIRONMENT_NAME.findall((PROJECT_ROOT / ".ci" / "with_postgres").read_text()))
    assert {"CNNVIZ_REQUIRE_BROWSER", "CNNVIZ_TEST_POSTGRES_URL"} <= names
    table = readme_section("Environment variables")
    assert sorted(name for name in names if f"`{name}`" not in table) == []
