"""Excel import and export of the tree and of people: real .xlsx files through openpyxl."""

import io
import zipfile

import openpyxl
import pytest
from django.urls import reverse

from branches import importers, importing
from branches.exports import OrganizationExport, PeopleExport
from branches.importing import ImportRejected
from branches.models import (
    CrossReviewGroup,
    ImportKind,
    Member,
    Membership,
    Organization,
    OrgKind,
    Role,
    User,
)
from branches.toolkit.spreadsheets import SpreadsheetError
from tests.conftest import make_user, read_xlsx_rows, xlsx_bytes

ORG_HEADERS = [
    "编码",
    "名称",
    "类型",
    "上级编码",
    "联合党支部",
    "成立日期",
    "任期开始",
    "任期届满",
    "正式党员数",
    "预备党员数",
    "类别",
    "软弱涣散",
    "星级",
    "书记",
    "委员",
]


def org_row(code, name, kind, parent, **over):
    row = dict(
        zip(
            ORG_HEADERS,
            [
                code,
                name,
                kind,
                parent,
                "否",
                "2015-03-01",
                None,
                None,
                10,
                1,
                "一般",
                "否",
                3,
                "张三",
                "李四、王五",
            ],
            strict=True,
        )
    )
    row.update(over)
    return [row[h] for h in ORG_HEADERS]


def import_orgs(by, rows, headers=ORG_HEADERS):
    job = importing.start_import(
        by=by,
        kind=ImportKind.ORGANIZATIONS,
        filename="tree.xlsx",
        content=xlsx_bytes(headers, rows),
    )
    return job


def facts(org: Organization) -> tuple:
    return (
        org.code,
        org.name,
        org.kind,
        org.parent.code if org.parent else None,
        org.is_joint,
        org.established_on,
        org.term_start,
        org.term_end,
        org.full_members,
        org.probationary_members,
        org.category,
        org.weak_and_lax,
        org.star_level,
        org.secretary_name,
        org.committee_members,
        org.path.count("/"),
    )


def test_demo_tree_export_then_import_into_empty_database_reproduces_it(db, superuser):
    from django.core.management import call_command

    call_command("load_demo")
    from assessments.models import Meeting

    Meeting.objects.all().delete()  # the demo's meeting records hang on the rosters
    before = {o.code: facts(o) for o in Organization.objects.select_related("parent")}
    _, _, content = OrganizationExport(by=superuser).render()

    # Empty the database of organizations (and what hangs on them).
    CrossReviewGroup.objects.all().delete()
    Membership.objects.all().delete()
    Member.objects.all().delete()  # the demo's rosters
    while Organization.objects.exists():
        Organization.objects.filter(children__isnull=True).delete()

    job = importing.start_import(
        by=superuser, kind=ImportKind.ORGANIZATIONS, filename="export.xlsx", content=content
    )
    assert job.summary["ok"], job.summary
    assert job.summary["counts"]["new"] == len(before)
    assert not Organization.objects.exists(), "the preview must not store anything"
    importing.apply_import(job, by=superuser)

    after = {o.code: facts(o) for o in Organization.objects.select_related("parent")}
    assert after == before


def test_export_has_chinese_headers_and_labels(tree, dept_admin):
    filename, content_type, content = OrganizationExport(by=dept_admin).render()
    rows = read_xlsx_rows(content)
    assert rows[0] == ORG_HEADERS
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["A"][2] == "党支部"
    assert by_code["A"][3] == "G"
    assert filename.endswith(".xlsx") and "spreadsheetml" in content_type


def test_reimporting_an_export_changes_nothing(tree, dept_admin):
    _, _, content = OrganizationExport(by=dept_admin).render()
    job = importing.start_import(
        by=dept_admin, kind=ImportKind.ORGANIZATIONS, filename="same.xlsx", content=content
    )
    # The root row has no parent; it is unchanged, so it is accepted as "no change".
    assert job.summary["ok"], job.summary["rows"]
    assert job.summary["counts"]["skip"] == Organization.objects.count()


