"""Every write of the assessment workflow. Each state change is a conditional update
inside a transaction and writes a SheetEvent in the same transaction."""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from branches import audit
from branches.access import Perm, has_perm
from branches.models import CrossReviewGroup, Membership, Organization, OrgKind, Role, User
from rubrics import scoring
from rubrics.models import IndicatorKind, RubricVersion, VersionStatus
from rubrics.selectors import rules_for, version_tree
from rubrics.services import empty_slots

from . import sampling
from .models import (
    EDITABLE,
    Assessor,
    Campaign,
    CampaignStatus,
    CrossReviewPair,
    Draw,
    Evidence,
    ScoreSheet,
    Selection,
    SheetEntry,
    SheetEvent,
    SheetStatus,
    Stage,
    StageKind,
    VetoFinding,
)


class AssessmentError(Exception):
    """A refused action; the message is shown to the user as is (Chinese)."""


class Conflict(AssessmentError):
    """The sheet changed since the editor loaded it (another tab or another person)."""


# -- stage plans ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StageSpec:
    kind: str
    name: str
    assessor: str
    days: int
    selection: str = Selection.ALL
    ratio: Decimal | None = None
    count: int | None = None
    instrument: str = ""


TEMPLATES: dict[str, tuple[str, list[StageSpec]]] = {
    "xining": (
        "西宁：自查自评 → 全面考评 → 交叉互评 → 抽查点评 → 巩固提升",
        [
            StageSpec(StageKind.SELF, "自查自评", Assessor.BRANCH, 28),
            StageSpec(StageKind.FULL, "全面考评", Assessor.DEPARTMENT, 15),
            StageSpec(
                StageKind.CROSS,
                "交叉互评",
                Assessor.CROSS_GROUP,
                45,
                Selection.RATIO,
                ratio=Decimal("0.3"),
            ),
            StageSpec(
                StageKind.SPOT, "抽查点评", Assessor.INSPECTORS, 30, Selection.COUNT, count=1
            ),
            StageSpec(StageKind.CONSOLIDATION, "巩固提升", Assessor.NONE, 180),
        ],
    ),
    "fuling": (
        "涪陵：年度实地考核评分",
        [
            StageSpec(StageKind.ONSITE, "实地考核评分", Assessor.DEPARTMENT, 30),
        ],
    ),
    "xibei": (
        "西北能化：季度亮牌（星级考核、互查、帮扶成效）",
        [
            StageSpec(
                StageKind.INSTRUMENT, "星级党支部考核", Assessor.DEPARTMENT, 20, instrument="star"
            ),
            StageSpec(
                StageKind.INSTRUMENT, "互查评分", Assessor.DEPARTMENT, 20, instrument="inspection"
            ),
            StageSpec(
                StageKind.INSTRUMENT, "帮扶成效评分", Assessor.DEPARTMENT, 20, instrument="pairing"
            ),
            StageSpec(StageKind.CONSOLIDATION, "季度亮牌", Assessor.NONE, 10),
        ],
    ),
    "standardization": (
        "标准化建设：自查 → 督导 → 验收",
        [
            StageSpec(StageKind.SELF, "自查", Assessor.BRANCH, 30),
            StageSpec(StageKind.SUPERVISION, "督导检查", Assessor.DEPARTMENT, 60),
            StageSpec(StageKind.ACCEPTANCE, "考核验收", Assessor.DEPARTMENT, 30),
        ],
    ),
}


def _acting(by: User):
    return audit.acting(by, audit.current().source)


