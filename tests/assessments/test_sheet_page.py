"""What the sheet page tells each person: return reasons, final grades, the branch's own
evidence and notes beside a reviewer's scores, and save conflicts that lose nothing."""

import re

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import ScoreSheet
from tests.assessments.conftest import fill, self_sheet


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def review_a(submitted_a, campaign, tree, dept_admin, reviewer):
    """The department review of branch A, after its self-assessment was submitted."""
    (sheet,) = services.assign_reviewers(
        campaign.stages.get(position=1), by=dept_admin, reviewers=[reviewer], orgs=[tree.a]
    )
    return sheet


# -- point 9: the return reason at the top; the final grade once signed ------------------------


def test_returned_sheet_shows_its_reason_at_the_top(submitted_a, dept_admin, secretary_a, client):
    services.return_sheet(submitted_a, by=dept_admin, reason="1.2 缺少会议记录照片")
    client.force_login(secretary_a)
    html = client.get(reverse("sheet_detail", args=[submitted_a.pk])).content.decode()
    alert = html.index('id="return-reason-alert"')
    assert alert < html.index('id="sheet-form"')  # above the items, not only in 流转记录
    assert "退回原因：1.2 缺少会议记录照片" in text_of_html(html[alert : alert + 600])


def test_resubmitted_sheet_no_longer_shows_the_return_alert(
    submitted_a, dept_admin, secretary_a, client
):
    services.return_sheet(submitted_a, by=dept_admin, reason="补材料")
    sheet = ScoreSheet.objects.get(pk=submitted_a.pk)
    services.submit_sheet(sheet, by=secretary_a)
    client.force_login(secretary_a)
    assert (
        "return-reason-alert"
        not in client.get(reverse("sheet_detail", args=[sheet.pk])).content.decode()
    )


def test_signed_sheet_shows_its_grade_not_a_provisional_one(submitted_a, dept_admin, client):
    services.sign_sheet(submitted_a, by=dept_admin)
    client.force_login(dept_admin)
    text = text_of(client.get(reverse("sheet_detail", args=[submitted_a.pk])))
    assert "暂定等次" not in text
    assert "等次： 达标" in text


def test_draft_sheet_still_says_provisional(campaign, tree, secretary_a, client):
    sheet = self_sheet(campaign, tree.a)
    fill(sheet, secretary_a, {"1.1": "5", "1.2": "5"})
    client.force_login(secretary_a)
    assert "暂定等次" in text_of(client.get(reverse("sheet_detail", args=[sheet.pk])))


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- point 10: the reviewer sees the branch's evidence and notes --------------------------------


def test_reviewer_sees_self_assessment_notes_and_evidence(
    campaign, tree, secretary_a, dept_admin, reviewer, client
):
    sheet = self_sheet(campaign, tree.a)
    services.save_entries(
        sheet,
        by=secretary_a,
        revision=sheet.revision,
        values={"1.1": "5", "1.2": "4"},
        notes={"1.2": "主题党日少开一次"},
    )
    sheet.refresh_from_db()
    evidence = services.add_evidence(
        sheet, by=secretary_a, code="1.1", name="三会一课记录.pdf", content=b"%PDF-1.4 x"
    )
    services.submit_sheet(sheet, by=secretary_a)
    (review,) = services.assign_reviewers(
        campaign.stages.get(position=1), by=dept_admin, reviewers=[reviewer], orgs=[tree.a]
    )
    client.force_login(reviewer)
    html = client.get(reverse("sheet_detail", args=[review.pk])).content.decode()
    row_12 = html[html.index('id="row-1.2"') : html.index('id="row-V1"')]
    assert "主题党日少开一次" in row_12
    row_11 = html[html.index('id="row-1.1"') : html.index('id="row-1.2"')]
    download = reverse("evidence_download", args=[evidence.pk])
    assert download in row_11 and "三会一课记录.pdf" in row_11
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 x"


def test_outsider_cannot_download_the_branch_evidence(
    campaign, tree, secretary_a, outsider, client
):
    sheet = self_sheet(campaign, tree.a)
    evidence = services.add_evidence(
        sheet, by=secretary_a, code="1.1", name="a.pdf", content=b"%PDF-1.4 x"
    )
    client.force_login(outsider)
    assert client.get(reverse("evidence_download", args=[evidence.pk])).status_code == 404
