"""Campaigns: stage plans, opening, assignment, draws and deadlines."""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction

from branches.models import CrossReviewGroup, Membership, Organization, OrgKind, Role, User
from branches.toolkit import audit
from branches.toolkit.fields import model_field
from branches.toolkit.periods import month_end
from rubrics.models import IndicatorKind, RubricVersion, VersionStatus
from rubrics.scoring import COMPOSITE
from rubrics.services import empty_slots

from .. import sampling
from ..access import can_manage_org_campaigns
from ..models import (
    DEFAULT_DISCREPANCY_THRESHOLD,
    EDITABLE,
    Assessor,
    Campaign,
    CampaignObject,
    CampaignStatus,
    Consolidation,
    CrossReviewPair,
    Draw,
    ScoreSheet,
    Selection,
    Stage,
    StageKind,
)
from ..selectors import (
    campaign_objects,
    in_scope,
    object_enterprises,
    self_assessors,
    self_filler_choices,
    target_enterprises,
)
from .errors import AssessmentError, acting

# -- stage plans ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StageSpec:
    kind: str
    name: str
    assessed_by: str
    days: int
    selection: str = Selection.ALL
    ratio: Decimal | None = None
    count: int | None = None
    instrument: str = ""
    # Runs in the same window as the stage before it (the quarter's three 亮牌 scores are
    # taken side by side, 001), instead of opening after that stage's deadline.
    alongside: bool = False
    # The month the document ends the stage in ("4月底前" → 4; "次年1月底前" → 13): the
    # deadline is that month's last day, counted from the plan's first month. Without it
    # the stage lasts ``days``.
    month: int | None = None
    # What the document says of the stage (its dates and what it does), shown on the page.
    basis: str = ""


class Plan(NamedTuple):
    label: str
    stages: list[StageSpec]
    # The document's month the plan starts in (西宁: 2月): the campaign's start month
    # stands for it, so a stage's ``month`` lands that many months later.
    first_month: int | None = None


XINING_BASIS = "000《以评促建》：{}"
STANDARD_BASIS = "003《基层党支部建设标准化工作实施方案》五、推进步骤：{}"