def test_one_bad_row_imports_nothing_and_names_row_and_reason(tree, dept_admin):
    rows = [
        org_row("N1", "新一支部", "党支部", "E1"),
        org_row("N2", "新二支部", "党支部", "E1", **{"正式党员数": -4}),
        org_row("N3", "新三支部", "党支部", "E1"),
    ]
    job = import_orgs(dept_admin, rows)
    assert not job.summary["ok"]
    errors = [r for r in job.summary["rows"] if r["errors"]]
    assert [r["row"] for r in errors] == [3]
    assert "正式党员数" in errors[0]["errors"][0] and "负数" in errors[0]["errors"][0]
    with pytest.raises(ImportRejected):
        importing.apply_import(job, by=dept_admin)
    assert not Organization.objects.filter(code__in=["N1", "N2", "N3"]).exists()


@pytest.mark.parametrize(
    ("rows", "bad_row", "reason"),
    [
        ([org_row("N1", "甲", "党支部", "NOPE")], 2, "上级编码“NOPE”不存在"),
        (
            [org_row("N1", "甲", "党支部", "E1"), org_row("N1", "乙", "党支部", "E1")],
            3,
            "与第 2 行重复",
        ),
        ([org_row("N1", "甲", "党支部", "E1"), org_row("A", "甲", "党支部", "E1")], None, None),
        (
            [org_row("X1", "甲", "党委", "X2"), org_row("X2", "乙", "党委", "X1")],
            2,
            "上级关系形成循环",
        ),
        ([org_row("N1", "甲", "党支部", "E1", **{"成立日期": "2020-13-45"})], 2, "日期格式不正确"),
        ([org_row("N1", "甲", "党支部", "E1", **{"正式党员数": -1})], 2, "不能为负数"),
        ([org_row("N1", "甲", "支部", "E1")], 2, "未知的类型“支部”"),
        ([org_row("N1", "甲", "党小组", "E1")], 2, "党小组的上级只能是"),
        ([org_row("E1", "一公司党委", "党委", "A")], 2, "循环"),
    ],
    ids=[
        "unknown-parent",
        "duplicate-code",
        "update-ok",
        "cycle-in-file",
        "bad-date",
        "negative-count",
        "unknown-kind",
        "wrong-parent-kind",
        "cycle-with-database",
    ],
)
def test_row_errors_are_numbered_and_chinese(tree, dept_admin, rows, bad_row, reason):
    job = import_orgs(dept_admin, rows)
    errors = [r for r in job.summary["rows"] if r["errors"]]
    if bad_row is None:
        assert job.summary["ok"], errors
        return
    assert bad_row in [r["row"] for r in errors]
    messages = " ".join(m for r in errors for m in r["errors"])
    assert reason in messages


def test_admin_cannot_import_outside_their_subtree(tree, dept_admin_e2):
    job = import_orgs(dept_admin_e2, [org_row("N1", "越权", "党支部", "E1")])
    assert not job.summary["ok"]
    assert "不在您的管理范围内" in job.summary["rows"][0]["errors"][0]


PEOPLE_HEADERS = ["工号", "姓名", "邮箱", "手机", "组织编码", "组织名称", "角色"]


def test_people_import_creates_accounts_without_known_passwords(tree, sysadmin, security_admin):
    """三员分立: the 系统管理员's import makes the accounts, the 安全管理员's their roles."""
    accounts = [
        ["200001", "新书记", "", "", "", "", ""],
        ["200002", "新考评", "k@example.com", "", "", "", ""],
        ["200003", "只建账号", "", "", "", "", ""],
    ]
    job = importing.start_import(
        by=sysadmin,
        kind=ImportKind.PEOPLE,
        filename="p.xlsx",
        content=xlsx_bytes(PEOPLE_HEADERS, accounts),
    )
    assert job.summary["ok"], job.summary
    assert not User.objects.filter(username="200001").exists()
    importing.apply_import(job, by=sysadmin)
    assert not Membership.objects.filter(user__username__startswith="2000").exists()
    grants = [
        ["200001", "新书记", "", "", "A", "", "支部书记"],
        ["200002", "新考评", "k@example.com", "", "E1", "", "考评员"],
        ["200002", "新考评", "k@example.com", "", "E2", "", "考评员"],
    ]
    job = importing.start_import(
        by=security_admin,
        kind=ImportKind.PEOPLE,
        filename="g.xlsx",
        content=xlsx_bytes(PEOPLE_HEADERS, grants),
    )
    assert job.summary["ok"], job.summary
    importing.apply_import(job, by=security_admin)
    assert Membership.objects.get(user__username="200001").role == Role.SECRETARY
    assert Membership.objects.filter(user__username="200002").count() == 2
    for username in ("200001", "200002", "200003"):
        assert not User.objects.get(username=username).has_usable_password()


