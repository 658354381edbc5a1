"""Views read through selectors and write through services: no view module touches a
model manager (``.objects`` or ``._default_manager``). Read from the source with ast."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("branches", "rubrics", "assessments", "config")
MANAGERS = {"objects", "_default_manager"}


def view_modules(root: Path, packages: tuple[str, ...]) -> list[Path]:
    """Every ``views.py``, ``views_*.py`` and module of a ``views`` package."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            if path.stem == "views" or path.stem.startswith("views_") or "views" in path.parts:
                found.append(path)
    return found


def manager_uses(root: Path, packages: tuple[str, ...]) -> list[str]:
    uses = []
    for path in view_modules(root, packages):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
                uses.append(f"{path.relative_to(root)}:{node.lineno} .{node.attr}")
    return uses


def test_no_view_touches_a_model_manager():
    assert len(view_modules(ROOT, APPS)) > 10  # the scan sees the views
    assert manager_uses(ROOT, APPS) == []


def test_the_scan_finds_a_planted_manager_call(tmp_path: Path):
    (tmp_path / "app" / "views").mkdir(parents=True)
    (tmp_path / "app" / "views" / "pages.py").write_text(
        "def page(request):\n    return Thing.objects.all()\n", encoding="utf-8"
    )
    (tmp_path / "app" / "views_extra.py").write_text(
        "def other(request):\n    return Thing._default_manager.first()\n", encoding="utf-8"
    )
    (tmp_path / "app" / "selectors.py").write_text(
        "def rows():\n    return Thing.objects.all()\n", encoding="utf-8"
    )
    assert manager_uses(tmp_path, ("app",)) == [
        "app/views/pages.py:2 .objects",
        "app/views_extra.py:2 ._default_manager",
    ]
