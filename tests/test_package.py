"""The rule cnnviz/__init__.py states: no module of the engine imports streamlit."""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import cnnviz

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    script = (
        "import importlib, json, sys\n"
        f"for name in {cnnviz_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit')\n"
        "print(json.dumps(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,  # `python -c` puts the working directory on sys.path: cnnviz imports
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1]) == []
