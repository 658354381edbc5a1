"""Consequences across periods as the rubric's source document states them, and re-rating a
result."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import (
    QuerySet,
)
from django.utils import timezone

from branches.models import User
from branches.toolkit.periods import next_period, previous_period

from ...access import (
    can_manage_org_campaigns,
)
from ...models import (
    BranchResult,
    Campaign,
    Consequence,
    ConsequenceStatus,
    Rerating,
)
from ..consequences import sync_effects
from ..errors import AssessmentError, acting
from .figures import Stored, insert_rows, stored_results
from .ranking import rank_results

# -- consequences -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    code: str
    text: str
    basis: str
    effect: str = ""  # the status it records (EffectKind), "" for text only
    points: Decimal | None = None  # a bonus's points


@dataclass(frozen=True)
class ConsequenceRules:
    """A rubric version's use of results as its source document states it: data carried by
    the version (``RubricVersion.consequence_rules``), never chosen by the rubric's code."""

    basis: str = ""
    # (code, grade, previous period's grade or None for any, text, effect, points), in the
    # document's order
    rules: tuple[tuple[str, str, str | None, str, str, Decimal | None], ...] = ()
    # (from, to) re-ratings the document allows; None: any recorded decision may re-rate
    reratings: tuple[tuple[str, str], ...] | None = None


def consequence_rules(data: dict) -> ConsequenceRules:
    """The one reader of a version's consequence rules (fixtures/rubrics/*.json layout:
    {"basis", "rules": [{"code", "grade", "previous"?, "text", "effect"?, "points"?}],
    "reratings"?: [{"from", "to"}]})."""
    reratings = data.get("reratings")
    return ConsequenceRules(
        basis=data.get("basis", ""),
        rules=tuple(
            (
                r["code"],
                r["grade"],
                r.get("previous"),
                r["text"],
                r.get("effect", ""),
                Decimal(str(r["points"])) if r.get("points") not in (None, "") else None,
            )
            for r in data.get("rules", [])
        ),
        reratings=tuple((r["from"], r["to"]) for r in reratings) if reratings else None,
    )


def consequences_for(
    rubric_code: str,
    grade: str,
    previous: str | None,
    *,
    rules: ConsequenceRules | None = None,
) -> list[Rule]:
    """The consequences a grade (and the previous period's grade) sets off under ``rules``,
    the campaign's version's; without them, those of the shipped rubric ``rubric_code``."""
    if rules is None:
        from rubrics.services import shipped_document

        doc = shipped_document(rubric_code) or {}
        rules = consequence_rules(doc.get("consequence_rules", {}))
    return [
        Rule(code, text, rules.basis, effect, points)
        for code, when, before, text, effect, points in rules.rules
        if when == grade and (before is None or before == previous)
    ]


def apply_consequences(campaign: Campaign, version, results: list[Stored], *, by: User) -> int:
    rubric_code = version.rubric.code
    rules = consequence_rules(version.consequence_rules)
    year, quarter = previous_period(campaign.year, campaign.quarter)
    previous = dict(
        BranchResult.objects.filter(
            rubric_code=rubric_code,
            year=year,
            quarter=quarter,
            organization_id__in=BranchResult.objects.filter(campaign=campaign).values(
                "organization_id"
            ),
        )
        .exclude(campaign=campaign)
        # Two campaigns of one period: the latest one's grade, as the 亮牌 board reads it
        # (mechanisms.selectors.quarter_campaigns); dict() keeps the last of each branch.
        .order_by("campaign__created_at", "campaign_id")
        .values_list("organization_id", "grade")
    )
    # (result, rule) pairs first: a model is built only for a consequence not stored yet.
    # Few (grade, previous grade) pairs among many results: each pair's rules found once.
    applying: dict[tuple[str, str | None], list[Rule]] = {}
    wanted: dict[tuple[int, str], Rule] = {}
    for result in results:
        grades = (result.grade, previous.get(result.organization_id))
        if (found := applying.get(grades)) is None:
            found = applying[grades] = consequences_for(rubric_code, *grades, rules=rules)
        for rule in found:
            wanted[result.pk, rule.code] = rule
    keep = set(wanted)
    have = {
        (result_id, rule): (pk, status)
        for pk, result_id, rule, status in Consequence.objects.filter(result__campaign=campaign)
        .order_by()
        .values_list("pk", "result_id", "rule", "status")
    }
    # Rules that no longer apply (a re-consolidation changed the grade) go, unless done.
    stale = [
        pk
        for key, (pk, status) in have.items()
        if key not in keep and status == ConsequenceStatus.PENDING
    ]
    if stale:
        Consequence.objects.filter(pk__in=stale).delete()
    insert_rows(
        Consequence,
        [
            dict(result_id=result_id, rule=rule.code, text=rule.text, basis=rule.basis)
            for (result_id, code), rule in wanted.items()
            if (result_id, code) not in have
        ],
    )
    # The rules that state a status act on the organization (category, interview, record).
    sync_effects(campaign, {k: r for k, r in wanted.items() if r.effect}, by=by)
    return len(keep) + sum(
        1
        for key, (_, status) in have.items()
        if key not in keep and status != ConsequenceStatus.PENDING
    )