TEMPLATES: dict[str, Plan] = {
    "xining": Plan(
        "西宁：自查自评 → 全面考评 → 交叉互评 → 抽查点评 → 巩固提升",
        [
            StageSpec(
                StageKind.SELF,
                "自查自评",
                Assessor.BRANCH,
                28,
                month=2,
                basis=XINING_BASIS.format("自查自评（2月），覆盖所有党总支和党支部"),
            ),
            StageSpec(
                StageKind.FULL,
                "全面考评",
                Assessor.DEPARTMENT,
                15,
                basis=XINING_BASIS.format(
                    "全面考评（2月至3月初）；“3月初”无确切日期，系统按15天计"
                ),
            ),
            StageSpec(
                StageKind.CROSS,
                "交叉互评",
                Assessor.CROSS_GROUP,
                45,
                Selection.RATIO,
                ratio=Decimal("0.3"),
                month=4,
                basis=XINING_BASIS.format("交叉互评（4月底前）"),
            ),
            StageSpec(
                StageKind.SPOT,
                "抽查点评",
                Assessor.INSPECTORS,
                30,
                Selection.COUNT,
                count=1,
                month=5,
                basis=XINING_BASIS.format("抽查点评（5月底前）"),
            ),
            StageSpec(
                StageKind.CONSOLIDATION,
                "巩固提升",
                Assessor.NONE,
                180,
                month=12,
                basis=XINING_BASIS.format("巩固提升（6月至12月）"),
            ),
        ],
        first_month=2,
    ),
    "fuling": Plan(
        "涪陵：年度实地考核评分",
        [
            StageSpec(StageKind.ONSITE, "实地考核评分", Assessor.DEPARTMENT, 30),
        ],
    ),
    "xibei": Plan(
        "西北能化：季度亮牌（星级考核、互查、帮扶成效）",
        [
            StageSpec(
                StageKind.INSTRUMENT, "星级党支部考核", Assessor.DEPARTMENT, 20, instrument="star"
            ),
            StageSpec(
                StageKind.INSTRUMENT,
                "互查评分",
                Assessor.DEPARTMENT,
                20,
                instrument="inspection",
                alongside=True,
            ),
            StageSpec(
                StageKind.INSTRUMENT,
                "帮扶成效评分",
                Assessor.DEPARTMENT,
                20,
                instrument="pairing",
                alongside=True,
            ),
            StageSpec(StageKind.CONSOLIDATION, "季度亮牌", Assessor.NONE, 10),
        ],
    ),
    "blank": Plan("空白方案（手工添加各阶段）", []),
    "standardization": Plan(
        "标准化建设：自查 → 督导 → 验收",
        [
            StageSpec(StageKind.SELF, "自查", Assessor.BRANCH, 30),
            StageSpec(StageKind.SUPERVISION, "督导检查", Assessor.DEPARTMENT, 60),
            StageSpec(StageKind.ACCEPTANCE, "考核验收", Assessor.DEPARTMENT, 30),
        ],
    ),
    "standardization-003": Plan(
        "实施方案五阶段（003）：组织发动 → 对标自查 → 争创达标 → 总结验收 → 巩固提升",
        [
            StageSpec(
                StageKind.MOBILIZATION,
                "组织发动",
                Assessor.NONE,
                61,
                month=7,
                basis=STANDARD_BASIS.format(
                    "组织发动阶段（6月至7月）：动员部署、制定方案，开展培训，领导包抓，"
                    "制定任务清单；不打分"
                ),
            ),
            StageSpec(
                StageKind.SELF,
                "对标自查",
                Assessor.BRANCH,
                31,
                month=8,
                basis=STANDARD_BASIS.format(
                    "对标自查阶段（8月底前）：各党支部学标议标、逐项对标自查"
                ),
            ),
            StageSpec(
                StageKind.SUPERVISION,
                "争创达标",
                Assessor.DEPARTMENT,
                122,
                month=12,
                basis=STANDARD_BASIS.format(
                    "争创达标阶段（12月底前）：公司党委随机抽查、定期抽查，督促指导"
                    "（由党群部对所选支部指定考评员）"
                ),
            ),
            StageSpec(
                StageKind.ACCEPTANCE,
                "总结验收",
                Assessor.DEPARTMENT,
                31,
                month=13,
                basis=STANDARD_BASIS.format(
                    "总结验收阶段（次年1月底前）：一个支部一个支部考，一个标准一个标准过；"
                    "未达标的限期改正，约谈支部书记"
                ),
            ),
            StageSpec(
                StageKind.CONSOLIDATION,
                "巩固提升",
                Assessor.NONE,
                335,
                month=24,
                basis=STANDARD_BASIS.format(
                    "巩固提升阶段（长期坚持）；文件未定截止日期，系统暂定至次年12月底，可改期"
                ),
            ),
        ],
        first_month=6,
    ),
}


def stage_deadline(plan: Plan, spec: StageSpec, start: date, opens: date) -> date:
    """A planned stage's deadline: the last day of the month the document names, the
    plan's first month being the start's month (西宁 from 2月1日: 交叉互评 on 4月30日);
    else ``days`` from its opening. Never before it opens."""
    if spec.month is None or plan.first_month is None:
        return opens + timedelta(days=spec.days - 1)
    return max(month_end(start.year, start.month + spec.month - plan.first_month), opens)


def _require(by: User, scope: Organization) -> None:
    """The department over the campaign's scope (``access.can_manage_campaign``)."""
    if not can_manage_org_campaigns(by, scope):
        raise AssessmentError("该组织不在您的管理范围内。")


@transaction.atomic
def create_campaign(
    *,
    by: User,
    name: str,
    version: RubricVersion,
    scope: Organization,
    year: int,
    quarter: int | None,
    template: str,
    start: date,
    committee_version: RubricVersion | None = None,
    threshold: Decimal = DEFAULT_DISCREPANCY_THRESHOLD,
    kinds: list[str] | None = None,
) -> Campaign:
    _require(by, scope)
    if version.status != VersionStatus.PUBLISHED:
        raise AssessmentError("只能选用已发布的考评标准版本。")
    if committee_version is not None and committee_version.status != VersionStatus.PUBLISHED:
        raise AssessmentError("党委评估清单须为已发布的版本。")
    if template not in TEMPLATES:
        raise AssessmentError("未知的阶段方案。")
    kinds = assessed_kinds(version, kinds)
    with acting(by):
        campaign = Campaign.objects.create(
            name=name.strip(),
            rubric_version=version,
            committee_version=committee_version,
            scope=scope,
            kinds=kinds,
            year=year,
            quarter=quarter,
            created_by=by,
            discrepancy_threshold=threshold,
            # Informational: consolidation always follows the rubric's method.
            consolidation=(
                Consolidation.COMPOSITE if version.method == COMPOSITE else Consolidation.LATEST
            ),
        )
        plan = TEMPLATES[template]
        opens = window = start
        for position, spec in enumerate(plan.stages):
            if spec.alongside:
                opens = window
            window = opens
            deadline = stage_deadline(plan, spec, start, opens)
            Stage.objects.create(
                campaign=campaign,
                position=position,
                kind=spec.kind,
                name=spec.name,
                assessed_by=spec.assessed_by,
                selection=spec.selection,
                ratio=spec.ratio,
                count=spec.count,
                instrument=spec.instrument,
                basis=spec.basis,
                opens_on=opens,
                deadline=deadline,
            )
            opens = deadline + timedelta(days=1)
    return campaign