def test_sysadmin_import_refuses_role_columns(tree, sysadmin, secretary_a):
    """A 系统管理员's row that would grant a role is refused in the preview, in words that
    say whose act it is; an existing grant exported with the account round-trips."""
    rows = [
        ["200001", "新书记", "", "", "A", "", "支部书记"],
        ["sec_a", "甲书记", "", "", "A", "", "支部书记"],  # exported as it is: unchanged
    ]
    job = importing.start_import(
        by=sysadmin,
        kind=ImportKind.PEOPLE,
        filename="p.xlsx",
        content=xlsx_bytes(PEOPLE_HEADERS, rows),
    )
    by_row = {r["row"]: (r["action"], " ".join(r["errors"])) for r in job.summary["rows"]}
    assert by_row[2] == ("error", f"{importers.NO_GRANTS}")
    assert by_row[3][0] == "skip"
    assert not job.summary["ok"]
    assert not User.objects.filter(username="200001").exists()


def test_security_admin_import_creates_and_changes_no_account(tree, security_admin, secretary_a):
    rows = [
        ["200001", "新人", "", "", "A", "", "考评员"],
        ["sec_a", "改名", "", "", "A", "", "考评员"],
    ]
    job = importing.start_import(
        by=security_admin,
        kind=ImportKind.PEOPLE,
        filename="p.xlsx",
        content=xlsx_bytes(PEOPLE_HEADERS, rows),
    )
    by_row = {r["row"]: " ".join(r["errors"]) for r in job.summary["rows"]}
    assert "工号“200001”不存在" in by_row[2] and importers.NO_ACCOUNTS in by_row[2]
    assert importers.NO_ACCOUNTS in by_row[3]
    assert not job.summary["ok"]


def test_people_import_refuses_unknown_role_and_administrator_grants(tree, security_admin):
    for username in ("200001", "200002", "200003"):
        make_user(username, name=username)
    rows = [
        ["200001", "200001", "", "", "A", "", "书记"],
        ["200002", "200002", "", "", "R", "", "系统管理员"],
        ["200003", "200003", "", "", "E1", "", "支部书记"],
    ]
    job = importing.start_import(
        by=security_admin,
        kind=ImportKind.PEOPLE,
        filename="p.xlsx",
        content=xlsx_bytes(PEOPLE_HEADERS, rows),
    )
    by_row = {r["row"]: " ".join(r["errors"]) for r in job.summary["rows"]}
    assert "未知的角色“书记”" in by_row[2]
    assert "不能授予“系统管理员”" in by_row[3]
    assert "支部书记角色只能授予党支部或党总支" in by_row[4]
    assert not Membership.objects.filter(user__username__startswith="2000").exists()


def test_people_export_round_trips(tree, sysadmin, secretary_a, reviewer):
    _, _, content = PeopleExport(by=sysadmin).render()
    rows = read_xlsx_rows(content)
    assert rows[0] == PEOPLE_HEADERS
    assert ["sec_a", "甲书记", None, None, "A", "甲党支部", "支部书记"] in rows
    job = importing.start_import(
        by=sysadmin, kind=ImportKind.PEOPLE, filename="p.xlsx", content=content
    )
    assert job.summary["ok"], job.summary
    assert job.summary["counts"]["new"] == 0


def test_formula_looking_names_are_exported_as_text(tree, dept_admin):
    Organization.objects.filter(pk=tree.b.pk).update(name='=HYPERLINK("x")')
    _, _, content = OrganizationExport(by=dept_admin).render()
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [c for row in book.worksheets[0].iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert '=HYPERLINK("x")' in [c.value for c in cells]


# -- hostile files ------------------------------------------------------------------------


def _with_entity(content: bytes) -> bytes:
    """The same workbook with an XML entity declaration in its shared strings."""
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = b'<!DOCTYPE x [<!ENTITY boom "boom"><!ENTITY b2 "&boom;&boom;">]>' + data
            dst.writestr(item, data)
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        dst.writestr("[Content_Types].xml", "<Types/>")
        dst.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (200 * 1024 * 1024) + b"/>")
    return out.getvalue()


