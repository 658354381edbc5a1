"""What the sheet page tells each person: return reasons, final grades, the branch's own
evidence and notes beside a reviewer's scores, and save conflicts that lose nothing."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
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


# -- point 11: a conflict lists only what differs and loses nothing ---------------------------


def test_autosave_conflict_lists_only_the_differing_lines_with_both_values(
    campaign, tree, secretary_a, client
):
    sheet = self_sheet(campaign, tree.a)
    stale = sheet.revision
    fill(sheet, secretary_a, {"1.1": "5", "1.2": "4"})  # another tab saved meanwhile
    client.force_login(secretary_a)
    response = client.post(
        reverse("sheet_autosave", args=[sheet.pk]),
        {"revision": stale, "v_1.1": "5", "n_1.1": "", "v_1.2": "3", "n_1.2": "少一次主题党日"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    html = response.content.decode()
    start = html.index('id="conflict-differences"')
    table = html[start : html.index("</table>", start)]
    assert 'data-code="1.2"' in table and 'data-code="1.1"' not in table  # 1.1 is the same
    text = text_of_html(table)
    assert "3" in text and "4" in text and "少一次主题党日" in text
    assert "复制" not in html
    sheet.refresh_from_db()
    assert f'{{"revision": "{sheet.revision}"}}' in html  # keep mine: save at the fresh revision
    assert sheet.entries.get(code="1.2").value == 4  # nothing overwritten


def test_submit_conflict_without_htmx_gives_the_form_back_with_values_and_notes(
    campaign, tree, secretary_a, client
):
    sheet = self_sheet(campaign, tree.a)
    stale = sheet.revision
    fill(sheet, secretary_a, {"1.1": "5", "1.2": "4"})
    client.force_login(secretary_a)
    response = client.post(
        reverse("sheet_submit", args=[sheet.pk]),
        {
            "revision": stale,
            "v_1.1": "4.5",
            "n_1.1": "党课记录缺一次",
            "v_1.2": "4",
            "n_1.2": "",
            "note": "总体较好",
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'name="v_1.1" value="4.5"' in html
    assert 'name="n_1.1" value="党课记录缺一次"' in html
    assert ">总体较好</textarea>" in html
    start = html.index('id="conflict-differences"')
    table = html[start : html.index("</table>", start)]
    assert 'data-code="1.1"' in table and 'data-code="1.2"' not in table
    assert ScoreSheet.objects.get(pk=sheet.pk).status == "draft"


def test_submit_conflict_over_htmx_swaps_the_status_panel_not_the_page(
    campaign, tree, secretary_a, client
):
    sheet = self_sheet(campaign, tree.a)
    stale = sheet.revision
    fill(sheet, secretary_a, {"1.1": "5", "1.2": "4"})
    client.force_login(secretary_a)
    response = client.post(
        reverse("sheet_submit", args=[sheet.pk]),
        {"revision": stale, "v_1.1": "3", "v_1.2": "4"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#sheet-status"
    assert "HX-Redirect" not in response  # a redirect would reload the page and lose the input
    assert 'data-code="1.1"' in response.content.decode()


def test_offline_conflict_names_the_rows_that_differ_and_what_to_do(
    campaign, tree, secretary_a, client
):
    from tests.assessments.test_sheet_files import filled_workbook

    sheet = self_sheet(campaign, tree.a)
    stale = filled_workbook(sheet, {"1.1": 5, "1.2": 3}, notes={"1.2": "少一次"})
    fill(sheet, secretary_a, {"1.1": "5", "1.2": "4"})
    client.force_login(secretary_a)
    upload = SimpleUploadedFile("表.xlsx", stale)
    response = client.post(reverse("sheet_upload", args=[sheet.pk]), {"file": upload}, follow=True)
    text = text_of(response)
    assert "第 3 行 1.2" in text and "文件中为“3”，网页上现为“4”" in text
    assert "1.1" not in text.split("不同的共")[1].split("请重新下载")[0]
    assert "请重新下载最新的评分表" in text and "复制" not in text
    assert sheet.entries.get(code="1.2").value == 4


def test_offline_file_identical_to_the_newer_sheet_is_accepted(campaign, tree, secretary_a):
    from assessments import offline
    from tests.assessments.test_sheet_files import filled_workbook

    sheet = self_sheet(campaign, tree.a)
    stale = filled_workbook(sheet, {"1.1": 5, "1.2": 4})
    fill(sheet, secretary_a, {"1.1": "5", "1.2": "4"})
    sheet.refresh_from_db()
    assert offline.upload(sheet, by=secretary_a, content=stale).result.total == 9


def parts_version():
    """1.1 scored by parts (1.1.a 3, 1.1.b 2) and 1.2 (5), like 涪陵's 4.1."""
    from django.utils import timezone

    from rubrics.models import (
        GradeBand,
        Indicator,
        IndicatorPart,
        Rubric,
        RubricVersion,
        Section,
    )

    rubric = Rubric.objects.create(
        code="parts", name="分项标准", issuer="党群部", source_document="测试", assesses=["branch"]
    )
    version = RubricVersion.objects.create(rubric=rubric, number=1, method="points")
    section = Section.objects.create(version=version, code="1", title="基本要求", points=10)
    meetings = Indicator.objects.create(
        version=version, section=section, code="1.1", text="三会一课", points=5
    )
    IndicatorPart.objects.create(indicator=meetings, code="1.1.a", text="支委会", points=3)
    IndicatorPart.objects.create(
        indicator=meetings, code="1.1.b", text="党课", points=2, position=1
    )
    Indicator.objects.create(
        version=version, section=section, code="1.2", text="主题党日", points=5, position=1
    )
    GradeBand.objects.create(version=version, label="达标", minimum=8, position=0)
    GradeBand.objects.create(
        version=version, label="不达标", minimum=None, passed=False, position=1
    )
    RubricVersion.objects.filter(pk=version.pk).update(
        status="published", published_at=timezone.now()
    )
    version.refresh_from_db()
    return version


def test_item_scored_by_parts_shows_earlier_evidence_and_keeps_the_columns(
    tree, dept_admin, secretary_a, reviewer, client
):
    from datetime import timedelta

    from django.utils import timezone

    campaign = services.create_campaign(
        by=dept_admin,
        name="分项",
        version=parts_version(),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate() - timedelta(days=1),
    )
    services.open_campaign(campaign, by=dept_admin)
    sheet = self_sheet(campaign, tree.a)
    fill(sheet, secretary_a, {"1.1.a": "3", "1.1.b": "2", "1.2": "5"})
    evidence = services.add_evidence(
        sheet, by=secretary_a, code="1.1", name="三会一课.pdf", content=b"%PDF-1.4 x"
    )
    sheet.refresh_from_db()
    services.submit_sheet(sheet, by=secretary_a)
    (review,) = services.assign_reviewers(
        campaign.stages.get(position=1), by=dept_admin, reviewers=[reviewer], orgs=[tree.a]
    )
    client.force_login(reviewer)
    html = client.get(reverse("sheet_detail", args=[review.pk])).content.decode()
    item = html[html.index('id="row-1.1"') : html.index('id="row-1.1.a"')]
    assert reverse("evidence_download", args=[evidence.pk]) in item

    def cells(row_html):
        spans = [re.search(r'colspan="(\d+)"', a) for a in re.findall(r"<td([^>]*)>", row_html)]
        return sum(int(m.group(1)) if m else 1 for m in spans)

    part = html[html.index('id="row-1.1.a"') : html.index('id="row-1.1.b"')]
    assert cells(item) == cells(part)
