"""Shared fixtures: a small organization tree and one person per role.

R  华西集团党委 (committee, root)          ← reviewer, dept_admin, leader, sysadmin, auditor
├─ E1 一公司党委 (committee)
│   └─ G 一厂党总支 (general branch)
│       └─ A 甲党支部 (branch)              ← secretary_a
│           └─ A1 甲一党小组 (group)
└─ E2 二公司党委 (committee)               ← dept_admin_e2
    └─ B 乙党支部 (branch)                 ← secretary_b
"""

import io
from dataclasses import dataclass

import openpyxl
import pytest

from branches.models import Membership, Organization, OrgKind, Role, User
from branches.services import place_subtree

PASSWORD = "Kaoping#2026"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


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


@pytest.fixture
def tree(db) -> Tree:
    root = make_org("R", OrgKind.COMMITTEE, name="华西集团党委")
    e1 = make_org("E1", OrgKind.COMMITTEE, root, name="一公司党委")
    e2 = make_org("E2", OrgKind.COMMITTEE, root, name="二公司党委")
    g = make_org("G", OrgKind.GENERAL_BRANCH, e1, name="一厂党总支", full_members=60)
    a = make_org("A", OrgKind.BRANCH, g, name="甲党支部", full_members=12)
    a1 = make_org("A1", OrgKind.GROUP, a, name="甲一党小组", full_members=5)
    b = make_org("B", OrgKind.BRANCH, e2, name="乙党支部", full_members=8)
    return Tree(root, e1, e2, g, a, a1, b)


@pytest.fixture
def secretary_a(tree) -> User:
    return make_user("sec_a", (tree.a, Role.SECRETARY), name="甲书记")


@pytest.fixture
def secretary_b(tree) -> User:
    return make_user("sec_b", (tree.b, Role.SECRETARY), name="乙书记")


@pytest.fixture
def reviewer(tree) -> User:
    return make_user("reviewer", (tree.root, Role.REVIEWER), name="考评员")


@pytest.fixture
def dept_admin(tree) -> User:
    return make_user("dept", (tree.root, Role.DEPT_ADMIN), name="党群部")


@pytest.fixture
def dept_admin_e2(tree) -> User:
    return make_user("dept_e2", (tree.e2, Role.DEPT_ADMIN), name="二公司党群部")


@pytest.fixture
def leader(tree) -> User:
    return make_user("leader", (tree.root, Role.LEADER), name="领导")


@pytest.fixture
def sysadmin(tree) -> User:
    return make_user("sysadmin", (tree.root, Role.SYSADMIN), name="系统管理员")


@pytest.fixture
def auditor(tree) -> User:
    return make_user("auditor", (tree.root, Role.AUDITOR), name="审计员")


@pytest.fixture
def outsider(db) -> User:
    return make_user("outsider", name="局外人")


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser(username="root", password=PASSWORD, name="超级管理员")


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
