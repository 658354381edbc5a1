"""A ▲ item required in every period, through a signed review and consolidation: the
missing quarters cap the grade and open a rectification item naming them, even with the
item's points full."""

from datetime import timedelta

from django.utils import timezone

from assessments import services
from assessments.models import BranchResult, RectificationItem
from rubrics.models import GradeBand, Indicator, IndicatorPart, Rubric, RubricVersion, Section
from tests.conftest import open_every_stage


def quarterly_version() -> RubricVersion:
    """1.1 (1 point, ▲): a display each quarter, 0.5 each, capped at 1; 1.2 (9 points);
    合格 ≥ 8, else 基本合格; ▲ items cap the top grade."""
    rubric = Rubric.objects.create(
        code="quarterly",
        name="季度标准",
        issuer="党群部",
        source_document="测试",
        assesses=["branch"],
    )
    version = RubricVersion.objects.create(
        rubric=rubric, number=1, method="points", key_items_cap_top=True
    )
    section = Section.objects.create(version=version, code="1", title="阵地", points=10)
    shown = Indicator.objects.create(
        version=version,
        section=section,
        code="1.1",
        text="至少每季度开展1次宣传展示（每次0.5分）",
        points=1,
        is_key=True,
        period_activity="宣传展示",
    )
    for n, quarter in enumerate(("第一季度", "第二季度", "第三季度", "第四季度")):
        IndicatorPart.objects.create(
            indicator=shown,
            code=f"1.1.{'abcd'[n]}",
            text=f"{quarter}宣传展示",
            points="0.5",
            period=quarter,
            position=n,
        )
    Indicator.objects.create(
        version=version, section=section, code="1.2", text="其他", points=9, position=1
    )
    GradeBand.objects.create(version=version, label="合格", minimum=8, position=0)
    GradeBand.objects.create(version=version, label="基本合格", minimum=None, position=1)
    RubricVersion.objects.filter(pk=version.pk).update(
        status="published", published_at=timezone.now()
    )
    version.refresh_from_db()
    return version


def test_missing_quarters_cap_the_grade_and_open_an_item(
    tree, dept_admin, reviewer, secretary_a, secretary_b
):
    campaign = services.create_campaign(
        by=dept_admin,
        name="2026年度阵地考评",
        version=quarterly_version(),
        scope=tree.root,
        year=2026,
        quarter=None,
        template="standardization",
        start=timezone.localdate() - timedelta(days=3),
    )
    open_every_stage(campaign)
    services.open_campaign(campaign, by=dept_admin)
    (sheet,) = services.assign_reviewers(
        campaign.stages.get(position=1), by=dept_admin, reviewers=[reviewer], orgs=[tree.a]
    )
    values = {"1.1.a": "0.5", "1.1.b": "0.5", "1.1.c": "0", "1.1.d": "0", "1.2": "9"}
    services.save_entries(sheet, by=reviewer, revision=sheet.revision, values=values)
    sheet.refresh_from_db()
    services.submit_sheet(sheet, by=reviewer)
    services.sign_sheet(sheet, by=dept_admin)
    services.consolidate(campaign, by=dept_admin)

    result = BranchResult.objects.get(campaign=campaign, organization=tree.a)
    assert (result.total, result.grade, result.unmet_key_items) == (10, "基本合格", ["1.1"])
    item = RectificationItem.objects.get(organization=tree.a, code="1.1")
    assert item.kind == "key_item"
    assert "▲项 1.1：第三、第四季度无宣传展示，未达标" in item.problem
