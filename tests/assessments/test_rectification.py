"""The rectification lifecycle per role, and ledgers exported and read back."""

import io
from datetime import datetime, timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.exports import RectificationExport, ResultsExport
from assessments.models import RectificationEvent, RectificationItem
from branches.models import Role
from tests.conftest import make_user

PDF = b"%PDF-1.4 rectified"


@pytest.fixture
def consolidated(make_reviewed, tree, secretary_a, secretary_b):
    scores = {tree.a: {"1.1": "4", "1.2": "5"}, tree.b: {"1.1": "5", "1.2": "5"}}
    return make_reviewed("xining-r", scores, name="以评促建")


def item_of(campaign, org):
    return RectificationItem.objects.get(campaign=campaign, organization=org)


def test_lifecycle_secretary_writes_reviewer_closes(consolidated, tree, secretary_a, reviewer):
    item = item_of(consolidated, tree.a)
    assert (item.code, item.kind, item.status) == ("1.1", "key_item", "open")
    with pytest.raises(services.AssessmentError, match="请先填写整改措施"):
        services.submit_rectification(item, by=secretary_a)
    services.write_measure(
        item, by=secretary_a, measure="每月按时召开支委会并留存记录", responsible="甲书记"
    )
    services.add_rectification_evidence(item, by=secretary_a, name="支委会记录.pdf", content=PDF)
    services.submit_rectification(item, by=secretary_a)
    services.return_rectification(item, by=reviewer, reason="记录缺少签到")
    services.submit_rectification(item, by=secretary_a)
    closed = services.close_rectification(item, by=reviewer, note="已核实记录")
    assert closed.status == "closed" and closed.closed_by == reviewer
    services.record_follow_up(
        closed, by=reviewer, note="三个月后复查仍按时召开", on=timezone.localdate()
    )
    assert list(
        RectificationEvent.objects.filter(item=item).values_list(
            "from_status", "to_status", "actor__username"
        )
    ) == [
        ("open", "submitted", "sec_a"),
        ("submitted", "returned", "reviewer"),
        ("returned", "submitted", "sec_a"),
        ("submitted", "closed", "reviewer"),
    ]


def test_roles_that_may_not_act(consolidated, tree, secretary_a, secretary_b, leader, dept_admin):
    item = item_of(consolidated, tree.a)
    with pytest.raises(services.AssessmentError, match="本支部书记"):
        services.write_measure(item, by=secretary_b, measure="x", responsible="y")
    with pytest.raises(services.AssessmentError, match="本支部书记"):
        services.write_measure(item, by=dept_admin, measure="x", responsible="y")
    services.write_measure(item, by=secretary_a, measure="整改", responsible="甲书记")
    services.submit_rectification(item, by=secretary_a)
    for person in (secretary_a, leader):
        with pytest.raises(services.AssessmentError, match="才能销号"):
            services.close_rectification(item, by=person)
    outsider_reviewer = make_user("kp9", (tree.e2, Role.REVIEWER))
    with pytest.raises(services.AssessmentError, match="才能销号"):
        services.close_rectification(item, by=outsider_reviewer)
    services.close_rectification(item, by=dept_admin)  # the department may close too
    with pytest.raises(services.AssessmentError, match="当前状态为“已销号”"):
        services.return_rectification(item, by=dept_admin, reason="x")


def test_pages_per_role(consolidated, tree, secretary_a, secretary_b, reviewer, client):
    item = item_of(consolidated, tree.a)
    url = reverse("rectification_detail", args=[item.pk])
    client.force_login(secretary_b)
    assert client.get(url).status_code == 404
    assert "甲党支部" not in client.get(reverse("rectification_list")).content.decode()
    client.force_login(secretary_a)
    page = client.get(url).content.decode()
    assert "保存整改措施" in page and "核实销号" not in page
    client.force_login(reviewer)
    assert (
        client.post(
            reverse("rectification_measure", args=[item.pk]), {"measure": "x", "responsible": "y"}
        ).status_code
        == 403
    )


