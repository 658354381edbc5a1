"""Small things people read: numbers as written, names instead of ids, honest messages."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from assessments import services
from rubrics.models import RubricVersion
from tests.assessments.conftest import fill, self_sheet
from tests.assessments.test_reports import signed_sheet  # noqa: F401 - a fixture
from tests.assessments.test_sampling import xining_like  # noqa: F401 - a fixture


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_draw_page_names_groups_and_reads_as_text(xining_like, client):  # noqa: F811
    campaign, *_, admin = xining_like
    record = services.draw_cross_review(campaign.stages.get(kind="cross"), by=admin, seed="42")
    client.force_login(admin)
    response = client.get(reverse("draw_detail", args=[record.pk]))
    text = text_of(response)
    assert re.search(r"第\d组 → 第\d组", text)
    assert "抽样比例 30%" in text
    assert "企业1党委（3 个）：企业1第1支部、企业1第2支部、企业1第3支部" in text
    for raw in ("{'", "population", "[", "0.300"):
        assert raw not in text, raw


def test_ratio_shows_as_percent_on_the_campaign_page(xining_like, client):  # noqa: F811
    campaign, *_, admin = xining_like
    client.force_login(admin)
    text = text_of(client.get(reverse("campaign_detail", args=[campaign.pk])))
    assert "30%" in text and "0.300" not in text


def test_scores_have_no_trailing_zeros(campaign, tree, secretary_a, client):
    sheet = self_sheet(campaign, tree.a)
    fill(sheet, secretary_a, {"1.1": "4.5", "1.2": "5"})
    sheet.refresh_from_db()
    services.submit_sheet(sheet, by=secretary_a)
    client.force_login(secretary_a)
    html = client.get(reverse("sheet_detail", args=[sheet.pk])).content.decode()
    assert 'id="running-total">9.5<' in html
    assert "提交时得分</strong> 9.5（" in html
    assert "9.500" not in html and "10.000" not in html


def draft_campaign(template, tree, dept_admin):
    from django.utils import timezone

    from tests.assessments.conftest import simple_version

    return services.create_campaign(
        by=dept_admin,
        name="开始消息",
        version=simple_version(f"open-{template}"),
        scope=tree.root,
        year=2026,
        quarter=None,
        template=template,
        start=timezone.localdate(),
    )


def test_opening_says_which_sheets_were_created(tree, dept_admin, secretary_a, secretary_b, client):
    campaign = draft_campaign("standardization", tree, dept_admin)
    client.force_login(dept_admin)
    response = client.post(reverse("campaign_open", args=[campaign.pk]), follow=True)
    assert "已生成考评表：“自查”2 份（已发给各支部书记）" in text_of(response)


def test_opening_a_plan_without_self_assessment_does_not_claim_it(
    tree, dept_admin, secretary_a, client
):
    campaign = draft_campaign("fuling", tree, dept_admin)
    client.force_login(dept_admin)
    text = text_of(client.post(reverse("campaign_open", args=[campaign.pk]), follow=True))
    assert "考评活动已开始" in text and "尚未生成考评表" in text
    assert "自评表已发给" not in text


def test_finished_report_says_done_once(signed_sheet, leader, client):  # noqa: F811
    client.force_login(leader)
    response = client.post(
        reverse("report_start", args=[signed_sheet.campaign_id, "summary"]), follow=True
    )
    html = response.content.decode()
    status = html[
        html.index('id="report-status"') : html.index("</p>", html.index('id="report-status"'))
    ]
    assert "已完成" in status and "已完成：已完成" not in status


def test_home_hints_go_once_the_work_is_there(campaign, tree, secretary_a, reviewer, client):
    client.force_login(secretary_a)
    html = client.get(reverse("home")).content.decode()
    assert 'id="secretary-next"' not in html  # the self-assessment sheet is already there
    client.force_login(reviewer)
    assert 'id="reviewer-next"' in client.get(reverse("home")).content.decode()
    services.assign_reviewers(
        campaign.stages.get(position=1), by=campaign.created_by, reviewers=[reviewer]
    )
    assert 'id="reviewer-next"' not in client.get(reverse("home")).content.decode()


def test_home_hint_shows_before_any_campaign(tree, secretary_a, client):
    client.force_login(secretary_a)
    assert 'id="secretary-next"' in client.get(reverse("home")).content.decode()


XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512  # an old binary Excel file


@pytest.mark.parametrize("name", ["组织.xls", "组织.csv"])
def test_org_import_of_xls_or_csv_says_save_as_xlsx(tree, dept_admin, client, name):
    client.force_login(dept_admin)
    upload = SimpleUploadedFile(name, XLS if name.endswith(".xls") else b"a,b\n1,2\n")
    text = text_of(client.post(reverse("import_upload", args=["organizations"]), {"file": upload}))
    assert "请另存为 .xlsx" in text


def test_offline_sheet_upload_of_xls_says_save_as_xlsx(campaign, tree, secretary_a, client):
    sheet = self_sheet(campaign, tree.a)
    client.force_login(secretary_a)
    upload = SimpleUploadedFile("评分表.xls", XLS)
    text = text_of(
        client.post(reverse("sheet_upload", args=[sheet.pk]), {"file": upload}, follow=True)
    )
    assert "旧版 Excel（.xls）" in text and "请另存为 .xlsx" in text


def test_xls_renamed_to_xlsx_still_says_save_as_xlsx(campaign, tree, secretary_a, client):
    sheet = self_sheet(campaign, tree.a)
    client.force_login(secretary_a)
    upload = SimpleUploadedFile("评分表.xlsx", XLS)
    text = text_of(
        client.post(reverse("sheet_upload", args=[sheet.pk]), {"file": upload}, follow=True)
    )
    assert "请另存为 .xlsx" in text


def test_num_filter_is_one_format_for_every_number():
    from decimal import Decimal

    from rubrics.templatetags.rubric_tags import num, percent

    assert [num(Decimal("97.500")), num(100.0), num(66.7), num(5), num(None)] == [
        "97.5",
        "100",
        "66.7",
        "5",
        "",
    ]
    assert percent(Decimal("0.300")) == "30%"


def test_composite_stages_name_their_instrument_in_chinese(tree, dept_admin, client):
    """A 西北能化 plan's stages say which 亮牌 input they score by its text and weight, not
    by its code (the page read “分项评分 · star”)."""
    call_command("load_rubrics", verbosity=0)
    campaign = services.create_campaign(
        by=dept_admin,
        name="第四季度亮牌",
        version=RubricVersion.objects.get(rubric__code="xibei-2025"),
        scope=tree.root,
        year=2026,
        quarter=4,
        template="xibei",
        start=timezone.localdate(),
    )
    client.force_login(dept_admin)
    text = text_of(client.get(reverse("campaign_detail", args=[campaign.pk])))
    assert "分项评分 · 星级党支部考核（40%）" in text
    assert "分项评分 · 互查评分（30%）" in text
    for code in ("star", "inspection", "pairing"):
        assert code not in text, code


def test_trend_counts_every_object_in_scope(campaign, tree, dept_admin, reviewer, leader, client):
    """The trend on the leader's home page agrees with the headline rate: one result of
    the campaign's objects is not “100%” in the chart while the headline says otherwise."""
    from assessments import selectors
    from tests.assessments.test_results import signed

    review = campaign.stages.get(position=1)
    signed(review, tree.a, reviewer, dept_admin, {"1.1": "5", "1.2": "5"})
    services.consolidate(campaign, by=dept_admin)
    summary = selectors.campaign_summary(campaign)
    assert summary["results"] == 1 and summary["rate"] < 100
    client.force_login(leader)
    page = client.get(reverse("home")).content.decode()
    trend = page[page.index('aria-label="历次考评达标率"') :]
    trend = trend[: trend.index("</svg>")]
    assert ">100%<" not in trend
    assert f">{summary['rate']:g}%<" in trend
