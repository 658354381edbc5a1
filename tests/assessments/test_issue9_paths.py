"""The paths users drive through the pages: each test failed before its fix."""

import io
from datetime import datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assessments import reports, selectors, services
from assessments.exports import ProgressExport, ResultsExport
from assessments.models import BranchResult, Campaign, RectificationItem, ScoreSheet
from branches.models import CrossReviewGroup, CrossReviewGroupMember, Role
from rubrics.models import IndicatorKind, RubricVersion
from rubrics.services import set_slot_text
from tests.assessments.conftest import simple_version
from tests.assessments.test_results import signed
from tests.conftest import make_rubric, make_user, xining_start


def _campaign(admin, version, scope, template, **kwargs) -> Campaign:
    return services.create_campaign(
        by=admin,
        name=kwargs.pop("name", "考评"),
        version=version,
        scope=scope,
        year=kwargs.pop("year", 2026),
        quarter=kwargs.pop("quarter", None),
        template=template,
        start=kwargs.pop("start", timezone.localdate() - timedelta(days=1)),
        **kwargs,
    )


# A 西宁 plan started three months back: its self-assessment has ended and its 抽查点评
# is open, so the reviews may be submitted now (the workflow's gates).
XINING_START = xining_start(timezone.localdate())


def _xlsx(content: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return list(book.worksheets[0].iter_rows(values_only=True))


# 1 ------------------------------------------------------------------------------------------


def test_composite_rubric_consolidates_by_its_weights_and_averages_several_scores(
    tree, dept_admin, reviewer
):
    call_command("load_rubrics", verbosity=0)
    version = RubricVersion.objects.get(rubric__code="xibei-2025")
    campaign = _campaign(dept_admin, version, tree.root, "xibei", quarter=4)
    assert campaign.consolidation == "composite"  # set from the rubric, never by hand
    services.open_campaign(campaign, by=dept_admin)
    second = make_user("reviewer2", (tree.root, Role.REVIEWER))
    stage = campaign.stages.get
    signed(stage(instrument="star"), tree.a, reviewer, dept_admin, {"star": "94"})
    signed(stage(instrument="star"), tree.a, second, dept_admin, {"star": "96"})
    signed(stage(instrument="inspection"), tree.a, reviewer, dept_admin, {"inspection": "85"})
    signed(stage(instrument="pairing"), tree.a, reviewer, dept_admin, {"pairing": "88"})
    services.consolidate(campaign, by=dept_admin)
    result = BranchResult.objects.get(campaign=campaign, organization=tree.a)
    assert (result.total, result.grade, result.passed) == (Decimal("89.9"), "达标牌", True)
    assert "2 份已签发评分的平均分 95" in result.source_note


# 2 ------------------------------------------------------------------------------------------


def test_enterprise_slot_texts_reach_sheet_page_offline_sheet_and_pdf(
    tree, dept_admin, secretary_a, client
):
    version = make_rubric()[0]
    set_slot_text(
        indicator=version.indicators.get(kind=IndicatorKind.CUSTOM),
        enterprise=tree.e1,
        by=dept_admin,
        text="安全生产零事故",
    )
    set_slot_text(
        indicator=version.indicators.get(kind=IndicatorKind.CUSTOM),
        enterprise=tree.e2,
        by=dept_admin,
        text="二公司个性指标",
    )
    campaign = _campaign(dept_admin, version, tree.root, "standardization")
    services.open_campaign(campaign, by=dept_admin)
    sheet = ScoreSheet.objects.get(campaign=campaign, organization=tree.a)
    client.force_login(secretary_a)
    page = client.get(reverse("sheet_detail", args=[sheet.pk])).content.decode()
    assert "安全生产零事故" in page and "二公司个性指标" not in page
    rows = _xlsx(client.get(reverse("sheet_xlsx", args=[sheet.pk])).content)
    assert any("安全生产零事故" in str(cell) for row in rows for cell in row)
    pdf = client.get(reverse("sheet_report", args=[sheet.pk])).content
    assert "安全生产零事故" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


# 3 ------------------------------------------------------------------------------------------


@pytest.fixture
def two_groups(tree):
    for n, enterprise in enumerate((tree.e1, tree.e2), start=1):
        group = CrossReviewGroup.objects.create(owner=tree.root, name=f"第{n}组")
        CrossReviewGroupMember.objects.create(group=group, enterprise=enterprise)
        make_user(f"kp{n}", (enterprise, Role.REVIEWER))


def test_undrawable_plan_is_refused_before_opening_and_options_stay_editable_until_drawn(
    tree, dept_admin, two_groups, client
):
    campaign = _campaign(dept_admin, simple_version(), tree.root, "xining")
    client.force_login(dept_admin)
    detail = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert "无法按当前选项抽样" in detail and "避免两组互相考评" in detail
    response = client.post(reverse("campaign_open", args=[campaign.pk]), follow=True)
    assert "无法抽样，不能开始" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    # Untick the option, open; the cross stage's options are still editable until drawn.
    cross = campaign.stages.get(kind="cross")
    services.save_stage(
        campaign,
        by=dept_admin,
        stage=cross,
        data={**{k: getattr(cross, k) for k in services.campaigns.STAGE_FIELDS}}
        | {"avoid_reciprocal": False},
    )
    services.open_campaign(campaign, by=dept_admin)
    form = client.get(reverse("stage_edit", args=[cross.pk])).content.decode()
    assert 'name="ratio"' in form
    data = {
        "kind": "cross",
        "name": "改名",
        "assessed_by": cross.assessed_by,
        "selection": "ratio",
        "ratio": "0.5",
        "opens_on": cross.opens_on.isoformat(),
        "deadline": cross.deadline.isoformat(),
    }
    client.post(reverse("stage_edit", args=[cross.pk]), data)
    cross.refresh_from_db()
    assert (cross.ratio, cross.name, cross.avoid_reciprocal) == (Decimal("0.5"), "交叉互评", False)
    client.post(reverse("stage_assign", args=[cross.pk]))
    assert cross.draws.count() == 1
    response = client.post(reverse("stage_edit", args=[cross.pk]), data | {"ratio": "1"})
    assert "已经抽样" in response.content.decode()


# 4 ------------------------------------------------------------------------------------------


def test_reissue_gives_a_sheet_to_a_secretary_granted_after_opening(
    tree, dept_admin, secretary_a, client
):
    campaign = _campaign(dept_admin, simple_version(), tree.root, "standardization")
    warnings = services.open_campaign(campaign, by=dept_admin)
    assert "可在进度页补发" in warnings[0] and "乙党支部" in warnings[0]
    late = make_user("sec_b_late", (tree.b, Role.SECRETARY))
    client.force_login(dept_admin)
    progress = client.get(reverse("campaign_progress", args=[campaign.pk])).content.decode()
    assert reverse("campaign_reissue", args=[campaign.pk]) in progress
    response = client.post(reverse("campaign_reissue", args=[campaign.pk]), follow=True)
    assert "已补发 1 份自评表" in response.content.decode()
    assert ScoreSheet.objects.filter(campaign=campaign, organization=tree.b, assessor=late).exists()
    client.post(reverse("campaign_reissue", args=[campaign.pk]))  # idempotent
    assert ScoreSheet.objects.filter(campaign=campaign, organization=tree.b).count() == 1
    draft = _campaign(dept_admin, simple_version("other"), tree.root, "standardization")
    with pytest.raises(services.AssessmentError, match="只有进行中的考评活动可以补发"):
        services.reissue_self_sheets(draft, by=dept_admin)


# 5 ------------------------------------------------------------------------------------------


def test_committees_are_assessed_by_default_and_kinds_can_be_chosen(tree, dept_admin, client):
    call_command("load_rubrics", verbosity=0)
    version = RubricVersion.objects.get(rubric__code="fuling-2017")
    client.force_login(dept_admin)
    form = client.get(reverse("campaign_create")).content.decode()
    assert 'name="kinds"' in form and "党委" in form
    data = {
        "name": "涪陵年度",
        "version": version.pk,
        "scope": tree.root.pk,
        "template": "fuling",
        "year": 2026,
        "quarter": "",
        "start": "2026-11-01",
        "threshold": "10",
    }
    client.post(reverse("campaign_create"), data)
    campaign = Campaign.objects.get(name="涪陵年度")
    codes = set(services.targets(campaign).values_list("code", flat=True))
    assert codes == {"E1", "E2", "G", "A", "B"}  # the assessing 党委 R is not assessed
    client.post(reverse("campaign_create"), data | {"name": "只考支部", "kinds": ["branch"]})
    assert set(
        services.targets(Campaign.objects.get(name="只考支部")).values_list("code", flat=True)
    ) == {"A", "B"}
    xibei = RubricVersion.objects.get(rubric__code="xibei-2025")
    with pytest.raises(services.AssessmentError, match="不考评党委"):
        _campaign(dept_admin, xibei, tree.root, "xibei", quarter=1, kinds=["committee"])


# 6 ------------------------------------------------------------------------------------------


def test_overturned_veto_withdraws_its_item_and_leaves_the_report(
    tree, dept_admin, reviewer, secretary_a
):
    campaign = _campaign(dept_admin, simple_version(), tree.root, "xining", start=XINING_START)
    services.delete_stage(campaign.stages.get(kind="cross"), by=dept_admin)
    services.open_campaign(campaign, by=dept_admin)
    full, spot = campaign.stages.get(kind="full"), campaign.stages.get(kind="spot")
    signed(full, tree.a, reviewer, dept_admin, {"1.1": "5", "1.2": "5"}, {"V1": "班子内耗"})
    services.consolidate(campaign, by=dept_admin)
    item = RectificationItem.objects.get(campaign=campaign, kind="veto")
    assert item.status == "open"
    inspector = make_user("inspector", (tree.root, Role.REVIEWER))
    signed(spot, tree.a, inspector, dept_admin, {"1.1": "5", "1.2": "5"})
    services.overturn_veto(
        by=dept_admin,
        campaign=campaign,
        organization=tree.a,
        code="V1",
        stage=spot,
        reason="抽查核实不存在",
    )
    item.refresh_from_db()  # withdrawn at once: the results were already published
    assert item.status == "withdrawn"
    assert item.events.last().note == "否决项已被推翻，整改事项撤销"
    summary = selectors.campaign_summary(campaign)
    assert (summary["rectifications"], summary["open"], summary["vetoed"]) == (0, 0, 0)
    text = "".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(reports.render_summary(campaign, kind="evaluation"))).pages
    )
    assert "整改事项 0 项" in text


