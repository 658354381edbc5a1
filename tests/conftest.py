"""Shared fixtures: a small organization tree and one person per role.

R  华西集团党委 (committee, root)          ← reviewer, dept_admin, leader, sysadmin, auditor,
│                                           security_admin
├─ E1 一公司党委 (committee)
│   └─ G 一厂党总支 (general branch)
│       └─ A 甲党支部 (branch)              ← secretary_a
│           └─ A1 甲一党小组 (group)
└─ E2 二公司党委 (committee)               ← dept_admin_e2
    └─ B 乙党支部 (branch)                 ← secretary_b
"""

import hashlib
import io
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.db import transaction
from django.test import override_settings

from branches.models import Membership, Organization, OrgKind, Role, User
from branches.services import place_subtree

PASSWORD = "Kaoping#2026"


# What every test runs with; the module fixtures of `shared_data` build with it too.
SHARED_SETTINGS = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "TASKS": {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}},
    # Signing renders nothing in the suite (tasks run at once here, and a journey signs
    # dozens of sheets); tests/journeys/test_reports_on_signing.py turns it on.
    "REPORTS_ON_SIGNING": False,
}


@pytest.fixture(autouse=True, scope="session")
def _render_each_pdf_once():
    """The same HTML always makes the same PDF: the suite renders each document once and
    hands the same bytes to every later request for it (the fuzz test asks for one sheet's
    report dozens of times). A call with its own fetcher, to see what it fetches, always
    renders."""
    from assessments import pdf

    original = pdf.html_to_pdf
    rendered: dict[str, bytes] = {}

    def html_to_pdf(html: str, *, fetcher=None) -> bytes:
        if fetcher is not None:
            return original(html, fetcher=fetcher)
        key = hashlib.sha256(html.encode()).hexdigest()
        if key not in rendered:
            if len(rendered) >= 64:
                rendered.pop(next(iter(rendered)))
            rendered[key] = original(html)
        return rendered[key]

    pdf.html_to_pdf = html_to_pdf
    yield
    pdf.html_to_pdf = original


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = SHARED_SETTINGS["PASSWORD_HASHERS"]


@pytest.fixture(autouse=True, scope="session")
def _second_factor_on_force_login():
    """`client.force_login(user)` stands for a whole login: for a user who must prove a
    second factor, it also types the code of their (test) phone into the real verify
    page, as they would after their password. For the whole session, so that module
    fixtures logging people in get it too."""
    from django.test import Client

    from branches.second_factor.selectors import requires_second_factor
    from tests import otp

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        user = User.objects.get(pk=user.pk)  # its roles as stored now
        if requires_second_factor(user):
            otp.prove(self, user)

    Client.force_login = force_login
    yield
    Client.force_login = original


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    settings.TASKS = SHARED_SETTINGS["TASKS"]
    settings.REPORTS_ON_SIGNING = SHARED_SETTINGS["REPORTS_ON_SIGNING"]


# Django's setUpTestData for pytest: a module (or package) fixture builds its objects once inside
# `shared_data`, a transaction rolled back when the module ends; each test that uses them runs
# in a savepoint (the `db` fixture) rolled back after it, so one test's writes never reach
# the next. Files the objects stored are copied into each test's own MEDIA_ROOT.
_open_shared_data: list[str] = []  # the fixture holding the module's transaction open


@contextmanager
def shared_data(fixture: str, django_db_blocker, media: Path) -> Iterator[None]:
    """Build inside the block; what it builds lives until the block ends, then is rolled
    back. `fixture` names the module fixture: a database test of that module that does not
    use it would run inside its data, and is failed instead."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        with override_settings(MEDIA_ROOT=media, **SHARED_SETTINGS), django_db_blocker.unblock():
            _open_shared_data.append(fixture)
            yield
    finally:
        if _open_shared_data[-1:] == [fixture]:
            _open_shared_data.pop()
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def copy_media(source: Path, target: Path) -> None:
    """The shared objects' files, fresh for one test (a test may delete or replace them)."""
    if source.exists():
        shutil.copytree(source, target, dirs_exist_ok=True)


@pytest.fixture(autouse=True)
def _outside_shared_data(request):
    if not _open_shared_data or _open_shared_data[-1] in request.fixturenames:
        return
    if request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    ):
        pytest.fail(
            f"{request.node.nodeid} uses the database inside the data of the module fixture "
            f"{_open_shared_data[-1]!r} without using it: move it before the tests that do, "
            "or into another module."
        )


def xining_start(today: date) -> date:
    """A 西宁 plan's start that has every stage open by ``today``: the first day of the
    month three months back (自查自评 to its end, 交叉互评 to the next month but one's end,
    抽查点评 through this month)."""
    months = today.year * 12 + today.month - 1 - 3
    return date(months // 12, months % 12 + 1, 1)


def make_org(code: str, kind: str, parent: Organization | None = None, **fields) -> Organization:
    fields.setdefault("name", f"{code}组织")
    org = Organization.objects.create(code=code, kind=kind, parent=parent, **fields)
    place_subtree(org)
    return org


def make_user(username: str, *grants: tuple[Organization, str], **fields) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, name=fields.pop("name", username), **fields
    )
    for org, role in grants:
        Membership.objects.create(user=user, organization=org, role=role)
    return user


@dataclass
class Tree:
    root: Organization
    e1: Organization
    e2: Organization
    g: Organization
    a: Organization
    a1: Organization
    b: Organization