@transaction.atomic
def record_consequence(consequence: Consequence, *, by: User, action: str) -> Consequence:
    consequence = (
        Consequence.objects.select_for_update()
        .select_related("result__organization")
        .get(pk=consequence.pk)
    )
    if not can_manage_org_campaigns(by, consequence.result.organization):
        raise AssessmentError("只有党群部可以登记落实情况。")
    if not action.strip():
        raise AssessmentError("请写明落实情况。")
    with acting(by):
        consequence.status, consequence.action = ConsequenceStatus.DONE, action.strip()[:2000]
        consequence.done_by, consequence.done_at = by, timezone.now()
        consequence.save()
    return consequence


def rerate_targets(result: BranchResult) -> list[str]:
    """The grades ``result`` may be re-rated to, best first: every other grade of the
    rubric, or only those its document allows from the result's grade (西北能化: 争先牌 →
    达标牌 after rectification). The 改评 page offers these and ``rerate`` checks them."""
    version = result.campaign.rubric_version
    allowed = consequence_rules(version.consequence_rules).reratings
    return [
        b.label
        for b in version.bands.all()
        if not b.scale
        and b.label != result.grade
        and (allowed is None or (result.grade, b.label) in allowed)
    ]


def rerate_rule_text(result: BranchResult) -> str:
    """What the document allows, said when a grade outside ``rerate_targets`` is asked."""
    allowed = consequence_rules(result.campaign.rubric_version.consequence_rules).reratings
    if not allowed:  # any grade may become any other: refused only for want of another
        return "本考评标准没有其他等次。"
    pairs = "、".join(f"“{a}”整改后改评为“{b}”" for a, b in allowed)
    return f"按本考评标准，只有{pairs}。"


@transaction.atomic
def rerate(result: BranchResult, *, by: User, to_grade: str, reason: str) -> BranchResult:
    """Re-rate after rectification (e.g. 争先牌 → 达标牌) only through a recorded decision."""
    result = (
        BranchResult.objects.select_for_update()
        .select_related("organization", "campaign__rubric_version")
        .get(pk=result.pk)
    )
    if not can_manage_org_campaigns(by, result.organization):
        raise AssessmentError("只有党群部可以改评。")
    if not reason.strip():
        raise AssessmentError("改评必须写明决定理由。")
    bands = [b for b in result.campaign.rubric_version.bands.all() if not b.scale]
    target = next((b for b in bands if b.label == to_grade), None)
    if target is None or to_grade == result.grade:
        raise AssessmentError("请选择一个不同的等次。")
    if to_grade not in rerate_targets(result):
        raise AssessmentError(rerate_rule_text(result))
    with acting(by):
        Rerating.objects.create(
            result=result,
            from_grade=result.grade,
            to_grade=to_grade,
            reason=reason.strip()[:2000],
            by=by,
        )
        result.original_grade = result.original_grade or result.grade
        result.grade, result.passed = to_grade, target.passed
        result.save(update_fields=["original_grade", "grade", "passed", "computed_at"])
    rank_results(result.campaign)
    _reapply_consequences(result, by=by)
    return result


def _reapply_consequences(result: BranchResult, *, by: User) -> None:
    """A result's grade changed outside consolidation (a re-rating): its campaign's
    consequences follow, and so do those of the next period's results of the same branch
    and rubric (whose "two periods running" rules read this grade)."""
    campaign = Campaign.objects.select_related("rubric_version__rubric").get(pk=result.campaign_id)
    for each in [campaign, *following_campaigns([result.organization_id], campaign)]:
        apply_consequences(each, each.rubric_version, stored_results(each), by=by)


def following_campaigns(organizations, campaign: Campaign) -> QuerySet[Campaign]:
    """The other campaigns holding the next period's results of ``organizations`` under
    the campaign's rubric."""
    year, quarter = next_period(campaign.year, campaign.quarter)
    later = BranchResult.objects.filter(
        organization_id__in=organizations,
        rubric_code=campaign.rubric_version.rubric.code,
        year=year,
        quarter=quarter,
    ).values("campaign_id")
    return (
        Campaign.objects.filter(pk__in=later)
        .exclude(pk=campaign.pk)
        .select_related("rubric_version__rubric")
    )