def _require(by: User, perm: Perm, org: Organization) -> None:
    if not has_perm(by, perm, org):
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
    threshold: Decimal = Decimal(10),
) -> Campaign:
    _require(by, Perm.MANAGE_CAMPAIGNS, scope)
    if version.status != VersionStatus.PUBLISHED:
        raise AssessmentError("只能选用已发布的考评标准版本。")
    if committee_version is not None and committee_version.status != VersionStatus.PUBLISHED:
        raise AssessmentError("党委评估清单须为已发布的版本。")
    if template not in TEMPLATES:
        raise AssessmentError("未知的阶段方案。")
    kinds = [k for k in version.rubric.assesses if k != OrgKind.COMMITTEE] or list(
        version.rubric.assesses
    )
    with _acting(by):
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
        )
        opens = start
        for position, spec in enumerate(TEMPLATES[template][1]):
            deadline = opens + timedelta(days=spec.days - 1)
            Stage.objects.create(
                campaign=campaign,
                position=position,
                kind=spec.kind,
                name=spec.name,
                assessor=spec.assessor,
                selection=spec.selection,
                ratio=spec.ratio,
                count=spec.count,
                instrument=spec.instrument,
                opens_on=opens,
                deadline=deadline,
            )
            opens = deadline + timedelta(days=1)
    return campaign


def targets(campaign: Campaign):
    """The organizations a campaign assesses: its scope's subtree, of the assessed kinds."""
    return Organization.objects.filter(
        path__startswith=campaign.scope.path, kind__in=campaign.kinds
    ).order_by("path")


def conflicts(user: User, org: Organization, memberships: list[Membership] | None = None) -> bool:
    """True if the user belongs to the organization: a role on it or inside it, or a
    secretary's role above it (a 党总支 secretary does not score its own branches)."""
    for m in (
        memberships if memberships is not None else user.memberships.select_related("organization")
    ):
        inside = m.organization.path.startswith(org.path)
        leads_above = m.role == Role.SECRETARY and org.path.startswith(m.organization.path)
        if inside or leads_above:
            return True
    return False


@transaction.atomic
def open_campaign(campaign: Campaign, *, by: User) -> list[str]:
    """Open a campaign: self-assessment sheets go to each branch's secretary.
    Returns warnings (branches without a secretary account)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require(by, Perm.MANAGE_CAMPAIGNS, campaign.scope)
    if campaign.status != CampaignStatus.DRAFT:
        raise AssessmentError("只有筹备中的考评活动可以开始。")
    version = campaign.rubric_version
    if version.status != VersionStatus.PUBLISHED:
        raise AssessmentError("所选考评标准版本已停用，不能开始。")
    orgs = list(targets(campaign).select_related("enterprise"))
    if not orgs:
        raise AssessmentError("考评范围内没有可考评的组织。")
    if version.indicators.filter(kind=IndicatorKind.CUSTOM).exists():
        missing = []
        for enterprise in {o.enterprise for o in orgs if o.enterprise}:
            if empty := empty_slots(version, enterprise):
                missing.append(f"{enterprise.name}（{'、'.join(i.code for i in empty)}）")
        if missing:
            raise AssessmentError("以下企业的个性指标尚未填写，不能开始：" + "；".join(missing))
    warnings: list[str] = []
    with _acting(by):
        for stage in campaign.stages.filter(assessor=Assessor.BRANCH):
            warnings += _create_self_sheets(stage, orgs)
        campaign.status = CampaignStatus.OPEN
        campaign.save(update_fields=["status"])
    return warnings


def _create_self_sheets(stage: Stage, orgs: list[Organization]) -> list[str]:
    secretaries = {
        m.organization_id: m.user
        for m in Membership.objects.filter(
            role=Role.SECRETARY, organization__in=orgs, user__is_active=True
        )
        .select_related("user")
        .order_by("-id")
    }
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
        f"可在进度页补发）：{'、'.join(missing)}"
    ]


def _sheet_for(
    stage: Stage, org: Organization, assessor: User, version: RubricVersion | None = None
) -> ScoreSheet:
    sheet, _ = ScoreSheet.objects.get_or_create(
        stage=stage,
        organization=org,
        assessor=assessor,
        defaults={
            "campaign": stage.campaign,
            "rubric_version": version or stage.campaign.rubric_version,
        },
    )
    return sheet


def _memberships(users: list[User]) -> dict[int, list[Membership]]:
    out: dict[int, list[Membership]] = {u.pk: [] for u in users}
    for m in Membership.objects.filter(user__in=users).select_related("organization"):
        out[m.user_id].append(m)
    return out


def _check_stage(stage: Stage, by: User, *, assessor: str) -> Campaign:
    # The state is read from the database, never from a possibly stale object.
    campaign = Campaign.objects.select_related("scope").get(pk=stage.campaign_id)
    _require(by, Perm.MANAGE_CAMPAIGNS, campaign.scope)
    if campaign.status != CampaignStatus.OPEN:
        raise AssessmentError("考评活动尚未开始或已结束。")
    if stage.assessor != assessor:
        raise AssessmentError(f"“{stage.name}”阶段不能这样分配。")
    return campaign


@transaction.atomic
def assign_reviewers(
    stage: Stage, *, by: User, reviewers: list[User], orgs: list[Organization] | None = None
) -> list[ScoreSheet]:
    """Department review: spread the stage's organizations evenly over the reviewers."""
    campaign = _check_stage(stage, by, assessor=Assessor.DEPARTMENT)
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
    with _acting(by):
        return [_sheet_for(stage, org, reviewer) for org, reviewer in plan.items()]


