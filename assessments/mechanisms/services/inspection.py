"""Mutual inspection (互查): scheduling inspectors from other branches, the on-site
互查评分表 scored against a version of the 互查量化清单 with the rubrics engine, problems
landing on the branch's one problem list (verified at 回头看 by the inspectors through the
list's 销号 flow, ``services.close_rectification``)."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from branches.models import Member, Organization, User
from branches.toolkit import audit
from rubrics import scoring
from rubrics.models import RubricVersion
from rubrics.selectors import rules_for, version_tree

from ...models import (
    Inspection,
    InspectionStatus,
    ProblemSource,
    RectificationItem,
    RectificationKind,
)
from ...models.mechanisms import STEPS
from ...services.errors import AssessmentError, acting


def schedule_inspection(
    *,
    by: User,
    organization: Organization,
    version: RubricVersion,
    year: int,
    quarter: int,
    scheduled_on: date,
    inspectors: list[Member],
) -> Inspection:
    """1–2 inspectors, members of other branches with a login, never the branch's own."""
    if not 1 <= len(inspectors) <= 2:
        raise AssessmentError("互查人员应为 1 至 2 人。")
    for m in inspectors:
        if m.organization_id == organization.pk:
            raise AssessmentError(f"{m.name}是被检查党支部的党员，不能检查本支部。")
        if m.user_id is None:
            raise AssessmentError(f"{m.name}没有系统账号，无法填写互查评分表。")
        if not m.is_active:
            raise AssessmentError(f"{m.name}已不在册。")
    with transaction.atomic(), acting(by):
        # The logins are read under the members' row locks, the ones a roster edit takes:
        # a relink cannot slip between this read and the binding.
        locked = Member.objects.select_for_update().in_bulk([m.pk for m in inspectors])
        if any(locked[m.pk].user_id != m.user_id for m in inspectors):
            raise AssessmentError("互查人员的系统账号刚被修改，请刷新后重新安排。")
        inspection = Inspection.objects.create(
            organization=organization,
            version=version,
            year=year,
            quarter=quarter,
            scheduled_on=scheduled_on,
            created_by=by,
        )
        inspection.inspectors.set(inspectors)
        inspection.inspector_accounts.set([m.user_id for m in inspectors if m.user_id])
    return inspection


def login_hold(member: Member) -> str | None:
    """Why ``member``'s login may not be relinked now: an inspection they are assigned
    to is still open (its score form or its 回头看 to come). Registered with the roster."""
    open_ = (
        Inspection.objects.filter(inspectors=member)
        .exclude(status=InspectionStatus.FOLLOWED_UP)
        .select_related("organization")
        .first()
    )
    if open_ is None:
        return None
    return (
        f"{member.name}是“{open_}”的互查人员，互查结束（回头看完成）前"
        "不能修改其系统账号（工号）；如需换人，请由党群部重新安排互查。"
    )


def rules(inspection: Inspection) -> scoring.Rules:
    return rules_for(version_tree(inspection.version_id))


def not_yet_due(inspection: Inspection, today: date | None = None) -> str | None:
    """Why the 互查评分表 cannot be submitted yet (its date is still to come), or None."""
    day = inspection.scheduled_on
    if day > (today or timezone.localdate()):
        return (
            f"本次互查定于 {day.year}年{day.month}月{day.day}日 进行，"
            "届时到现场检查后方可提交互查评分表。"
        )
    return None


def submit_inspection(
    inspection: Inspection,
    *,
    by: User,
    steps: dict[str, str],
    scores: dict[str, Decimal],
    marks: dict[str, str],
    feedback: dict[str, str],
    deadline: date,
) -> Inspection:
    """The 互查评分表: the four steps recorded, each item scored, problem points marked;
    ends with 优点 / 问题 / 整改建议 and a deadline. Every marked problem becomes an item
    of the branch's list, verified by the inspectors at 回头看. Not before the inspection's
    date: the form is filled on site that day."""
    if blocker := not_yet_due(inspection):
        raise AssessmentError(blocker)
    missing = [label for name, label in STEPS if not steps.get(name, "").strip()]
    if missing:
        raise AssessmentError("请记录检查流程的每一步：" + "、".join(missing) + "。")
    checklist = rules(inspection)
    try:
        result = scoring.score(checklist, scoring.Entry(scores))
    except scoring.ScoringError as exc:
        raise AssessmentError(str(exc)) from None
    short = {r.code for r in result.items if r.shortfall > 0}
    unmarked = sorted(short - {c for c, text in marks.items() if text.strip()})
    if unmarked:
        raise AssessmentError("扣分的项目须标注问题点：" + "、".join(unmarked) + "。")
    with transaction.atomic(), acting(by):
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if locked.status != InspectionStatus.SCHEDULED:
            raise AssessmentError("该互查评分表已提交。")
        for name, _ in STEPS:
            setattr(locked, name, steps[name])
        for name, value in feedback.items():
            setattr(locked, name, value)
        locked.deadline = deadline
        locked.scores = {code: str(value) for code, value in scores.items()}
        locked.total = result.total
        locked.status = InspectionStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save()
        texts = {i.code: i.text for i in checklist.items()}
        items = [
            RectificationItem(
                organization=locked.organization,
                source=ProblemSource.INSPECTION,
                inspection=locked,
                found_on=locked.scheduled_on,
                created_by=by,
                code=code,
                kind=RectificationKind.DEDUCTION,
                problem=f"{texts.get(code, code)}：{text.strip()}",
                deadline=deadline,
            )
            for code, text in sorted(marks.items())
            if text.strip()
        ]
        RectificationItem.objects.bulk_create(items)
        audit.record_bulk([(item, None) for item in items])
    return locked