def assessed_kinds(version: RubricVersion, chosen: list[str] | None) -> list[str]:
    """The kinds of organization a campaign assesses: those the department chose, by
    default every kind the rubric lists (enterprise 党委 included)."""
    listed = list(version.rubric.assesses)
    if not chosen:
        return listed
    if unknown := [k for k in chosen if k not in listed]:
        names = "、".join(OrgKind(k).label for k in unknown)
        raise AssessmentError(f"所选考评标准不考评{names}。")
    return [k for k in listed if k in chosen]


def targets(campaign: Campaign):
    """The organizations a campaign assesses: fixed when it opens (see
    ``selectors.campaign_objects``)."""
    return campaign_objects(campaign)


def conflicts(
    user: User,
    org: Organization,
    memberships: list[Membership] | None = None,
    *,
    outside_enterprise: bool = False,
) -> bool:
    """True if the user belongs to the organization: a role on it or inside it, or a
    secretary's role above it (a 党总支 secretary does not score its own branches).

    With ``outside_enterprise`` (spot-checks by a higher-level team), any role inside the
    organization's enterprise counts as belonging too."""
    enterprise_path = None
    if org.enterprise_id:  # "/1/5/12/" with enterprise 5 → "/1/5/"
        marker = f"/{org.enterprise_id}/"
        enterprise_path = org.path[: org.path.index(marker) + len(marker)]
    for m in (
        memberships if memberships is not None else user.memberships.select_related("organization")
    ):
        inside = m.organization.path.startswith(org.path)
        leads_above = m.role == Role.SECRETARY and org.path.startswith(m.organization.path)
        same_enterprise = (
            outside_enterprise
            and enterprise_path is not None
            and m.organization.path.startswith(enterprise_path)
        )
        if inside or leads_above or same_enterprise:
            return True
    return False


