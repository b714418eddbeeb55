"""The layout's rules: no cnnviz module imports streamlit; tests and benchmarks import packages."""

import json
import pkgutil
import re
from pathlib import Path

import cnnviz
from bench.support.fresh_python import run_fresh_python


def cnnviz_modules() -> list[str]:
    """Every module and subpackage of cnnviz, found on disk (new ones are covered by themselves)."""
    found = pkgutil.walk_packages(cnnviz.__path__, prefix="cnnviz.")
    return sorted(["cnnviz", *(module.name for module in found)])


def test_the_module_list_is_found_on_disk():
    modules = cnnviz_modules()
    # Guards against a vacuous pass: the walk must see the package's real modules.
    assert {"cnnviz", "cnnviz.ops", "cnnviz.data", "cnnviz.models"} <= set(modules)
    module_files = list(Path(cnnviz.__path__[0]).rglob("*.py"))
    assert len(modules) == len(module_files)


def test_no_cnnviz_module_imports_streamlit():
    """Import every module in a fresh interpreter (this one has imported streamlit for AppTest)."""
    printed = run_fresh_python(
        f"""
        import importlib, json, sys
        for name in {cnnviz_modules()!r}:
            importlib.import_module(name)
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")))
        """
    )
    assert json.loads(printed.splitlines()[-1]) == []


def test_tests_and_benchmarks_import_as_packages_never_through_sys_path():
    """pytest's `pythonpath` and `python -m bench.<name>` put the repository root on the path."""
    patches = re.compile(r"sys\.path\.(insert|append|extend)\(|sys\.path\s*(\+=|=)")
    root = Path(cnnviz.__path__[0]).parent
    files = [path for folder in ("tests", "bench") for path in (root / folder).rglob("*.py")]
    assert len(files) > 20  # the scan sees the suite
    patched = [str(path.relative_to(root)) for path in files if patches.search(path.read_text())]
    assert patched == []
