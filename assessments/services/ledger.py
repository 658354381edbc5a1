"""A branch's hand-kept problem ledger (003's 问题清单、责任清单、整改清单) and the
yearly screening (过筛子) that may put a branch under 集中整顿."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from branches.models import Category, Organization, User

from ..access import can_change_ledger, can_manage_org_campaigns
from ..models import ProblemSource, RectificationItem, RectificationKind, Screening
from .errors import AssessmentError, acting
from .results import RECTIFICATION_DAYS

# Sources a person may pick by hand (考评扣分 comes from consolidation only).
# Entered by hand on the ledger: not a campaign's score, not a mechanism's finding (those
# name the inspection or pairing that found them).
HAND_SOURCES = [
    (value, label)
    for value, label in ProblemSource.choices
    if value not in (ProblemSource.ASSESSMENT, ProblemSource.INSPECTION, ProblemSource.PAIRING)
]


def _next_code(org: Organization, source: str) -> str:
    label = ProblemSource(source).label
    taken = RectificationItem.objects.filter(organization=org, result__isnull=True).count()
    return f"{label}{taken + 1}"[:20]


@transaction.atomic
def add_problem(
    org: Organization,
    *,
    by: User,
    source: str,
    problem: str,
    responsible: str,
    deadline: date,
    measure: str = "",
    found_on: date | None = None,
    screening: Screening | None = None,
) -> RectificationItem:
    """Put a problem on the branch's ledger by hand: who answers for it (责任清单) and by
    when (整改清单); the secretary then writes the measure and submits it for 销号."""
    if not can_change_ledger(by, org):
        raise AssessmentError("只有党群部或本支部书记可以登记问题。")
    if source not in dict(HAND_SOURCES):
        raise AssessmentError("请选择问题来源。")
    if not problem.strip() or not responsible.strip():
        raise AssessmentError("请写明问题和责任人。")
    # Lock the organization row so two problems added at once get distinct codes.
    Organization.objects.select_for_update().filter(pk=org.pk).first()
    with acting(by):
        return RectificationItem.objects.create(
            organization=org,
            source=source,
            kind=RectificationKind.PROBLEM,
            code=_next_code(org, source),
            problem=problem.strip()[:2000],
            responsible=responsible.strip()[:50],
            measure=measure.strip()[:2000],
            deadline=deadline,
            found_on=found_on or timezone.localdate(),
            screening=screening,
            created_by=by,
        )


@transaction.atomic
def screen_branch(
    org: Organization, *, by: User, year: int, category: str, reason: str
) -> Screening:
    """Record the year's classification; the tree shows the latest decision. A 后进 branch is
    put under 集中整顿: its ledger opens with an item to rectify, which is closed by 销号
    like every other."""
    if not can_manage_org_campaigns(by, org):
        raise AssessmentError("年度过筛子由党群部评定。")
    if org.kind != Screening.KIND:
        raise AssessmentError("年度过筛子只评定党支部。")
    if category not in Category.values:
        raise AssessmentError("请选择类别。")
    if not reason.strip():
        raise AssessmentError("评定类别必须写明理由。")
    locked = Organization.objects.select_for_update().get(pk=org.pk)
    latest = Screening.objects.filter(organization=locked).order_by("-year", "-at", "-id").first()
    if latest and latest.year > year:
        raise AssessmentError(f"该组织已有 {latest.year} 年度的评定，不能再登记更早年度的评定。")
    with acting(by):
        screening = Screening.objects.create(
            organization=locked, year=year, category=category, reason=reason.strip()[:2000], by=by
        )
        # The latest decision wins: this screening now stands behind the category (a
        # consequence's 后进 before it stays on the record, see services.consequences).
        source = f"{year}年度过筛子评定为“{Category(category).label}”"
        if (locked.category, locked.category_source) != (category, source):
            locked.category, locked.category_source = category, source
            locked.save(update_fields=["category", "category_source", "updated_at"])
    if category == Category.LAGGING:
        add_problem(
            locked,
            by=by,
            source=ProblemSource.CONSOLIDATION,
            problem=f"{year}年度过筛子评定为后进党支部，集中整顿：{reason.strip()}"[:2000],
            responsible=locked.secretary_name or "支部书记",
            deadline=timezone.localdate() + timedelta(days=RECTIFICATION_DAYS),
            screening=screening,
        )
    return screening