@transaction.atomic
def open_campaign(campaign: Campaign, *, by: User) -> list[str]:
    """Open a campaign: self-assessment sheets go to each branch's secretary.
    Returns warnings (branches without a secretary account)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require(by, campaign.scope)
    if campaign.status != CampaignStatus.DRAFT:
        raise AssessmentError("只有筹备中的考评活动可以开始。")
    version = campaign.rubric_version
    if version.status != VersionStatus.PUBLISHED:
        raise AssessmentError("所选考评标准版本已停用，不能开始。")
    orgs = list(in_scope(campaign).select_related("enterprise"))
    if not orgs:
        raise AssessmentError("考评范围内没有可考评的组织。")
    if version.indicators.filter(kind=IndicatorKind.CUSTOM).exists():
        missing = []
        for enterprise in {o.enterprise for o in orgs if o.enterprise}:
            if empty := empty_slots(version, enterprise):
                missing.append(f"{enterprise.name}（{'、'.join(i.code for i in empty)}）")
        if missing:
            raise AssessmentError("以下企业的个性指标尚未填写，不能开始：" + "；".join(missing))
    for stage in campaign.stages.filter(assessed_by=Assessor.CROSS_GROUP):
        if problem := cross_review_problem(campaign, stage):
            raise AssessmentError(f"“{stage.name}”无法抽样，不能开始：{problem}")
    warnings: list[str] = []
    with acting(by):
        for stage in campaign.stages.filter(assessed_by=Assessor.BRANCH):
            warnings += _create_self_sheets(stage, orgs)
        campaign.status = CampaignStatus.OPEN
        campaign.save(update_fields=["status"])
        # The campaign's objects are fixed now: later changes of the tree never enter it.
        CampaignObject.objects.bulk_create(
            CampaignObject(
                campaign=campaign,
                organization=o,
                enterprise_id=o.enterprise_id,
                weak_and_lax=o.weak_and_lax,
            )
            for o in orgs
        )
        audit.record(
            campaign,
            "update",
            {"objects": {"label": "考评对象", "old": "", "new": f"已固定 {len(orgs)} 个"}},
        )
    return warnings


@transaction.atomic
def reissue_self_sheets(campaign: Campaign, *, by: User) -> tuple[int, list[str]]:
    """补发: self-assessment sheets for organizations that had no secretary account when
    the campaign opened (or whose sheet was never made). Returns (created, warnings)."""
    campaign = Campaign.objects.select_for_update().select_related("scope").get(pk=campaign.pk)
    _require(by, campaign.scope)
    if campaign.status != CampaignStatus.OPEN:
        raise AssessmentError("只有进行中的考评活动可以补发自评表。")
    orgs = list(targets(campaign))
    created, warnings = 0, []
    with acting(by):
        for stage in campaign.stages.filter(assessed_by=Assessor.BRANCH):
            before = stage.sheets.count()
            warnings += _create_self_sheets(stage, orgs)
            created += stage.sheets.count() - before
    return created, warnings


def _create_self_sheets(stage: Stage, orgs: list[Organization]) -> list[str]:
    have = set(stage.sheets.values_list("organization_id", flat=True))
    orgs = [o for o in orgs if o.pk not in have]
    secretaries = self_assessors([o.pk for o in orgs])
    missing = []
    for org in orgs:
        user = secretaries.get(org.pk)
        if user is None:
            missing.append(org.name)
            continue
        ScoreSheet.objects.get_or_create(
            stage=stage,
            organization=org,
            assessor=user,
            defaults={"campaign": stage.campaign, "rubric_version": stage.campaign.rubric_version},
        )
    if not missing:
        return []
    return [
        f"以下 {len(missing)} 个组织没有支部书记账号，未生成“{stage.name}”表（授予支部书记角色后"
        f"可在进度页补发，或在考评活动页“尚无自评表的组织”指定填表人）：{'、'.join(missing)}"
    ]


@transaction.atomic
def assign_self_filler(
    stage: Stage, *, by: User, organization: Organization, filler: User
) -> ScoreSheet:
    """Give an object without a self-assessment sheet one, filled by ``filler`` (an
    account of the department's choosing, when the branch has no secretary account):
    000 has every 党总支 and 党支部 assess itself."""
    campaign = _check_stage(stage, by, assessed_by=Assessor.BRANCH)
    Campaign.objects.select_for_update().get(pk=campaign.pk)  # one assignment at a time
    if not campaign_objects(campaign).filter(pk=organization.pk).exists():
        raise AssessmentError(f"{organization.name}不是本次考评的对象。")
    if stage.sheets.filter(organization=organization).exists():
        raise AssessmentError(f"{organization.name}已有“{stage.name}”表。")
    if not self_filler_choices(campaign).filter(pk=filler.pk).exists():
        raise AssessmentError(f"{filler}不能填写本次考评的自评表。")
    if (
        ScoreSheet.objects.scored_by(filler)
        .filter(campaign=campaign, organization=organization)
        .exists()
    ):
        raise AssessmentError(f"{filler}考评{organization.name}，不能同时填写其自评表。")
    with acting(by):
        sheet = ScoreSheet.objects.create(
            stage=stage,
            organization=organization,
            assessor=filler,
            campaign=campaign,
            rubric_version=campaign.rubric_version,
        )
        audit.record(
            sheet,
            "create",
            {"assessor": {"label": "填表人", "old": "", "new": f"{filler}（指定填写自评表）"}},
        )
    return sheet


def _sheet_for(
    stage: Stage, org: Organization, assessor: User, version: RubricVersion | None = None
) -> ScoreSheet:
    # Keyed on the version too: an enterprise 党委 drawn for cross-review gets its branch
    # sheet and, from the same reviewer, its own 7-measures checklist.
    sheet, _ = ScoreSheet.objects.get_or_create(
        stage=stage,
        organization=org,
        assessor=assessor,
        rubric_version=version or stage.campaign.rubric_version,
        defaults={"campaign": stage.campaign},
    )
    return sheet


def _memberships(users: list[User]) -> dict[int, list[Membership]]:
    out: dict[int, list[Membership]] = {u.pk: [] for u in users}
    for m in Membership.objects.filter(user__in=users).select_related("organization"):
        out[m.user_id].append(m)
    return out


def _check_stage(stage: Stage, by: User, *, assessed_by: str) -> Campaign:
    # The state is read from the database, never from a possibly stale object.
    campaign = Campaign.objects.select_related("scope").get(pk=stage.campaign_id)
    _require(by, campaign.scope)
    if campaign.status != CampaignStatus.OPEN:
        raise AssessmentError("考评活动尚未开始或已结束。")
    if stage.assessed_by != assessed_by:
        raise AssessmentError(f"“{stage.name}”阶段不能这样分配。")
    return campaign


@transaction.atomic
def assign_reviewers(
    stage: Stage, *, by: User, reviewers: list[User], orgs: list[Organization] | None = None
) -> list[ScoreSheet]:
    """Department review: spread the stage's organizations evenly over the reviewers."""
    campaign = _check_stage(stage, by, assessed_by=Assessor.DEPARTMENT)
    if not reviewers:
        raise AssessmentError("请至少选择一名考评员。")
    for reviewer in reviewers:
        if not Membership.objects.filter(user=reviewer, role=Role.REVIEWER).exists():
            raise AssessmentError(f"{reviewer}不是考评员。")
    assigned = set(stage.sheets.values_list("organization_id", flat=True))
    orgs = [o for o in (orgs or list(targets(campaign))) if o.pk not in assigned]
    roles = _memberships(reviewers)
    load = {r: stage.sheets.filter(assessor=r).count() for r in reviewers}
    try:
        plan = sampling.spread(
            orgs, reviewers, load=load, conflict=lambda r, o: conflicts(r, o, roles[r.pk])
        )
    except sampling.SamplingError as exc:
        raise AssessmentError(str(exc)) from None
    with acting(by):
        return [_sheet_for(stage, org, reviewer) for org, reviewer in plan.items()]


@transaction.atomic
def reassign_sheet(sheet: ScoreSheet, *, by: User, assessor: User) -> ScoreSheet:
    sheet = (
        ScoreSheet.objects.select_for_update()
        .select_related("stage__campaign__scope", "organization")
        .get(pk=sheet.pk)
    )
    _require(by, sheet.campaign.scope)
    if sheet.status not in EDITABLE:
        raise AssessmentError("已提交或已签发的考评表不能改派。")
    if conflicts(assessor, sheet.organization):
        raise AssessmentError(f"{assessor}属于{sheet.organization.name}，不能给本组织打分。")
    if ScoreSheet.objects.filter(
        stage=sheet.stage,
        organization=sheet.organization,
        assessor=assessor,
        rubric_version=sheet.rubric_version_id,
    ).exists():
        raise AssessmentError(f"{assessor}已有该组织本阶段的考评表。")
    with acting(by):
        old = sheet.assessor
        sheet.assessor = assessor
        sheet.save(update_fields=["assessor", "updated_at"])
        audit.record(
            sheet,
            "update",
            {"assessor": {"label": "打分人", "old": str(old), "new": str(assessor)}},
        )
    return sheet


def _groups(campaign: Campaign) -> list[CrossReviewGroup]:
    return list(
        CrossReviewGroup.objects.filter(members__enterprise__path__subtree=campaign.scope.path)
        .distinct()
        .prefetch_related("members__enterprise")
        .order_by("pk")
    )


def _group_reviewers(group: CrossReviewGroup) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__role=Role.REVIEWER,
            memberships__organization__enterprise__in=[m.enterprise for m in group.members.all()],
        )
        .distinct()
        .order_by("username")
    )