# 7, 8 and 12 ---------------------------------------------------------------------------------


def test_rank_by_grade_tier_with_reason_and_provisional_rates(tree, dept_admin, reviewer, client):
    call_command("load_rubrics", verbosity=0)
    version = RubricVersion.objects.get(rubric__code="fuling-2017")
    campaign = _campaign(dept_admin, version, tree.root, "fuling")
    services.open_campaign(campaign, by=dept_admin)
    stage = campaign.stages.get()
    rules = selectors.sheet_rules(
        ScoreSheet(stage=stage, campaign=campaign, rubric_version=version, organization=tree.a)
    )

    def values(short: dict[str, str]) -> dict[str, str]:
        out = {}
        for item in rules.items():
            for code, points in [(p.code, p.points) for p in item.parts] or [
                (item.code, item.points)
            ]:
                out[code] = str(points - Decimal(short.get(code, "0")))
        return out

    key = next(i for i in rules.items() if i.key and not i.parts and i.points >= 1)
    plain = [i for i in rules.items() if not i.key and not i.parts and i.points >= 1]
    # A: 99.5 with an unmet ▲ → 基本合格; B: 95.5, every ▲ met → 合格.
    signed(stage, tree.a, reviewer, dept_admin, values({key.code: "0.5"}))
    signed(stage, tree.b, reviewer, dept_admin, values({i.code: "0.5" for i in plain[:9]}))
    services.consolidate(campaign, by=dept_admin)
    ranked = list(selectors.results_ledger(campaign))
    assert [(r.organization.code, r.total, r.grade) for r in ranked] == [
        ("B", Decimal("95.5"), "合格"),
        ("A", Decimal("99.5"), "基本合格"),
    ]
    reason = f"▲项 {key.code} 未达标：等次不能为“合格”"
    assert ranked[1].grade_reason == reason
    client.force_login(dept_admin)
    page = client.post(
        reverse("campaign_consolidate", args=[campaign.pk]), follow=True
    ).content.decode()
    assert reason in page and "暂定结果：3 个对象尚无结果" in page
    # 8: two results out of five objects in scope (E1, E2, G, A, B): provisional.
    assert "暂定结果" in page and "3 个对象尚无结果" in page
    summary = selectors.campaign_summary(campaign)
    assert (summary["in_scope"], summary["rate"], summary["provisional"]) == (5, 40.0, True)
    # 12: numbers are numbers, the reason is in the ledger export.
    rows = _xlsx(client.get(reverse("results_export", args=[campaign.pk])).content)
    assert rows[1][4] == 95.5 and isinstance(rows[1][5], int | float)
    assert rows[2][rows[0].index("等次说明")] == reason
    _, _, content = ProgressExport(
        by=dept_admin, campaign=campaign, queryset=campaign.sheets.select_related("stage")
    ).render()
    progress = _xlsx(content)
    assert isinstance(progress[1][4], int | float)
    assert isinstance(progress[1][6], datetime) and isinstance(progress[1][7], datetime)
    _, _, content = ResultsExport(by=dept_admin, campaign=campaign).render()
    assert _xlsx(content)[1][0] == 1
    pdf = reports.render_summary(campaign)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "暂定结果" in text and key.code in text


def test_results_stay_provisional_while_a_later_review_stage_is_to_come(tree, dept_admin, reviewer):
    campaign = _campaign(dept_admin, simple_version(), tree.root, "xining", start=XINING_START)
    services.delete_stage(campaign.stages.get(kind="cross"), by=dept_admin)
    services.open_campaign(campaign, by=dept_admin)
    full = campaign.stages.get(kind="full")
    for org in (tree.a, tree.b):
        signed(full, org, reviewer, dept_admin, {"1.1": "5", "1.2": "5"})
    services.consolidate(campaign, by=dept_admin)
    summary = selectors.campaign_summary(campaign)
    # Every object has a result, but the spot-check has not been drawn yet.
    assert (summary["missing"], summary["rate"], summary["provisional"]) == (0, 100.0, True)
