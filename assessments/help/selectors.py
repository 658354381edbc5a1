"""The user guide (``docs/user-guide.md``), read and rendered on the server.

The guide has one ``## <role>`` section per role (its heading names the role as the
header does, e.g. ``## 支部书记``); the help page shows a person the sections of their
own roles, with what comes before the first section and any section that names no role.
The markdown is rendered with raw HTML escaped, never passed through, and without images
(the guide's folder is not served)."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from branches import access
from branches.models import Role, User

GUIDE = Path(settings.BASE_DIR) / "docs" / "user-guide.md"

# "js-default": CommonMark with tables, raw HTML off (written out escaped), links to
# javascript:, vbscript: and data: refused.
_markdown = MarkdownIt("js-default").disable("image")


@dataclass(frozen=True)
class Section:
    title: str
    roles: frozenset[str]  # the Role values the heading names; empty: for everyone
    html: SafeString


@dataclass(frozen=True)
class Guide:
    title: str
    intro: SafeString
    sections: tuple[Section, ...]

    def roles(self) -> list[tuple[str, str]]:
        """(value, label) of the roles the guide has a section for, in the header's order."""
        named = set().union(*(s.roles for s in self.sections))
        return [(value, label) for value, label in Role.choices if value in named]


def _render(text: str) -> SafeString:
    # Safe to mark: markdown-it writes raw HTML out escaped ("html" is off).
    return mark_safe(_markdown.render(text))


def _roles_named(title: str) -> frozenset[str]:
    return frozenset(value for value, label in Role.choices if label in title)


def parse_guide(text: str) -> Guide:
    """Cut the guide at its ``## `` headings (not inside fenced code) and render each part;
    a leading ``# `` heading becomes the guide's title."""
    title = ""
    intro: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    fence = ""
    for line in text.splitlines():
        stripped = line.strip()
        if fence:
            fence = "" if stripped.startswith(fence) else fence
        elif stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif line.startswith("## "):
            sections.append((line[3:].strip(), []))
            continue
        elif line.startswith("# ") and not title and not sections and not "".join(intro).strip():
            title = line[2:].strip()
            continue
        (sections[-1][1] if sections else intro).append(line)
    return Guide(
        title=title,
        intro=_render("\n".join(intro)),
        sections=tuple(
            Section(heading, _roles_named(heading), _render("\n".join(body)))
            for heading, body in sections
        ),
    )


@lru_cache(maxsize=4)
def _parsed(path: str, modified: int) -> Guide:
    return parse_guide(Path(path).read_text(encoding="utf-8"))


def read_guide(path: Path | None = None) -> Guide | None:
    """The guide at ``path`` (the project's, ``GUIDE``, by default), parsed once per
    change of the file; None while there is none."""
    path = GUIDE if path is None else path
    try:
        modified = path.stat().st_mtime_ns
    except OSError:
        return None
    return _parsed(str(path), modified)


def sections_for(guide: Guide, user: User, role: str = "") -> list[Section]:
    """The sections to show: those of ``role`` when asked, else those of the user's own
    roles (a superuser's: all), with the sections that name no role. When none of the
    user's roles has a section, the whole guide."""
    if role == "all" or (not role and user.is_superuser):
        return list(guide.sections)
    wanted = {role} if role else access.roles(user)
    chosen = [s for s in guide.sections if not s.roles or s.roles & wanted]
    if not any(s.roles for s in chosen):
        return list(guide.sections)
    return chosen