def cross_review_problem(campaign: Campaign, stage: Stage) -> str | None:
    """Why a cross-review stage's draw cannot run as planned (None if it can): the plan is
    checked before the campaign opens and shown on the campaign page."""
    groups = _groups(campaign)
    try:
        sampling.group_plan(
            [g.pk for g in groups], seed="check", avoid_reciprocal=stage.avoid_reciprocal
        )
    except sampling.SamplingError as exc:
        return f"考评范围内有 {len(groups)} 个互评组。{exc}"
    if empty := [g.name for g in groups if not _group_reviewers(g)]:
        return "以下互评组没有考评员：" + "、".join(empty)
    return None


def ungrouped_enterprises(campaign: Campaign) -> list[Organization]:
    """The enterprises with objects in the campaign that belong to no 互评组: a cross-review
    draws only from groups, so their branches are never cross-reviewed (said on the campaign
    page and when drawing, never skipped silently)."""
    grouped = {m.enterprise_id for g in _groups(campaign) for m in g.members.all()}
    ids = {e for _, e in object_enterprises(campaign) if e is not None} - grouped
    return list(Organization.objects.filter(pk__in=ids).order_by("path"))


def ungrouped_notice(campaign: Campaign) -> str:
    """The sentence that names those enterprises ("" when every one is in a group)."""
    if not (outside := ungrouped_enterprises(campaign)):
        return ""
    return (
        "以下企业不在任何互评组中，交叉互评不会抽到其党支部："
        + "、".join(e.name for e in outside)
        + "。如需参加，请先在“互评组”中加入。"
    )


