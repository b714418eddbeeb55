"""The rule cnnviz/__init__.py states: no module of the engine imports streamlit."""

import json
import pkgutil
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
