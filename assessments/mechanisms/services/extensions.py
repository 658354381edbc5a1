"""Extended 争先 periods (“整改后达标者，可更换为‘达标牌’，未整改到位的，延长‘争先’期限”):
the department records that a 争先 branch has not rectified in time, and its 争先 period
runs on to the end of a later quarter. How many quarters is the 亮牌 rubric's number."""

from datetime import date

from django.db import transaction

from branches.models import User
from branches.toolkit.periods import next_period, quarter_of, window

from ...models import BranchResult, PlaqueExtension
from ...services.errors import AssessmentError, acting
from ..rules import PLAQUE_RUBRIC, mechanism_settings


def extended_end(year: int, quarter: int, *, quarters: int) -> date:
    """The last day of the quarter ``quarters`` after (year, quarter)."""
    period: tuple[int, int | None] = (year, quarter)
    for _ in range(quarters):
        period = next_period(period[0], period[1])
    return window(*period)[1]


def extend_plaque(result: BranchResult, *, by: User, reason: str) -> PlaqueExtension:
    """未整改到位：extend the branch's 争先 period by the rubric's quarters, from the end of
    the result's quarter or of the last extension."""
    reason = reason.strip()
    if not reason:
        raise AssessmentError("请写明未整改到位的情况。")
    with transaction.atomic(), acting(by):
        result = (
            BranchResult.objects.select_for_update()
            .select_related("campaign__rubric_version", "organization")
            .get(pk=result.pk)
        )
        rule = mechanism_settings(result.campaign.rubric_version)
        if result.rubric_code != PLAQUE_RUBRIC or result.quarter is None:
            raise AssessmentError("只有季度亮牌结果可以延长争先期限。")
        if rule.plaque_extension is None or rule.plaque_extension.number is None:
            raise AssessmentError("亮牌考评标准未规定延长争先期限的办法。")
        if result.grade != rule.extension_grade:
            raise AssessmentError(
                f"{result.organization.name}本季度为“{result.grade}”，"
                f"只有“{rule.extension_grade}”党支部可以延长争先期限。"
            )
        last = result.extensions.order_by("-until").first()
        start = quarter_of(last.until)[:2] if last else (result.year, result.quarter)
        until = extended_end(*start, quarters=int(rule.plaque_extension.number))
        return PlaqueExtension.objects.create(
            result=result,
            organization=result.organization,
            until=until,
            reason=reason[:200],
            created_by=by,
        )