def _population(campaign: Campaign, enterprises: list[Organization]) -> dict[str, list[int]]:
    """The objects to draw from, under the enterprise each belonged to when the campaign
    opened (where the results page counts them)."""
    population: dict[str, list[int]] = {str(e.pk): [] for e in enterprises}
    for org_id, enterprise_id in object_enterprises(campaign):
        if str(enterprise_id) in population:
            population[str(enterprise_id)].append(org_id)
    return population


def _assign_pair(stage: Stage, campaign: Campaign, reviewing, reviewed, selected: dict) -> None:
    """Give the reviewed group's drawn branches (and, with a committee checklist, its
    enterprises) to the reviewing group's reviewers, spread evenly, never to a conflicted
    reviewer."""
    reviewers = _group_reviewers(reviewing)
    if not reviewers:
        raise AssessmentError(f"互评组“{reviewing.name}”没有考评员，无法分配。")
    reviewed_enterprises = [m.enterprise for m in reviewed.members.all()]
    org_ids = [i for e in reviewed_enterprises for i in selected.get(str(e.pk), [])]
    orgs = list(Organization.objects.filter(pk__in=org_ids).order_by("path"))
    roles = _memberships(reviewers)

    def conflicted(reviewer, org) -> bool:
        return conflicts(reviewer, org, roles[reviewer.pk])

    for org, reviewer in sampling.spread(orgs, reviewers, conflict=conflicted).items():
        _sheet_for(stage, org, reviewer)
    if campaign.committee_version is not None:
        checklist = sampling.spread(reviewed_enterprises, reviewers, conflict=conflicted)
        for enterprise, reviewer in checklist.items():
            _sheet_for(stage, enterprise, reviewer, campaign.committee_version)


@transaction.atomic
def draw_cross_review(stage: Stage, *, by: User, seed: str | None = None) -> Draw:
    """Plan group-to-group reviews, sample each reviewed enterprise's branches at the
    stage's ratio, and give the sheets to the reviewing group's reviewers."""
    campaign = _check_stage(stage, by, assessed_by=Assessor.CROSS_GROUP)
    if stage.draws.exists():
        raise AssessmentError("本阶段已经抽样，抽样结果不能重抽。")
    seed = seed or secrets.token_hex(8)
    groups = _groups(campaign)
    try:
        plan = sampling.group_plan(
            [g.pk for g in groups], seed=seed, avoid_reciprocal=stage.avoid_reciprocal
        )
    except sampling.SamplingError as exc:
        raise AssessmentError(str(exc)) from None
    by_id = {g.pk: g for g in groups}
    population: dict[str, list[int]] = {}
    for group in groups:
        population.update(_population(campaign, [m.enterprise for m in group.members.all()]))
    selected = sampling.draw(population, seed=seed, ratio=stage.ratio, count=stage.count)
    inputs = {
        "population": population,
        "ratio": str(stage.ratio) if stage.ratio else None,
        "count": stage.count,
        "groups": [g.pk for g in groups],
        "avoid_reciprocal": stage.avoid_reciprocal,
        "plan": plan,
    }
    with acting(by):
        record = Draw.objects.create(
            stage=stage, seed=seed, inputs=inputs, selected=selected, created_by=by
        )
        for reviewer_id, reviewed_id in plan:
            CrossReviewPair.objects.create(
                stage=stage, reviewer=by_id[reviewer_id], reviewed=by_id[reviewed_id]
            )
            _assign_pair(stage, campaign, by_id[reviewer_id], by_id[reviewed_id], selected)
    return record


