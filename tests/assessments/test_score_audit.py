"""Score changes are audited, old → new per indicator code.

After a signed sheet is reopened and re-signed, the audit trail shows what changed
(1.1: 1 → 0), who changed it, on which sheet of which organization.
"""

from django.urls import reverse

from assessments import offline, services
from assessments.models import SheetStatus
from branches.models import AuditEntry

from .conftest import fill, self_sheet


def sheet_rows(sheet):
    return list(AuditEntry.objects.filter(model="考评表", object_id=str(sheet.pk)).order_by("id"))


def test_reopen_and_resign_records_the_changed_score(
    campaign, tree, secretary_a, dept_admin, auditor, client
):
    sheet = self_sheet(campaign, tree.a)
    fill(sheet, secretary_a, {"1.1": "1", "1.2": "5"})
    sheet.refresh_from_db()
    services.submit_sheet(sheet, by=secretary_a)
    services.sign_sheet(sheet, by=dept_admin)
    services.reopen_sheet(sheet, by=dept_admin, reason="抽查发现分数有误")
    sheet.refresh_from_db()

    # The secretary changes 1.1 through the page (autosave), then resubmits; re-signed.
    client.force_login(secretary_a)
    response = client.post(
        reverse("sheet_autosave", args=[sheet.pk]),
        {"revision": sheet.revision, "v_1.1": "0", "n_1.1": "记录不全", "v_1.2": "5"},
    )
    assert response.status_code == 200
    sheet.refresh_from_db()
    services.submit_sheet(sheet, by=secretary_a)
    signed = services.sign_sheet(sheet, by=dept_admin)
    assert signed.status == SheetStatus.SIGNED

    first, change = sheet_rows(sheet)
    assert first.changes["1.1"] == {"label": "1.1 得分", "old": None, "new": "1"}
    assert change.action == "update" and change.actor == secretary_a
    assert change.changes["1.1"] == {"label": "1.1 得分", "old": "1", "new": "0"}
    assert change.changes["1.1 说明"]["new"] == "记录不全"
    assert "1.2" not in change.changes  # unchanged values are not repeated
    assert change.object_repr == "甲党支部 · 自查"
    assert change.org_path == tree.a.path and change.ip == "127.0.0.1"

    # Every transition is in the trail too, with the reopening's reason.
    events = AuditEntry.objects.filter(model="考评表流转记录").order_by("id")
    assert [e.changes["to_status"]["new"] for e in events] == [
        "已提交",
        "已签发",
        "已退回",
        "已提交",
        "已签发",
    ]
    assert events[2].changes["reason"]["new"] == "抽查发现分数有误"

    # The auditor reads it on the audit page.
    client.force_login(auditor)
    page = client.get(reverse("audit_list"), {"model": "考评表"}).content.decode()
    assert "1.1 得分" in page and "甲党支部 · 自查" in page


def test_one_audit_row_per_save_and_none_when_nothing_changes(campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    fill(sheet, secretary_a, {"1.1": "5", "1.2": "4"}, vetoes={"V1": "班子两人长期不和"})
    sheet.refresh_from_db()
    (row,) = sheet_rows(sheet)
    assert set(row.changes) == {"1.1", "1.2", "V1 否决"}
    assert row.changes["V1 否决"]["new"] == "班子两人长期不和"

    fill(sheet, secretary_a, {"1.1": "5", "1.2": "4"}, vetoes={"V1": "班子两人长期不和"})
    sheet.refresh_from_db()
    assert len(sheet_rows(sheet)) == 1  # the same values again: nothing to record

    fill(sheet, secretary_a, {"1.1": "", "1.2": "3"}, vetoes={})
    sheet.refresh_from_db()
    last = sheet_rows(sheet)[-1]
    assert last.changes["1.1"] == {"label": "1.1 得分", "old": "5", "new": None}
    assert last.changes["1.2"] == {"label": "1.2 得分", "old": "4", "new": "3"}
    assert last.changes["V1 否决"] == {
        "label": "V1 否决项（事实依据）",
        "old": "班子两人长期不和",
        "new": None,
    }


def test_offline_upload_is_audited_as_an_upload(campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    fill(sheet, secretary_a, {"1.1": "5", "1.2": "5"})
    sheet.refresh_from_db()
    _, content = offline.download(sheet)
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = book["评分表"]
    for row in rows.iter_rows(min_row=2):
        if row[0].value == "1.2":
            row[6].value = 2
    out = io.BytesIO()
    book.save(out)
    offline.upload(sheet, by=secretary_a, content=out.getvalue())
    last = sheet_rows(sheet)[-1]
    assert last.source == "upload"
    assert last.changes["1.2"] == {"label": "1.2 得分", "old": "5", "new": "2"}


def test_evidence_added_and_removed_is_audited(campaign, tree, secretary_a):
    sheet = self_sheet(campaign, tree.a)
    evidence = services.add_evidence(
        sheet, by=secretary_a, code="1.1", name="会议记录.pdf", content=b"%PDF-1.4 x"
    )
    evidence_id = evidence.pk
    services.delete_evidence(evidence, by=secretary_a)
    added, removed = AuditEntry.objects.filter(
        model="佐证材料", object_id=str(evidence_id)
    ).order_by("id")
    assert (added.action, removed.action) == ("create", "delete")
    assert added.object_repr == "会议记录.pdf" and added.actor == secretary_a
    assert added.changes["sheet"]["new"] == "甲党支部 · 自查"
    assert added.changes["code"]["new"] == "1.1"
    assert removed.org_path == tree.a.path


def test_autosave_audit_stays_cheap(campaign, tree, secretary_a, client):
    """The audit of an autosave compares with what the sheet held, read with the sheet
    itself (no read of entries, veto findings or note of its own), and writes one row:
    it never reads back what the save just stored."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sheet = self_sheet(campaign, tree.a)
    fill(sheet, secretary_a, {"1.1": "1", "1.2": "5"})
    sheet.refresh_from_db()
    client.force_login(secretary_a)
    client.get(reverse("sheet_detail", args=[sheet.pk]))  # the page the save comes from
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(
            reverse("sheet_autosave", args=[sheet.pk]),
            {"revision": sheet.revision, "v_1.1": "0", "n_1.1": "记录不全", "v_1.2": "5"},
        )
    assert response.status_code == 200
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert not [sql for sql in sqls if sql.startswith('SELECT "assessments_vetofinding"')]
    assert not [sql for sql in sqls if sql.startswith('SELECT "assessments_sheetentry"')]
    assert not [sql for sql in sqls if sql.startswith('SELECT "assessments_scoresheet"."note')]
    assert len([sql for sql in sqls if 'INTO "branches_auditentry"' in sql]) == 1
    # 32 before the bulk autosave; one of these reads the user's roles for the
    # second-factor check (every request, so a role granted mid-session asks at once).
    assert len(sqls) <= 9
    assert sheet_rows(sheet)[-1].changes["1.1"] == {"label": "1.1 得分", "old": "1", "new": "0"}
