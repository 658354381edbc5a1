"""Each person's open work: sheets to fill, fix or sign, and problems to fix or verify."""

from dataclasses import dataclass

from django.db.models import (
    Q,
    QuerySet,
)
from django.utils import timezone

from branches import access
from branches.access import Perm
from branches.models import Role, User

from ..access import (
    found_by_q,
)
from ..models import (
    EDITABLE,
    WITH_BRANCH,
    CampaignStatus,
    RectificationItem,
    RectificationStatus,
    ScoreSheet,
    SheetEvent,
    SheetStatus,
    StageKind,
)


@dataclass
class Task:
    sheet: ScoreSheet
    overdue: bool
    days_left: int


def _todo(user: User) -> list[Task]:
    """Sheets to fill or fix in open campaigns, the nearest deadline first."""
    today = timezone.localdate()
    mine = (
        ScoreSheet.objects.filter(
            assessor=user, status__in=EDITABLE, campaign__status=CampaignStatus.OPEN
        )
        .select_related("stage", "organization", "campaign")
        .order_by("stage__deadline", "organization__path")
    )
    return [Task(s, s.overdue, (s.stage.deadline - today).days) for s in mine]


def _returned_reasons(todo: list[Task]) -> dict[int, str]:
    """Why each returned sheet came back (its latest return)."""

    returned = [t.sheet.pk for t in todo if t.sheet.status == SheetStatus.RETURNED]
    if not returned:
        return {}
    return {
        event.sheet_id: event.reason
        for event in SheetEvent.objects.filter(
            sheet_id__in=returned, to_status=SheetStatus.RETURNED
        ).order_by("at")
    }


def _to_sign(user: User) -> QuerySet[ScoreSheet]:
    """Submitted sheets in the department's scope, waiting for sign-off or return."""
    if not access.has_perm(user, Perm.MANAGE_CAMPAIGNS):
        return ScoreSheet.objects.none()
    return (
        ScoreSheet.objects.filter(
            access.scope_q(user, Perm.MANAGE_CAMPAIGNS, "organization__path"),
            status=SheetStatus.SUBMITTED,
        )
        .select_related("stage", "organization", "assessor")
        .order_by("submitted_at")
    )


def _rectification_tasks(user: User) -> tuple[list, list]:
    """(items my branch must fix, submitted items of branches I scored to verify)."""
    fix = (
        RectificationItem.objects.filter(
            organization__memberships__user=user,
            organization__memberships__role=Role.SECRETARY,
            status__in=WITH_BRANCH,
        )
        .select_related("organization")
        .order_by("deadline")
    )
    verify = (
        RectificationItem.objects.filter(verifier_q(user))
        .filter(status=RectificationStatus.SUBMITTED)
        .select_related("organization")
    )
    return list(fix[:20]), list(verify[:20])


def verifier_q(user: User) -> Q:
    """Items this user verifies (销号) once their branch submits them: those of branches
    they scored, problems entered by hand in the department's scope, and a mechanism's
    problems for their inspectors or the pairing's helper."""
    # Problems entered by hand belong to no campaign: the department over them verifies.
    by_hand = Q(result__isnull=True) & access.scope_q(
        user, Perm.MANAGE_CAMPAIGNS, "organization__path"
    )
    return (
        Q(pk__in=RectificationItem.objects.reviewed_by(user).values("pk"))
        | by_hand
        | Q(pk__in=RectificationItem.objects.filter(found_by_q(user)).values("pk"))
    )


def tasks_for(user: User) -> dict:
    """Home page: sheets to fill or fix, sheets waiting for my sign-off or return."""
    todo = _todo(user)
    returned_reasons = _returned_reasons(todo)
    to_sign = _to_sign(user)
    # Self-assessments submitted by branches this reviewer scores: to check or return.
    to_check = list(
        ScoreSheet.objects.filter(
            ScoreSheet.objects.reviewed_pairs(user),
            stage__kind=StageKind.SELF,
            status=SheetStatus.SUBMITTED,
        ).select_related("stage", "organization", "assessor")
    )
    fix, verify = _rectification_tasks(user)
    # Kinds of sheet this person was ever given: the home page's "下一步" hints go once met.
    kinds = set(ScoreSheet.objects.filter(assessor=user).values_list("stage__kind", flat=True))
    return {
        "has_self_sheets": StageKind.SELF in kinds,
        "has_review_sheets": bool(kinds - {StageKind.SELF}),
        "fix": fix,
        "verify": verify,
        "todo": todo,
        "returned_reasons": returned_reasons,
        "to_sign": to_sign[:20],
        "to_sign_count": to_sign.count(),
        "to_check": to_check,
    }