@transaction.atomic
def draw_spot_check(
    stage: Stage, *, by: User, inspectors: list[User], seed: str | None = None
) -> Draw:
    campaign = _check_stage(stage, by, assessed_by=Assessor.INSPECTORS)
    if stage.draws.exists():
        raise AssessmentError("本阶段已经抽样，抽样结果不能重抽。")
    if not inspectors:
        raise AssessmentError("请选择抽查组成员。")
    seed = seed or secrets.token_hex(8)
    enterprises = list(target_enterprises(campaign))
    population = _population(campaign, enterprises)
    selected = sampling.draw(population, seed=seed, ratio=stage.ratio, count=stage.count)
    inputs = {
        "population": population,
        "ratio": str(stage.ratio) if stage.ratio else None,
        "count": stage.count,
    }
    roles = _memberships(inspectors)
    orgs = list(
        Organization.objects.filter(pk__in=[i for ids in selected.values() for i in ids]).order_by(
            "path"
        )
    )
    try:
        assignment = sampling.spread(
            orgs,
            inspectors,
            conflict=lambda r, o: conflicts(r, o, roles[r.pk], outside_enterprise=True),
        )
    except sampling.SamplingError as exc:
        raise AssessmentError(str(exc)) from None
    with acting(by):
        record = Draw.objects.create(
            stage=stage, seed=seed, inputs=inputs, selected=selected, created_by=by
        )
        for org, inspector in assignment.items():
            _sheet_for(stage, org, inspector)
    return record


class OverlapsNextStage(AssessmentError):
    """A new deadline runs into the next stage: saved only once the person confirms."""

    def __init__(self, stage: Stage, following: Stage, deadline: date, was: date):
        self.stage, self.following, self.deadline, self.was = stage, following, deadline, was
        super().__init__(
            f"新的截止日期 {deadline} 晚于下一阶段“{following.name}”的开始日期 "
            f"{following.opens_on}：两个阶段将同时进行，“{following.name}”开始后"
            f"“{stage.name}”仍可提交。请确认。"
        )


def overlapped_stage(stage: Stage, deadline: date, *, was: date) -> Stage | None:
    """The first later stage of the plan that moving the deadline from ``was`` to
    ``deadline`` newly runs into (it opens after ``was`` and on or before ``deadline``),
    or None. Stages planned to run alongside (西北能化's three quarterly scores) already
    overlap and are not asked about again."""
    return (
        stage.campaign.stages.filter(
            position__gt=stage.position, opens_on__gt=was, opens_on__lte=deadline
        )
        .order_by("opens_on", "position")
        .first()
    )


@transaction.atomic
def extend_deadline(
    stage: Stage, *, by: User, deadline: date, overlap_confirmed: bool = False
) -> Stage:
    """Change a stage's deadline. One that runs into the next stage's start is refused
    with ``OverlapsNextStage`` unless the person confirmed it (the page asks first)."""
    stage = Stage.objects.select_for_update().select_related("campaign__scope").get(pk=stage.pk)
    _require(by, stage.campaign.scope)
    if deadline < stage.opens_on:
        raise AssessmentError("截止日期不能早于开始日期。")
    moved = deadline != stage.deadline and not overlap_confirmed
    if moved and (following := overlapped_stage(stage, deadline, was=stage.deadline)):
        raise OverlapsNextStage(stage, following, deadline, was=stage.deadline)
    with acting(by):
        stage.deadline = deadline
        stage.save(update_fields=["deadline"])
    return stage


STAGE_FIELDS = (
    "kind",
    "name",
    "assessed_by",
    "selection",
    "ratio",
    "count",
    "instrument",
    "avoid_reciprocal",
    "opens_on",
    "deadline",
)


# What a sampled stage may still change after opening, until its draw has run.
DRAW_FIELDS = ("selection", "ratio", "count", "avoid_reciprocal")


def _draft_campaign(campaign: Campaign, by: User) -> Campaign:
    campaign = Campaign.objects.select_for_update().select_related("scope").get(pk=campaign.pk)
    _require(by, campaign.scope)
    if campaign.status != CampaignStatus.DRAFT:
        raise AssessmentError("考评活动开始后不能再调整阶段方案（截止日期仍可修改）。")
    return campaign


def _check_stage_data(data: dict) -> None:
    if data["deadline"] < data["opens_on"]:
        raise AssessmentError("截止日期不能早于开始日期。")
    if data["selection"] == Selection.RATIO and not data.get("ratio"):
        raise AssessmentError("按比例抽取须填写抽取比例（0–1）。")
    if data["selection"] == Selection.COUNT and not data.get("count"):
        raise AssessmentError("按数量抽取须填写抽取数量。")
    if data["kind"] == StageKind.SELF and data["assessed_by"] != Assessor.BRANCH:
        raise AssessmentError("自查自评阶段的打分人应为党支部自评。")