def test_overdue_items_stand_out(consolidated, tree, dept_admin, client):
    RectificationItem.objects.filter(organization=tree.a).update(
        deadline=timezone.localdate() - timedelta(days=1)
    )
    client.force_login(dept_admin)
    page = client.get(reverse("rectification_list") + "?status=overdue").content.decode()
    assert "甲党支部" in page and "逾期" in page
    summary = client.get(reverse("campaign_results", args=[consolidated.pk])).content.decode()
    assert '<span class="text-danger">1</span>' in summary


def rows(content: bytes) -> list[list]:
    """Cells as read back; a date cell comes back as a datetime at midnight."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [
        [v.date() if isinstance(v, datetime) else v for v in r]
        for r in book.worksheets[0].iter_rows(values_only=True)
    ]


def test_ledger_exports_read_back_to_the_same_rows(consolidated, tree, dept_admin, client):
    export = ResultsExport(by=dept_admin, campaign=consolidated)
    # An empty string is an empty cell in Excel: it reads back as None.
    expected = [export.headers(), *[[None if v == "" else v for v in r] for r in export.rows()]]
    client.force_login(dept_admin)
    response = client.get(reverse("results_export", args=[consolidated.pk]))
    sheet = rows(response.content)
    assert sheet[0] == expected[0]
    assert sheet[1:] == expected[1:]
    assert [r[2] for r in sheet[1:]] == ["乙党支部", "甲党支部"]  # ranked by score
    assert (sheet[2][4], sheet[2][6], sheet[2][9]) == (9, "达标", "1.1")  # numbers are numbers
    items = RectificationExport(by=dept_admin, queryset=RectificationItem.objects.all())
    response = client.get(reverse("rectification_list") + "?format=xlsx")
    assert rows(response.content) == [
        items.headers(),
        *[[None if v == "" else v for v in r] for r in items.rows()],
    ]


def test_rectification_and_consequence_changes_are_audited(consolidated, tree, secretary_a):
    from branches.models import AuditEntry

    item = item_of(consolidated, tree.a)
    services.write_measure(item, by=secretary_a, measure="按月召开支委会", responsible="甲书记")
    entry = AuditEntry.objects.get(model="整改事项", action="update", object_id=str(item.pk))
    assert entry.actor == secretary_a
    assert entry.changes["measure"] == {"label": "整改措施", "old": "", "new": "按月召开支委会"}


def test_both_evidence_downloads_send_an_attachment_never_sniffed(
    consolidated, tree, secretary_a, client
):
    item = item_of(consolidated, tree.a)
    evidence = services.add_rectification_evidence(
        item, by=secretary_a, name="支委会记录.pdf", content=PDF
    )
    client.force_login(secretary_a)
    response = client.get(reverse("rectification_evidence_download", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_overdue_is_one_rule_for_rows_and_queries(consolidated, tree, reviewer, secretary_a):
    today = timezone.localdate()
    item = item_of(consolidated, tree.a)
    overdue = RectificationItem.objects.filter(pk=item.pk).overdue
    RectificationItem.objects.filter(pk=item.pk).update(deadline=today)
    assert not overdue() and not item_of(consolidated, tree.a).overdue  # due today: not late
    RectificationItem.objects.filter(pk=item.pk).update(deadline=today - timedelta(days=1))
    assert overdue().get() == item and item_of(consolidated, tree.a).overdue
    assert not overdue(today=today - timedelta(days=1))
    RectificationItem.objects.filter(pk=item.pk).update(status="withdrawn")
    assert not overdue() and not item_of(consolidated, tree.a).overdue  # settled: never late
    # The reviewer who scored the branch in the campaign; never its secretary.
    assert RectificationItem.objects.reviewed_by(reviewer).filter(pk=item.pk).exists()
    assert not RectificationItem.objects.reviewed_by(secretary_a).exists()