@transaction.atomic
def reassign_sheet(sheet: ScoreSheet, *, by: User, assessor: User) -> ScoreSheet:
    sheet = (
        ScoreSheet.objects.select_for_update()
        .select_related("stage__campaign__scope", "organization")
        .get(pk=sheet.pk)
    )
    _require(by, Perm.MANAGE_CAMPAIGNS, sheet.campaign.scope)
    if sheet.status not in EDITABLE:
        raise AssessmentError("已提交或已签发的考评表不能改派。")
    if conflicts(assessor, sheet.organization):
        raise AssessmentError(f"{assessor}属于{sheet.organization.name}，不能给本组织打分。")
    if ScoreSheet.objects.filter(
        stage=sheet.stage, organization=sheet.organization, assessor=assessor
    ).exists():
        raise AssessmentError(f"{assessor}已有该组织本阶段的考评表。")
    with _acting(by):
        old = sheet.assessor
        sheet.assessor = assessor
        sheet.save(update_fields=["assessor", "updated_at"])
        audit.record(
            sheet,
            "update",
            {"assessor": {"label": "打分人", "old": str(old), "new": str(assessor)}},
        )
    return sheet


def _population(campaign: Campaign, enterprises: list[Organization]) -> dict[str, list[int]]:
    orgs = targets(campaign).filter(enterprise__in=enterprises)
    population: dict[str, list[int]] = {str(e.pk): [] for e in enterprises}
    for org_id, enterprise_id in orgs.values_list("pk", "enterprise_id"):
        population[str(enterprise_id)].append(org_id)
    return population


@transaction.atomic
def draw_cross_review(stage: Stage, *, by: User, seed: str | None = None) -> Draw:
    """Plan group-to-group reviews, sample each reviewed enterprise's branches at the
    stage's ratio, and give the sheets to the reviewing group's reviewers."""
    campaign = _check_stage(stage, by, assessor=Assessor.CROSS_GROUP)
    if stage.draws.exists():
        raise AssessmentError("本阶段已经抽样，抽样结果不能重抽。")
    seed = seed or secrets.token_hex(8)
    groups = list(
        CrossReviewGroup.objects.filter(members__enterprise__path__startswith=campaign.scope.path)
        .distinct()
        .prefetch_related("members__enterprise")
        .order_by("pk")
    )
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
    with _acting(by):
        record = Draw.objects.create(
            stage=stage, seed=seed, inputs=inputs, selected=selected, created_by=by
        )
        for reviewer_id, reviewed_id in plan:
            CrossReviewPair.objects.create(
                stage=stage, reviewer=by_id[reviewer_id], reviewed=by_id[reviewed_id]
            )
            reviewing_enterprises = [m.enterprise for m in by_id[reviewer_id].members.all()]
            reviewers = list(
                User.objects.filter(
                    is_active=True,
                    memberships__role=Role.REVIEWER,
                    memberships__organization__enterprise__in=reviewing_enterprises,
                )
                .distinct()
                .order_by("username")
            )
            if not reviewers:
                raise AssessmentError(f"互评组“{by_id[reviewer_id].name}”没有考评员，无法分配。")
            reviewed_enterprises = [m.enterprise for m in by_id[reviewed_id].members.all()]
            org_ids = [i for e in reviewed_enterprises for i in selected.get(str(e.pk), [])]
            orgs = list(Organization.objects.filter(pk__in=org_ids).order_by("path"))
            roles = _memberships(reviewers)
            assignment = sampling.spread(
                orgs, reviewers, conflict=lambda r, o, roles=roles: conflicts(r, o, roles[r.pk])
            )
            for org, reviewer in assignment.items():
                _sheet_for(stage, org, reviewer)
            if campaign.committee_version is not None:
                checklist = sampling.spread(
                    reviewed_enterprises,
                    reviewers,
                    conflict=lambda r, o, roles=roles: conflicts(r, o, roles[r.pk]),
                )
                for enterprise, reviewer in checklist.items():
                    _sheet_for(stage, enterprise, reviewer, campaign.committee_version)
    return record