def test_xml_entity_is_refused(tree, dept_admin):
    content = _with_entity(xlsx_bytes(ORG_HEADERS, [org_row("N1", "甲", "党支部", "E1")]))
    with pytest.raises(SpreadsheetError, match="XML 实体"):
        import_orgs_raw(dept_admin, content)
    assert not Organization.objects.filter(code="N1").exists()


def test_zip_bomb_is_refused(tree, dept_admin):
    bomb = _zip_bomb()
    assert len(bomb) < 1024 * 1024  # small on disk, 200 MB unpacked
    with pytest.raises(SpreadsheetError, match="压缩炸弹"):
        import_orgs_raw(dept_admin, bomb)


def test_fifty_megabyte_file_is_refused_in_the_browser(tree, dept_admin, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(dept_admin)
    big = SimpleUploadedFile("big.xlsx", b"\0" * (50 * 1024 * 1024))
    response = client.post(reverse("import_upload", args=["organizations"]), {"file": big})
    assert response.status_code == 200
    assert "文件过大" in response.content.decode()
    assert not importing.ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"not a zip at all", "不是有效的 Excel"), (b"", "不是有效的 Excel")],
)
def test_garbage_is_refused(tree, dept_admin, content, reason):
    with pytest.raises(SpreadsheetError, match=reason):
        import_orgs_raw(dept_admin, content)


def test_missing_columns_are_named(tree, dept_admin):
    content = xlsx_bytes(["编码", "名称"], [["N1", "甲"]])
    with pytest.raises(SpreadsheetError, match="缺少列：类型、上级编码"):
        import_orgs_raw(dept_admin, content)


def test_row_limit(tree, dept_admin, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [org_row(f"N{i}", f"支部{i}", "党支部", "E1") for i in range(4)]
    with pytest.raises(SpreadsheetError, match="超过上限 3 行"):
        import_orgs_raw(dept_admin, xlsx_bytes(ORG_HEADERS, rows))


def import_orgs_raw(by, content):
    return importing.start_import(
        by=by, kind=ImportKind.ORGANIZATIONS, filename="x.xlsx", content=content
    )


def test_upload_preview_confirm_through_the_views(tree, dept_admin, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(dept_admin)
    content = xlsx_bytes(ORG_HEADERS, [org_row("N1", "新支部", "党支部", "E1")])
    response = client.post(
        reverse("import_upload", args=["organizations"]),
        {"file": SimpleUploadedFile("t.xlsx", content)},
    )
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert "新增 1" in preview.content.decode()
    assert not Organization.objects.filter(code="N1").exists()
    confirm = client.post(response["Location"] + "confirm/")
    assert confirm.status_code == 302
    org = Organization.objects.get(code="N1")
    assert org.parent == tree.e1 and org.kind == OrgKind.BRANCH and org.enterprise == tree.e1
    # A second confirm of the same upload is refused, not applied twice.
    again = client.post(response["Location"] + "confirm/", follow=True)
    assert "已经导入过" in again.content.decode()


def test_a_category_imported_drops_the_decision_it_came_from(tree, dept_admin):
    """A category set by the spreadsheet has no 过筛子 or consequence behind it: its 依据
    goes, as when it is changed on the organization's page (a later withdrawal of the
    consequence then leaves the imported category alone)."""
    Organization.objects.filter(pk=tree.a.pk).update(
        category="lagging", category_source="2025年度考评结果“不合格”"
    )
    _, _, content = OrganizationExport(by=dept_admin).render()
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("编码")].value == tree.a.code:
            row[header.index("类别")].value = "先进"
    out = io.BytesIO()
    book.save(out)
    job = importing.start_import(
        by=dept_admin, kind=ImportKind.ORGANIZATIONS, filename="a.xlsx", content=out.getvalue()
    )
    assert job.summary["ok"], job.summary["rows"]
    importing.confirm_import(job, by=dept_admin)
    org = Organization.objects.get(pk=tree.a.pk)
    assert (org.category, org.category_source) == ("advanced", "")
