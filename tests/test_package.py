"""The layout's rules: no cnnviz module imports streamlit; tests and benchmarks import packages."""

import ast
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


def internal_imports(module: str, path: Path, modules: set[str]) -> set[str]:
    """The cnnviz modules ``module`` imports, at its top or inside a function (a lazy import).

    ``from cnnviz.a import b`` imports module ``cnnviz.a.b`` when there is one, else the names
    of ``cnnviz.a``. Left out: imports under ``if TYPE_CHECKING:`` (never run, so they cannot
    close a loop at run time), and the parent packages Python runs first (counting those would
    make every package that re-exports its own modules a loop without any module importing one
    that imports it back).
    """
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                prefixes = [".".join(parts[:n]) for n in range(len(parts), 0, -1)]
                found.update(next(([p] for p in prefixes if p in modules), []))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return found - {module}


def import_graph() -> dict[str, set[str]]:
    root = Path(cnnviz.__path__[0]).parent
    files = {}
    for path in sorted((root / "cnnviz").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        files[name] = path
    return {name: internal_imports(name, path, set(files)) for name, path in files.items()}


def import_loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every loop of imports, as the modules around it (Tarjan's strongly connected parts)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    loops: list[list[str]] = []

    def connect(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                connect(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            part = []
            while True:
                member = stack.pop()
                part.append(member)
                if member == module:
                    break
            if len(part) > 1:
                loops.append(sorted(part))

    for module in sorted(graph):
        if module not in index:
            connect(module)
    return loops


def test_the_loop_finder_finds_a_loop_around_three_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_loops(graph) == [["a", "b", "c"]]
    assert import_loops({"a": {"b"}, "b": set()}) == []


def test_no_cnnviz_module_imports_a_module_that_imports_it_back():
    graph = import_graph()
    # Guards against a vacuous pass: the graph sees real imports, lazy ones included.
    assert "cnnviz.training.queue" in graph["cnnviz.training.leases"]
    assert "cnnviz.training.fitting" in graph["cnnviz.training.job"]  # inside a function
    assert sum(len(imported) for imported in graph.values()) > 100
    assert import_loops(graph) == []


MAX_MODULE_LINES = 600  # a module past this stacks several concepts: split it by concept


def test_no_module_of_the_engine_or_the_pages_is_over_600_lines():
    root = Path(cnnviz.__file__).resolve().parent.parent
    modules = sorted([*(root / "cnnviz").rglob("*.py"), *(root / "pages").rglob("*.py")])
    assert len(modules) > 60  # guards against a vacuous pass: the walk found the tree
    lengths = {str(path.relative_to(root)): len(path.read_text().splitlines()) for path in modules}
    too_long = {name: lines for name, lines in lengths.items() if lines > MAX_MODULE_LINES}
    assert too_long == {}