@transaction.atomic
def draw_spot_check(
    stage: Stage, *, by: User, inspectors: list[User], seed: str | None = None
) -> Draw:
    campaign = _check_stage(stage, by, assessor=Assessor.INSPECTORS)
    if stage.draws.exists():
        raise AssessmentError("本阶段已经抽样，抽样结果不能重抽。")
    if not inspectors:
        raise AssessmentError("请选择抽查组成员。")
    seed = seed or secrets.token_hex(8)
    enterprises = list(
        Organization.objects.filter(pk__in=targets(campaign).values("enterprise")).order_by("path")
    )
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
            orgs, inspectors, conflict=lambda r, o: conflicts(r, o, roles[r.pk])
        )
    except sampling.SamplingError as exc:
        raise AssessmentError(str(exc)) from None
    with _acting(by):
        record = Draw.objects.create(
            stage=stage, seed=seed, inputs=inputs, selected=selected, created_by=by
        )
        for org, inspector in assignment.items():
            _sheet_for(stage, org, inspector)
    return record


def redraw(record: Draw) -> dict[str, list[int]]:
    """Repeat a recorded draw from its seed and inputs."""
    inputs = record.inputs
    ratio = Decimal(inputs["ratio"]) if inputs.get("ratio") else None
    return sampling.draw(
        {k: v for k, v in inputs["population"].items()},
        seed=record.seed,
        ratio=ratio,
        count=inputs.get("count"),
    )


@transaction.atomic
def extend_deadline(stage: Stage, *, by: User, deadline: date) -> Stage:
    stage = Stage.objects.select_for_update().select_related("campaign__scope").get(pk=stage.pk)
    _require(by, Perm.MANAGE_CAMPAIGNS, stage.campaign.scope)
    if deadline < stage.opens_on:
        raise AssessmentError("截止日期不能早于开始日期。")
    with _acting(by):
        stage.deadline = deadline
        stage.save(update_fields=["deadline"])
    return stage


# -- score sheets --------------------------------------------------------------------------


def sheet_rules(sheet: ScoreSheet) -> scoring.Rules:
    """The rules a sheet is scored by (an instrument stage scores only its own input)."""
    rules = rules_for(version_tree(sheet.rubric_version_id))
    instrument = sheet.stage.instrument
    if instrument and sheet.rubric_version_id == sheet.campaign.rubric_version_id:
        sections = tuple(
            scoring.Section(
                s.code,
                s.title,
                tuple(
                    scoring.Item(**{**i.__dict__, "weight": Decimal(1)})
                    for i in s.items
                    if i.code == instrument
                ),
                s.points,
            )
            for s in rules.sections
        )
        # One instrument alone gets no 亮牌: the grade comes from the weighted composite.
        rules = scoring.Rules(**{**rules.__dict__, "sections": sections, "bands": ()})
    return rules