def make_tree() -> Tree:
    root = make_org("R", OrgKind.COMMITTEE, name="华西集团党委")
    e1 = make_org("E1", OrgKind.COMMITTEE, root, name="一公司党委")
    e2 = make_org("E2", OrgKind.COMMITTEE, root, name="二公司党委")
    g = make_org("G", OrgKind.GENERAL_BRANCH, e1, name="一厂党总支", full_members=60)
    a = make_org("A", OrgKind.BRANCH, g, name="甲党支部", full_members=12)
    a1 = make_org("A1", OrgKind.GROUP, a, name="甲一党小组", full_members=5)
    b = make_org("B", OrgKind.BRANCH, e2, name="乙党支部", full_members=8)
    return Tree(root, e1, e2, g, a, a1, b)


# One person per role: username, organization on the tree (None: no role), role, name.
PEOPLE = {
    "secretary_a": ("sec_a", "a", Role.SECRETARY, "甲书记"),
    "secretary_b": ("sec_b", "b", Role.SECRETARY, "乙书记"),
    "reviewer": ("reviewer", "root", Role.REVIEWER, "考评员"),
    "dept_admin": ("dept", "root", Role.DEPT_ADMIN, "党群部"),
    "dept_admin_e2": ("dept_e2", "e2", Role.DEPT_ADMIN, "二公司党群部"),
    "leader": ("leader", "root", Role.LEADER, "领导"),
    "sysadmin": ("sysadmin", "root", Role.SYSADMIN, "系统管理员"),
    "auditor": ("auditor", "root", Role.AUDITOR, "审计员"),
    "security_admin": ("security", "root", Role.SECURITY_ADMIN, "安全管理员"),
    "outsider": ("outsider", None, None, "局外人"),
}


def make_person(tree: Tree | None, person: str) -> User:
    """The person of the fixture of that name (`make_person(tree, "reviewer")`)."""
    username, org, role, name = PEOPLE[person]
    grants = [(getattr(tree, org), role)] if org else []
    return make_user(username, *grants, name=name)


def make_superuser() -> User:
    return User.objects.create_superuser(username="root", password=PASSWORD, name="超级管理员")


@pytest.fixture
def tree(db) -> Tree:
    return make_tree()


@pytest.fixture
def secretary_a(tree) -> User:
    return make_person(tree, "secretary_a")


@pytest.fixture
def secretary_b(tree) -> User:
    return make_person(tree, "secretary_b")


@pytest.fixture
def reviewer(tree) -> User:
    return make_person(tree, "reviewer")


@pytest.fixture
def dept_admin(tree) -> User:
    return make_person(tree, "dept_admin")


@pytest.fixture
def dept_admin_e2(tree) -> User:
    return make_person(tree, "dept_admin_e2")


@pytest.fixture
def leader(tree) -> User:
    return make_person(tree, "leader")


@pytest.fixture
def sysadmin(tree) -> User:
    return make_person(tree, "sysadmin")


@pytest.fixture
def auditor(tree) -> User:
    return make_person(tree, "auditor")


@pytest.fixture
def security_admin(tree) -> User:
    return make_person(tree, "security_admin")


@pytest.fixture
def outsider(db) -> User:
    return make_person(None, "outsider")


@pytest.fixture
def superuser(db) -> User:
    return make_superuser()


def xlsx_bytes(headers: list[str], rows: list[list]) -> bytes:
    """A real .xlsx written by openpyxl, as a person would save it from Excel."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_xlsx_rows(content: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def make_rubric(code: str = "demo-rubric"):
    """A small rubric: v1 published (one scored item, one custom slot, a veto), v2 draft."""
    from django.utils import timezone

    from rubrics.models import (
        GradeBand,
        Indicator,
        IndicatorKind,
        Rubric,
        RubricVersion,
        Section,
        VersionStatus,
    )

    rubric = Rubric.objects.create(
        code=code, name="示例标准", issuer="党群部", source_document="示例文件", assesses=["branch"]
    )
    versions = []
    for number in (1, 2):
        version = RubricVersion.objects.create(rubric=rubric, number=number, method="points")
        section = Section.objects.create(version=version, code="1", title="基本要求", points=10)
        Indicator.objects.create(
            version=version, section=section, code="1.1", text="三会一课", points=5, is_key=True
        )
        Indicator.objects.create(
            version=version,
            section=section,
            code="P1",
            text="个性指标",
            points=5,
            kind=IndicatorKind.CUSTOM,
            position=1,
        )
        Indicator.objects.create(
            version=version,
            section=section,
            code="V1",
            text="否决",
            points=0,
            kind=IndicatorKind.VETO,
            position=2,
        )
        GradeBand.objects.create(version=version, label="达标", minimum=8, position=0)
        GradeBand.objects.create(
            version=version, label="不达标", minimum=None, passed=False, position=1
        )
        versions.append(version)
    RubricVersion.objects.filter(pk=versions[0].pk).update(
        status=VersionStatus.PUBLISHED, published_at=timezone.now()
    )
    versions[0].refresh_from_db()
    return versions


def open_every_stage(campaign) -> None:
    """Every stage of the campaign's plan open from its first day, each keeping its
    deadline: for tests that submit a later stage's sheet on the day the campaign starts
    (a sheet cannot be submitted before its stage opens)."""
    first = campaign.stages.order_by("position").values_list("opens_on", flat=True).first()
    campaign.stages.update(opens_on=first)
