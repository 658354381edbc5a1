"""The rooms import one way (branches ← rubrics ← assessments ← config) and no project
module imports itself in a circle, counting the imports made inside functions (a lazy
import hides a circle from Python, not from the reader). Imports under ``TYPE_CHECKING``
are annotations only and do not count. Read from the source with ast, so the rule holds for
every module, imported by a test or not; the checker is tested on planted trees too."""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("branches", "rubrics", "assessments", "config")  # each may import only those before it


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the project module imported
    line: int
    top: bool  # at module level (run on import), not inside a function
    typing: bool = False  # under ``if TYPE_CHECKING:``: read by the type checker only


def project_modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of the packages by dotted name, migrations excluded."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module a dotted name stands for (a name inside a module → that module)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _targets(node: ast.AST, module: str, is_package: bool, modules: dict) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module if is_package else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        # `from pkg import name` imports pkg.name when that is a module, else pkg itself.
        names = [f"{base}.{alias.name}" for alias in node.names]
    return sorted({t for name in names if (t := _resolve(name, modules))})


def _walk(node: ast.AST, top: bool, type_checking: bool = False):
    """Every import node with whether it runs at import time and whether it is for the
    type checker only."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, top and not type_checking, type_checking
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _walk(child, False, type_checking)
        elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            yield from _walk(child, top, type_checking=True)
        else:
            yield from _walk(child, top, type_checking)


def imports(root: Path, packages: tuple[str, ...]) -> list[Import]:
    modules = project_modules(root, packages)
    found = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node, top, typing in _walk(tree, True):
            for target in _targets(node, module, is_package, modules):
                if target != module:
                    found.append(Import(module, target, node.lineno, top, typing))
    return found


def backward_edges(found: list[Import], layers: tuple[str, ...]) -> list[str]:
    """Imports, at any depth, from a room above the importing one."""
    rank = {name: n for n, name in enumerate(layers)}
    return sorted(
        f"{i.source}:{i.line} imports {i.target}"
        for i in found
        if rank[i.target.split(".")[0]] > rank[i.source.split(".")[0]]
    )


def _runtime_graph(found: list[Import]) -> dict[str, set[str]]:
    """Each module → the modules it imports when run (type checkers' imports aside)."""
    graph: dict[str, set[str]] = {}
    for i in found:
        if not i.typing:
            graph.setdefault(i.source, set()).add(i.target)
            graph.setdefault(i.target, set())
    return graph


def cycles(found: list[Import]) -> list[list[str]]:
    """Groups of modules that import each other in a circle, at import time or inside a
    function (Tarjan)."""
    graph = _runtime_graph(found)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


# -- the project --------------------------------------------------------------------------


def test_every_room_imports_only_the_rooms_below_it():
    found = imports(ROOT, LAYERS)
    assert len(found) > 100  # the parser sees the project's imports
    assert backward_edges(found, LAYERS) == []


def test_no_project_module_imports_itself_in_a_circle():
    assert cycles(imports(ROOT, LAYERS)) == []


# -- the checker, on planted trees --------------------------------------------------------


def _plant(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


PLANTED_LAYERS = ("low", "high")


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    _plant(
        tmp_path,
        {
            "low/__init__.py": "",
            "low/base.py": "import os\n\nVALUE = 1\n",
            "low/migrations/__init__.py": "",
            "low/migrations/0001_initial.py": "import high.views\n",  # migrations are skipped
            "high/__init__.py": "",
            "high/views.py": "from low.base import VALUE\nfrom . import pages\n",
            "high/pages.py": "from low import base\n",
        },
    )
    return tmp_path


def test_a_clean_tree_passes(planted: Path):
    found = imports(planted, PLANTED_LAYERS)
    assert {(i.source, i.target) for i in found} == {
        ("high.views", "low.base"),
        ("high.views", "high.pages"),
        ("high.pages", "low.base"),
    }
    assert backward_edges(found, PLANTED_LAYERS) == []
    assert cycles(found) == []


def test_a_planted_backward_import_fails_even_inside_a_function(planted: Path):
    _plant(planted, {"low/base.py": "def later():\n    from high.views import VALUE\n"})
    found = imports(planted, PLANTED_LAYERS)
    assert backward_edges(found, PLANTED_LAYERS) == ["low.base:2 imports high.views"]
    assert cycles(found) == [["high.pages", "high.views", "low.base"]]


def test_a_planted_cycle_fails(planted: Path):
    _plant(planted, {"high/pages.py": "from .views import VALUE\n"})
    found = imports(planted, PLANTED_LAYERS)
    assert cycles(found) == [["high.pages", "high.views"]]
    assert backward_edges(found, PLANTED_LAYERS) == []


def test_a_longer_cycle_through_a_package_fails(planted: Path):
    _plant(
        planted,
        {
            "high/__init__.py": "from .views import VALUE\n",
            "high/pages.py": "import high\n",
        },
    )
    assert cycles(imports(planted, PLANTED_LAYERS)) == [["high", "high.pages", "high.views"]]


def test_a_circle_through_an_import_inside_a_function_fails(planted: Path):
    _plant(planted, {"high/pages.py": "def later():\n    from .views import VALUE\n"})
    assert cycles(imports(planted, PLANTED_LAYERS)) == [["high.pages", "high.views"]]


def test_an_import_for_the_type_checker_is_no_cycle_but_still_a_backward_edge(planted: Path):
    _plant(
        planted,
        {
            "low/base.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
            "    from high import views\n",
        },
    )
    found = imports(planted, PLANTED_LAYERS)
    assert cycles(found) == []
    assert backward_edges(found, PLANTED_LAYERS) == ["low.base:4 imports high.views"]