def _to_points(rules: scoring.Rules, code: str, raw: str) -> Decimal:
    """A checked value as stored: numbers as they are; checklist levels as their points."""
    item = next((i for i in rules.items() if i.code == code), None)
    if rules.method == scoring.CHECKLIST and item is not None:
        for label, fraction in rules.levels:
            if raw == label:
                return item.points * fraction
    return scoring.to_decimal(raw)


def entry_for(sheet: ScoreSheet, rules: scoring.Rules) -> scoring.Entry:
    values = {e.code: e.value for e in sheet.entries.all() if e.value is not None}
    return scoring.Entry(scores=values, vetoes=frozenset(v.code for v in sheet.vetoes.all()))


@dataclass
class SaveResult:
    revision: int
    errors: dict[str, str]
    result: scoring.Result


def _check_assessor(sheet: ScoreSheet, by: User) -> None:
    if sheet.assessor_id != by.pk:
        raise AssessmentError("只有本表的打分人可以修改。")


@transaction.atomic
def save_entries(
    sheet: ScoreSheet,
    *,
    by: User,
    revision: int,
    values: dict[str, str],
    notes: dict[str, str] | None = None,
    vetoes: dict[str, str] | None = None,
    note: str | None = None,
) -> SaveResult:
    """Autosave: store every valid value, report the invalid ones by code, never
    overwrite a newer revision (Conflict)."""
    _check_assessor(sheet, by)
    rules = sheet_rules(sheet)
    veto_codes = {i.code for i in rules.items() if i.kind == scoring.VETO}
    errors: dict[str, str] = {}
    clean: dict[str, Decimal | None] = {}
    for code, raw in values.items():
        raw = (raw or "").strip()
        if not raw:
            clean[code] = None
            continue
        try:
            scoring.validate(rules, scoring.Entry({code: raw}), complete=False)
        except scoring.ScoringError as exc:
            errors[code] = exc.messages[0]
            continue
        clean[code] = _to_points(rules, code, raw)
    vetoes_given = vetoes is not None
    vetoes = {code: (facts or "").strip() for code, facts in (vetoes or {}).items()}
    for code, facts in vetoes.items():
        if code not in veto_codes:
            errors[code] = f"{code}：不是反向（否决）指标"
        elif not facts:
            errors[code] = f"{code}：认定否决项须写明事实依据"
    updated = ScoreSheet.objects.filter(pk=sheet.pk, revision=revision, status__in=EDITABLE).update(
        revision=F("revision") + 1,
        updated_at=timezone.now(),
        **({"note": note} if note is not None else {}),
    )
    if not updated:
        current = ScoreSheet.objects.filter(pk=sheet.pk).values_list("status", flat=True).first()
        if current not in EDITABLE:
            raise AssessmentError("该考评表已提交或已签发，不能再修改。")
        raise Conflict(
            "该考评表已在别处（另一窗口或他人）修改，您本次的输入尚未保存。"
            "请复制保留您的输入后刷新页面。"
        )
    notes = notes or {}
    with _acting(by):
        for code, value in clean.items():
            if value is None and not notes.get(code):
                SheetEntry.objects.filter(sheet=sheet, code=code).delete()
            else:
                SheetEntry.objects.update_or_create(
                    sheet=sheet,
                    code=code,
                    defaults={"value": value, "note": notes.get(code, "")[:500]},
                )
        if vetoes_given:
            # The posted findings are the whole set: unchecked ones are withdrawn.
            VetoFinding.objects.filter(sheet=sheet).exclude(code__in=list(vetoes)).delete()
            for code, facts in vetoes.items():
                if code in veto_codes and facts:
                    VetoFinding.objects.update_or_create(
                        sheet=sheet, code=code, defaults={"facts": facts[:2000]}
                    )
    sheet.refresh_from_db()
    return SaveResult(
        sheet.revision, errors, scoring.score(rules, entry_for(sheet, rules), complete=False)
    )