@transaction.atomic
def save_stage(
    campaign: Campaign,
    *,
    by: User,
    data: dict,
    stage: Stage | None = None,
    overlap_confirmed: bool = False,
) -> Stage:
    """Add a stage to a campaign's plan, or change one, while the campaign is 筹备中.
    Once it is open, a sampled stage's draw options stay editable until its draw runs.
    A changed deadline that runs into the next stage asks first (``OverlapsNextStage``)."""
    values: dict[str, Any] = {key: data.get(key) for key in STAGE_FIELDS}
    values["instrument"] = values["instrument"] or ""
    deadline = values["deadline"]
    if stage is not None and not overlap_confirmed:
        # The stored deadline: a bound model form has already set the new one on ``stage``.
        stored = Stage.objects.values_list("deadline", flat=True).get(pk=stage.pk)
        if deadline != stored and (following := overlapped_stage(stage, deadline, was=stored)):
            raise OverlapsNextStage(stage, following, deadline, was=stored)
    if stage is not None and _is_open_sampled(campaign, stage):
        return _save_draw_options(stage, by=by, values=values)
    campaign = _draft_campaign(campaign, by)
    _check_stage_data(data)
    with acting(by):
        if stage is None:
            last = campaign.stages.order_by("-position").values_list("position", flat=True).first()
            position = 0 if last is None else last + 1
            stage = Stage(campaign=campaign, position=position, **values)
        else:
            for key, value in values.items():
                setattr(stage, key, value)
        stage.save()
    return stage


def _is_open_sampled(campaign: Campaign, stage: Stage) -> bool:
    status = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
    return status == CampaignStatus.OPEN and stage.assessed_by in (
        Assessor.CROSS_GROUP,
        Assessor.INSPECTORS,
    )


def _save_draw_options(stage: Stage, *, by: User, values: dict) -> Stage:
    stage = Stage.objects.select_for_update().select_related("campaign__scope").get(pk=stage.pk)
    _require(by, stage.campaign.scope)
    if stage.draws.exists():
        raise AssessmentError("本阶段已经抽样，抽样选项不能再修改。")
    fixed = [
        model_field(Stage, key).verbose_name
        for key in STAGE_FIELDS
        if key not in DRAW_FIELDS and key != "deadline" and values[key] != getattr(stage, key)
    ]
    if fixed:
        raise AssessmentError(
            "考评活动开始后只能修改抽样选项（抽样前）和截止日期，不能修改："
            + "、".join(str(f) for f in fixed)
        )
    _check_stage_data({**{k: getattr(stage, k) for k in STAGE_FIELDS}, **values})
    if values["deadline"] != stage.deadline and values["deadline"] < stage.opens_on:
        raise AssessmentError("截止日期不能早于开始日期。")
    # The draw uses the ratio or the count the selection names, never a stale other one.
    if values["selection"] != Selection.RATIO:
        values["ratio"] = None
    if values["selection"] != Selection.COUNT:
        values["count"] = None
    with acting(by):
        for key in (*DRAW_FIELDS, "deadline"):
            setattr(stage, key, values[key])
        stage.save()
    return stage


@transaction.atomic
def delete_stage(stage: Stage, *, by: User) -> None:
    campaign = _draft_campaign(stage.campaign, by)
    with acting(by):
        stage.delete()
        for position, other in enumerate(campaign.stages.order_by("position")):
            if other.position != position:
                Stage.objects.filter(pk=other.pk).update(position=position)


@transaction.atomic
def close_campaign(campaign: Campaign, *, by: User) -> Campaign:
    """Close a campaign that is under way (已结束). The row is locked so two closings (or a
    closing racing a reissue) cannot both pass the guard; the audit trail records the
    change of status with who and when."""
    campaign = Campaign.objects.select_for_update().select_related("scope").get(pk=campaign.pk)
    _require(by, campaign.scope)
    if campaign.status != CampaignStatus.OPEN:
        raise AssessmentError("只有进行中的考评活动可以结束。")
    with acting(by):
        campaign.status = CampaignStatus.CLOSED
        campaign.save(update_fields=["status"])
    return campaign


def staff_stage(stage: Stage, *, by: User, people: list[User]) -> Draw | list[ScoreSheet]:
    """Give a stage its assessors the way its kind asks: a cross-review draw (the groups'
    reviewers, ``people`` unused), a spot-check draw over the inspectors, or the
    department's reviewers spread evenly. Returns the draw, or the sheets made."""
    if stage.assessed_by == Assessor.CROSS_GROUP:
        return draw_cross_review(stage, by=by)
    if stage.assessed_by == Assessor.INSPECTORS:
        return draw_spot_check(stage, by=by, inspectors=people)
    return assign_reviewers(stage, by=by, reviewers=people)
