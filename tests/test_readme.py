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


def module_map() -> list[str]:
    """The ``cnnviz/`` part of the README's module map: its lines, up to ``tests/``."""
    section = readme_section("For developers")
    block = section.split("```")[1]
    lines = block.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("cnnviz/"))
    end = next(i for i, line in enumerate(lines) if i > start and not line.startswith(" "))
    return lines[start + 1 : end]


def test_the_module_map_names_every_cnnviz_module_and_nothing_else():
    package = PROJECT_ROOT / "cnnviz"
    lines = module_map()
    words = {word.strip(",:;()") for line in lines for word in line.split()}
    mapped_files = {word for word in words if word.endswith(".py")}
    entries = [line.split()[0] for line in lines if line.startswith("  ") and line[2] != " "]
    mapped_packages = {entry.rstrip("/") for entry in entries if entry.endswith("/")}
    modules = {path.name for path in package.rglob("*.py") if path.name != "__init__.py"}
    packages = {path.parent.name for path in package.rglob("*/__init__.py")}
    assert "receptive_field.py" in modules and mapped_files  # the scan and the parse both work
    assert sorted(modules - mapped_files) == [], "modules the map leaves out"
    assert sorted(mapped_files - modules) == [], "files the map names that do not exist"
    assert sorted(packages ^ mapped_packages) == [], "packages missing from the map, or gone"


def test_the_offline_instructions_give_the_address_and_checksum_the_download_uses():
    from cnnviz.data import MNIST_SHA256, MNIST_URL

    section = readme_section("Where MNIST comes from (and running offline)")
    assert f"`{MNIST_URL}`" in section
    assert f"`{MNIST_SHA256}`" in section


def test_class_mode_says_which_address_the_join_link_carries():
    section = readme_section("Using it in class")
    class_mode = section[section.index("**Class mode**") :].split("\n- ")[0]
    # The link works from the Local URL too (cnnviz.classroom.address), or a configured one.
    for named in ("Local URL", "Network URL", "`CNNVIZ_PUBLIC_URL`", "only loopback"):
        assert named in class_mode, named
