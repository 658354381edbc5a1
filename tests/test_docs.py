"""The documentation's links resolve: every relative link in README.md and docs/*.md names
a file of the repository, and every #anchor names a heading of its target (GitHub's
slugs: lower case, punctuation dropped, each space a hyphen, -1, -2 … for repeats)."""

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

LINK = re.compile(r"(?<!!)\[(?:[^\]]|\][^(])*?\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def prose(text: str) -> str:
    """The text without fenced blocks (shell comments there are not headings)."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in prose(path.read_text(encoding="utf-8")).splitlines():
        match = re.match(r"#{1,6} (.+?)\s*#*$", line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> list[str]:
    text = INLINE_CODE.sub("", prose(path.read_text(encoding="utf-8")))
    return [
        target
        for target in LINK.findall(text)
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto: …
    ]


def pending_move(target: Path) -> bool:
    """docs/deploy.md is written by the move of README's deploy section; until that move
    lands the section is still in README and the link may point ahead."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return target == ROOT / "docs" / "deploy.md" and (
        "\n## Deploying on an intranet server\n" in readme
    )


def test_slugs_follow_github():
    assert slug("Run it, test it") == "run-it-test-it"
    assert slug("Speed (`make bench`)") == "speed-make-bench"
    assert slug("Workbench and message centre (我的待办、站内通知)") == (
        "workbench-and-message-centre-我的待办站内通知"
    )


def test_the_docs_are_there():
    names = {p.relative_to(ROOT).as_posix() for p in DOCS}
    for name in (
        "README.md",
        "docs/user-guide.md",
        "docs/operations.md",
        "docs/architecture.md",
        "docs/benchmarks.md",
        "docs/development.md",
    ):
        assert name in names


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(doc: Path):
    broken = []
    for target in links(doc):
        file_part, _, anchor = target.partition("#")
        path = (doc.parent / file_part).resolve() if file_part else doc
        if pending_move(path):
            continue
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (path.suffix != ".md" or anchor not in anchors(path)):
            broken.append(f"{target}: no heading with the anchor #{anchor}")
    assert not broken, f"{doc.name}: " + "; ".join(broken)


def test_silences_table_is_in_the_user_guide():
    """The table of what the product assumes where the documents are silent."""
    guide = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    assert "文件未明确之处：本系统的理解" in guide
    assert "| doc | the document | the product assumes |" in guide