def _event(
    sheet: ScoreSheet, by: User, old: str, new: str, reason: str = "", digest: str = ""
) -> None:
    SheetEvent.objects.create(
        sheet=sheet, actor=by, from_status=old, to_status=new, reason=reason, digest=digest
    )


def _transition(sheet: ScoreSheet, *, old: tuple[str, ...], new: str, **fields) -> str:
    """Conditional update: only one of two racing requests changes the status."""
    current = (
        ScoreSheet.objects.select_for_update()
        .filter(pk=sheet.pk)
        .values_list("status", flat=True)
        .first()
    )
    if current not in old:
        raise AssessmentError(
            f"当前状态为“{SheetStatus(current).label}”，不能执行此操作（可能已被他人处理）。"
        )
    updated = ScoreSheet.objects.filter(pk=sheet.pk, status=current).update(
        status=new, updated_at=timezone.now(), revision=F("revision") + 1, **fields
    )
    if not updated:
        raise AssessmentError("该考评表刚刚被他人处理，请刷新后查看。")
    return current


@transaction.atomic
def submit_sheet(sheet: ScoreSheet, *, by: User) -> ScoreSheet:
    _check_assessor(sheet, by)
    rules = sheet_rules(sheet)
    try:
        result = scoring.score(rules, entry_for(sheet, rules))
    except scoring.ScoringError as exc:
        raise AssessmentError("不能提交：" + "；".join(exc.messages)) from None
    now = timezone.now()
    fields = {
        "total": result.total,
        "max_total": result.max,
        "grade": result.grade or "",
        "passed": result.passed,
        "reasons": list(result.reasons),
        "unmet_key_items": list(result.unmet_key_items),
        "submitted_at": now,
        "late": timezone.localdate(now) > sheet.stage.deadline,
        "inflated_self": _inflated(sheet, result.total),
    }
    old = _transition(sheet, old=EDITABLE, new=SheetStatus.SUBMITTED, **fields)
    _event(sheet, by, old, SheetStatus.SUBMITTED)
    sheet.refresh_from_db()
    return sheet


def _inflated(sheet: ScoreSheet, total: Decimal) -> bool:
    """自评虚高: the branch's own score exceeds this review's by more than the threshold."""
    if sheet.stage.kind == StageKind.SELF:
        return False
    own = (
        ScoreSheet.objects.filter(
            campaign=sheet.campaign,
            organization=sheet.organization,
            stage__kind=StageKind.SELF,
            total__isnull=False,
            status__in=[SheetStatus.SUBMITTED, SheetStatus.SIGNED],
        )
        .values_list("total", flat=True)
        .first()
    )
    return own is not None and own - total > sheet.campaign.discrepancy_threshold


def can_return(sheet: ScoreSheet, user: User) -> bool:
    """The department, or a reviewer who scores the same organization in this campaign."""
    if has_perm(user, Perm.MANAGE_CAMPAIGNS, sheet.organization):
        return True
    return (
        ScoreSheet.objects.filter(
            campaign=sheet.campaign, organization=sheet.organization, assessor=user
        )
        .exclude(pk=sheet.pk)
        .exists()
    )


@transaction.atomic
def return_sheet(sheet: ScoreSheet, *, by: User, reason: str) -> ScoreSheet:
    reason = reason.strip()
    if not reason:
        raise AssessmentError("退回必须写明原因。")
    if not can_return(sheet, by):
        raise AssessmentError("您不能退回该考评表。")
    old = _transition(sheet, old=(SheetStatus.SUBMITTED,), new=SheetStatus.RETURNED)
    _event(sheet, by, old, SheetStatus.RETURNED, reason=reason[:2000])
    sheet.refresh_from_db()
    return sheet


