"""Large tree and people imports: the query count does not grow with the rows, moved
subtrees are placed in one pass, every change is audited, and a large file is checked and
stored by the task worker while its page shows the progress."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches import importing
from branches.models import (
    AuditEntry,
    ImportJob,
    ImportKind,
    ImportStatus,
    Membership,
    Organization,
    User,
)
from tests.branches.test_import_export import ORG_HEADERS, PEOPLE_HEADERS, org_row
from tests.conftest import xlsx_bytes


def _branches(count: int, *, prefix: str = "N") -> list[list]:
    """``count`` rows: one 党总支 under E1 and 党支部 under it, each with a 党小组."""
    rows = [org_row(f"{prefix}G", "新党总支", "党总支", "E1")]
    for i in range((count - 1) // 2):
        rows.append(org_row(f"{prefix}{i}", f"支部{i}", "党支部", f"{prefix}G"))
        rows.append(
            org_row(f"{prefix}{i}-1", f"小组{i}", "党小组", f"{prefix}{i}", **{"任期开始": None})
        )
    return rows


def _queries(by, kind, rows, headers) -> tuple[int, int, ImportJob]:
    content = xlsx_bytes(headers, rows)
    with CaptureQueriesContext(connection) as preview:
        job = importing.start_import(by=by, kind=kind, filename="big.xlsx", content=content)
    assert job.summary["ok"], [r for r in job.summary["rows"] if r["errors"]][:3]
    with CaptureQueriesContext(connection) as apply:
        importing.apply_import(job, by=by)
    return len(preview), len(apply), job


def test_tree_import_costs_the_same_queries_for_21_or_401_rows(tree, dept_admin, settings):
    settings.IMPORT_BACKGROUND_ROWS = 10_000
    small = _queries(dept_admin, ImportKind.ORGANIZATIONS, _branches(21, prefix="S"), ORG_HEADERS)
    dept_admin = User.objects.get(pk=dept_admin.pk)  # a fresh membership cache
    large = _queries(dept_admin, ImportKind.ORGANIZATIONS, _branches(401, prefix="L"), ORG_HEADERS)
    assert small[:2] == large[:2], (small[:2], large[:2])
    # (7: the importer's roles, then their organizations by key: branches.access.memberships)
    assert large[0] <= 7 and large[1] <= 11, large[:2]
    assert Organization.objects.filter(code__startswith="L").count() == 401
    group = Organization.objects.select_related("parent__parent").get(code="L199-1")
    assert group.parent.code == "L199" and group.parent.parent.code == "LG"
    assert (
        group.path
        == f"{tree.root.path}{tree.e1.pk}/{group.parent.parent.pk}/{group.parent.pk}/{group.pk}/"
    )
    assert group.depth == 4 and group.enterprise_id == tree.e1.pk


def test_people_import_costs_the_same_queries_for_10_or_300_rows(tree, superuser):
    """A superuser both creates the accounts and grants their roles (三员分立 splits the
    two between the 系统管理员 and the 安全管理员; the superuser does both in one file)."""
    sysadmin = superuser

    def rows(count, prefix):
        return [
            [f"{prefix}{i:04d}", f"人员{i}", "", "", "A" if i % 2 else "E1", "", "考评员"]
            for i in range(count)
        ]

    small = _queries(sysadmin, ImportKind.PEOPLE, rows(10, "7"), PEOPLE_HEADERS)
    sysadmin = User.objects.get(pk=sysadmin.pk)
    large = _queries(sysadmin, ImportKind.PEOPLE, rows(300, "8"), PEOPLE_HEADERS)
    assert small[:2] == large[:2], (small[:2], large[:2])
    assert Membership.objects.filter(user__username__startswith="8").count() == 300
    assert not User.objects.get(username="80001").has_usable_password()


def test_moving_a_node_moves_its_whole_subtree_and_audits_only_the_row(tree, superuser):
    job = importing.start_import(
        by=superuser,
        kind=ImportKind.ORGANIZATIONS,
        filename="move.xlsx",
        content=xlsx_bytes(ORG_HEADERS, [org_row("G", "一厂党总支", "党总支", "E2")]),
    )
    assert job.summary["counts"]["update"] == 1, job.summary
    assert Organization.objects.get(code="A1").enterprise_id == tree.e1.pk  # preview only
    importing.apply_import(job, by=superuser)
    for code in ("G", "A", "A1"):
        org = Organization.objects.get(code=code)
        assert org.path.startswith(tree.e2.path) and org.enterprise_id == tree.e2.pk, code
    entries = AuditEntry.objects.filter(source="import", action="update")
    assert [e.object_repr for e in entries] == ["一厂党总支"]
    assert entries[0].actor == superuser
    assert entries[0].changes["parent"] == {
        "label": "上级组织",
        "old": "一公司党委",
        "new": "二公司党委",
    }


def test_created_rows_are_audited_like_a_page_would(tree, dept_admin):
    job = importing.start_import(
        by=dept_admin,
        kind=ImportKind.ORGANIZATIONS,
        filename="new.xlsx",
        content=xlsx_bytes(ORG_HEADERS, [org_row("N1", "新支部", "党支部", "E1")]),
    )
    importing.apply_import(job, by=dept_admin)
    entry = AuditEntry.objects.get(source="import", action="create")
    assert entry.actor == dept_admin and entry.object_repr == "新支部"
    assert entry.changes["parent"]["new"] == "一公司党委"
    assert entry.org_path == Organization.objects.get(code="N1").path


@pytest.fixture
def queued_tasks(settings):
    """Tasks go to the database queue; the test runs the worker when it chooses."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.IMPORT_BACKGROUND_ROWS = 5

    def run_worker():
        """What db_worker does with each queued task, in this test's transaction."""
        from django_tasks_db.models import DBTaskResult

        for result in DBTaskResult.objects.ready():
            result.claim("test")
            result.set_successful(result.task.call(**result.args_kwargs["kwargs"]))

    return run_worker


def test_a_large_file_is_previewed_and_stored_by_the_worker(tree, dept_admin, client, queued_tasks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(dept_admin)
    content = xlsx_bytes(ORG_HEADERS, _branches(7))
    response = client.post(
        reverse("import_upload", args=["organizations"]),
        {"file": SimpleUploadedFile("big.xlsx", content)},
    )
    url = response["Location"]
    page = client.get(url).content.decode()
    assert "正在试导入" in page and 'role="progressbar"' in page and "共 7 行" in page
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 200

    queued_tasks()
    done = client.get(url, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"
    assert "新增 7" in client.get(url).content.decode()
    assert not Organization.objects.filter(code="NG").exists()

    client.post(url + "confirm/")
    assert ImportJob.objects.get().status == ImportStatus.APPLYING
    assert "正在导入" in client.get(url).content.decode()
    again = client.post(url + "confirm/", follow=True)
    assert "正在导入" in again.content.decode()
    queued_tasks()
    assert ImportJob.objects.get().status == ImportStatus.APPLIED
    assert Organization.objects.filter(code__startswith="N").count() == 7
    assert "该文件已于" in client.get(url).content.decode()


def test_the_upload_page_states_the_limits_in_force(tree, dept_admin, client, settings):
    settings.IMPORT_MAX_ROWS, settings.IMPORT_BACKGROUND_ROWS = 20_000, 1000
    client.force_login(dept_admin)
    page = client.get(reverse("import_upload", args=["organizations"])).content.decode()
    assert "不超过 5 MB、20000 行（1000 行以上由后台处理" in page
