"""One home per rule, read from the source: the calendar's quarter arithmetic lives only in
``branches/toolkit/periods.py``, and no production module leans on a demo module (the
demo loaders and the command that loads the demo may). The checkers are tested on planted
trees too."""

import io
import re
import tokenize
from pathlib import Path

import pytest

from tests.test_import_graph import LAYERS, imports

ROOT = Path(__file__).resolve().parent.parent
PERIODS = Path("branches/toolkit/periods.py")
SCANNED = (*LAYERS, "tests")

# Written out by hand, each of these works out a quarter: the quarter of a month, the first
# or last month of a quarter, the quarter before or after one.
QUARTER_ARITHMETIC = [
    re.compile(p)
    for p in (
        r"month\s*-\s*1\s*\)\s*//\s*3",  # (month - 1) // 3
        r"//\s*3\s*\+\s*1",  # … // 3 + 1
        r"\b(quarter|q|QUARTER)\s*-\s*1\s*\)\s*\*\s*3",  # (quarter - 1) * 3
        r"\b(quarter|q|QUARTER)\s*\*\s*3\b",  # quarter * 3
        r"\b3\s*\*\s*\(?\s*(quarter|q|QUARTER)\b",  # 3 * quarter
        r"else\s*\(\s*\w+\s*[-+]\s*1\s*,\s*[14]\s*\)",  # … else (year - 1, 4)
    )
]


def _code_lines(text: str) -> dict[int, str]:
    """Line number → the line's code tokens, comments and string literals left out (so a
    docstring may speak of quarters, and this module may spell the patterns)."""
    skip = {tokenize.COMMENT, tokenize.STRING, tokenize.FSTRING_MIDDLE}
    lines: dict[int, list[str]] = {}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type not in skip and token.string.strip():
            lines.setdefault(token.start[0], []).append(token.string)
    return {n: " ".join(parts) for n, parts in lines.items()}


def quarter_arithmetic(root: Path, packages: tuple[str, ...]) -> list[str]:
    """file:line of every hand-written quarter computation outside the periods module."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if relative == PERIODS or "migrations" in relative.parts:
                continue
            for n, code in _code_lines(path.read_text(encoding="utf-8")).items():
                if any(p.search(code) for p in QUARTER_ARITHMETIC):
                    found.append(f"{relative}:{n}")
    return found


def _may_use_demo(module: str) -> bool:
    """The demo loaders themselves and the command that loads the demo."""
    return "demo" in module


def demo_imports(root: Path, packages: tuple[str, ...]) -> list[str]:
    """Production modules that import a demo module."""
    return sorted(
        f"{i.source}:{i.line} imports {i.target}"
        for i in imports(root, packages)
        if "demo" in i.target.rpartition(".")[2] and not _may_use_demo(i.source)
    )


# -- the project --------------------------------------------------------------------------


def test_quarter_arithmetic_lives_only_in_the_periods_module():
    assert (ROOT / PERIODS).exists()
    assert quarter_arithmetic(ROOT, SCANNED) == []


def test_no_production_module_imports_a_demo_module():
    assert demo_imports(ROOT, LAYERS) == []


# -- the checkers, on planted trees -------------------------------------------------------


def _plant(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    "line",
    [
        "q = (day.month - 1) // 3 + 1",
        "q = (today.month-1)//3+1",
        "first = date(year, 3 * quarter - 2, 1)",
        "last = quarter * 3",
        "start = (quarter - 1) * 3 + 1",
        "prev = (year, quarter - 1) if quarter > 1 else (year - 1, 4)",
        "nxt = (year, quarter + 1) if quarter < 4 else (year + 1, 1)",
    ],
)
def test_a_planted_quarter_computation_is_found(tmp_path: Path, line: str):
    _plant(tmp_path, {"app/__init__.py": "", "app/views.py": f'"""Doc."""\n\n{line}\n'})
    assert quarter_arithmetic(tmp_path, ("app",)) == ["app/views.py:3"]


def test_quarters_in_words_strings_and_the_periods_module_pass(tmp_path: Path):
    _plant(
        tmp_path,
        {
            "branches/toolkit/periods.py": "q = (day.month - 1) // 3 + 1\n",
            "branches/views.py": (
                '"""The quarter is (month - 1) // 3 + 1."""\n'
                "# last month: quarter * 3\n"
                'PATTERN = r"quarter * 3"\n'
                'label = f"第{quarter}季度 of {n * 3} months"\n'
                "pages = count // 30 + 1\n"
            ),
            "branches/migrations/0001_initial.py": "q = quarter * 3\n",
        },
    )
    assert quarter_arithmetic(tmp_path, ("branches",)) == []


def test_a_planted_demo_import_is_found(tmp_path: Path):
    _plant(
        tmp_path,
        {
            "low/__init__.py": "",
            "low/demo.py": "def quarter_of(day):\n    return day\n",
            "low/views.py": "from .demo import quarter_of\n",
            "low/demo_meetings.py": "from .demo import quarter_of\n",
            "low/management/__init__.py": "",
            "low/management/commands/__init__.py": "",
            "low/management/commands/load_demo.py": "from ... import demo\n",
        },
    )
    assert demo_imports(tmp_path, ("low",)) == ["low.views:1 imports low.demo"]