def sheet_digest(sheet: ScoreSheet) -> str:
    """SHA-256 of what is signed: the organization, stage, version, every score and note,
    the veto findings, the total and the grade."""
    payload = {
        "sheet": sheet.pk,
        "organization": sheet.organization.code,
        "stage": sheet.stage_id,
        "rubric_version": sheet.rubric_version_id,
        "assessor": sheet.assessor.username,
        "entries": sorted([e.code, str(e.value), e.note] for e in sheet.entries.all()),
        "vetoes": sorted([v.code, v.facts] for v in sheet.vetoes.all()),
        "total": str(sheet.total),
        "grade": sheet.grade,
        "note": sheet.note,
    }
    return hashlib.sha256(
        json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()


@transaction.atomic
def sign_sheet(sheet: ScoreSheet, *, by: User) -> ScoreSheet:
    """审核签发: the department signs a submitted sheet; it becomes read-only history."""
    if not has_perm(by, Perm.MANAGE_CAMPAIGNS, sheet.organization):
        raise AssessmentError("只有党群部可以签发。")
    locked = (
        ScoreSheet.objects.select_for_update()
        .select_related("organization", "assessor")
        .get(pk=sheet.pk)
    )
    digest = sheet_digest(locked)
    old = _transition(
        locked,
        old=(SheetStatus.SUBMITTED,),
        new=SheetStatus.SIGNED,
        signed_at=timezone.now(),
        signed_by=by,
        digest=digest,
    )
    _event(locked, by, old, SheetStatus.SIGNED, digest=digest)
    locked.refresh_from_db()
    return locked


@transaction.atomic
def reopen_sheet(sheet: ScoreSheet, *, by: User, reason: str) -> ScoreSheet:
    reason = reason.strip()
    if not reason:
        raise AssessmentError("重新打开已签发的考评表必须写明原因。")
    if not has_perm(by, Perm.MANAGE_CAMPAIGNS, sheet.organization):
        raise AssessmentError("只有党群部可以重新打开已签发的考评表。")
    old = _transition(
        sheet,
        old=(SheetStatus.SIGNED,),
        new=SheetStatus.RETURNED,
        signed_at=None,
        signed_by=None,
        digest="",
    )
    _event(sheet, by, old, SheetStatus.RETURNED, reason=reason[:2000])
    sheet.refresh_from_db()
    return sheet


# -- evidence ------------------------------------------------------------------------------

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
OFFICE = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}


def sniff(content: bytes) -> str | None:
    """The content type judged from the bytes themselves (never from the name)."""
    for content_type, magics in EVIDENCE_TYPES.items():
        if content.startswith(magics):
            return content_type
    if content.startswith(b"PK\x03\x04"):
        import io
        import zipfile

        try:
            names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            for prefix, (content_type, _) in OFFICE.items():
                if any(n.startswith(prefix) for n in names):
                    return content_type
    return None


@transaction.atomic
def add_evidence(sheet: ScoreSheet, *, by: User, code: str, name: str, content: bytes) -> Evidence:
    from django.core.files.base import ContentFile

    _check_assessor(sheet, by)
    if sheet.status not in EDITABLE:
        raise AssessmentError("该考评表已提交或已签发，不能再上传材料。")
    if len(content) > EVIDENCE_MAX_BYTES:
        raise AssessmentError(f"文件过大（{len(content) / 1024 / 1024:.1f} MB），上限为 10 MB。")
    content_type = sniff(content)
    if content_type is None:
        raise AssessmentError(
            "只接受 PDF、JPG、PNG 图片和 Word / Excel / PowerPoint（.docx/.xlsx/.pptx）文件。"
        )
    evidence = Evidence(
        sheet=sheet,
        code=code[:20],
        original_name=name[-200:],
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=by,
    )
    evidence.file.save("upload", ContentFile(content), save=False)
    try:
        evidence.full_clean(exclude=["file"])
    except ValidationError as exc:
        raise AssessmentError("；".join(exc.messages)) from None
    evidence.save()
    return evidence


@transaction.atomic
def delete_evidence(evidence: Evidence, *, by: User) -> None:
    _check_assessor(evidence.sheet, by)
    if evidence.sheet.status not in EDITABLE:
        raise AssessmentError("该考评表已提交或已签发，不能删除材料。")
    evidence.file.delete(save=False)
    evidence.delete()
