"""What a consequence does (the one place that decides it).

A rubric's consequence rule that states a status names it as its ``effect`` (data in
fixtures/rubrics/*.json): ``lagging`` puts the organization among the 后进党组织 (its
category, with the result it comes from), ``interview`` opens a 约谈 of the secretary in
the interview list, ``no_awards`` and ``bonus`` go on the organization's record (历年考评)
for the secretary of the time. Each is a ``ConsequenceEffect`` row beside the result that
caused it. When the result no longer sets the rule off (a re-rating, an overturned veto,
a re-consolidation that changes the grade, or the previous period's grade changed) the
effect is withdrawn, with who, when and why, and what it did is undone.

A 后进 category and the yearly 过筛子 (``screen_branch``): the latest decision wins. A
consequence sets the category and names its source; a later 过筛子 (or an edit by hand)
replaces both. Withdrawing a consequence restores the category it found only while the
category still comes from that consequence.

Text-only rules (谈话提醒, 组织诫勉, 调整书记…) stay ``Consequence`` rows to be recorded as
done by the department."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol

from django.utils import timezone

from branches.models import Category, Membership, Organization, Role, User

from ..models import (
    BranchResult,
    Campaign,
    ConsequenceEffect,
    EffectKind,
    EffectStatus,
    Interview,
    NoticeKind,
)
from ..notices.tasks import announce
from .errors import AssessmentError, acting


class EffectRule(Protocol):
    """A consequence rule as ``services.results.Rule`` carries it (read only)."""

    @property
    def code(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def effect(self) -> str: ...
    @property
    def points(self) -> Decimal | None: ...


def sync_effects(
    campaign: Campaign, wanted: Mapping[tuple[int, str], EffectRule], *, by: User
) -> None:
    """Make the effects in force for the campaign's results exactly ``wanted`` ((result
    pk, rule code) → rule, rules with an effect only): withdraw those no longer set off,
    record the new ones. The caller holds the transaction. Two queries when nothing
    changes, whatever the number of results."""
    in_force = {
        (e.result_id, e.rule): e
        for e in ConsequenceEffect.objects.filter(
            result__campaign=campaign, status=EffectStatus.IN_FORCE
        ).select_related("result")
    }
    for key, effect in in_force.items():
        if key not in wanted:
            withdraw_effect(effect, by=by, reason=_why_withdrawn(effect))
    missing = {key: rule for key, rule in wanted.items() if key not in in_force}
    if not missing:
        return
    results = BranchResult.objects.select_related("campaign").in_bulk(
        {result_id for result_id, _ in missing}
    )
    for (result_id, _), rule in sorted(missing.items()):
        record_effect(results[result_id], rule, by=by)


def _why_withdrawn(effect: ConsequenceEffect) -> str:
    result = effect.result
    if result is None:  # a pairing's effect stands for its year, not for a result
        raise ValueError("only the effects of a campaign's results are synced")
    if result.grade == effect.grade:
        return f"上期考评结果已改变，本期“{result.grade}”不再适用此项"
    if result.original_grade:
        return f"经决定改评为“{result.grade}”"
    if result.overturned:
        codes = "、".join(o["code"] for o in result.overturned)
        return f"否决项{codes}已被推翻，等次现为“{result.grade}”"
    return f"重新汇总后等次为“{result.grade}”"


def secretary_account(org: Organization) -> User | None:
    """The branch secretary's login (the first 支部书记 role on the branch), if any: an
    effect on the secretary goes on their own record (年度考核记录) too."""
    membership = (
        Membership.objects.filter(organization=org, role=Role.SECRETARY, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def record_effect(result: BranchResult, rule: EffectRule, *, by: User) -> ConsequenceEffect:
    """Record what ``rule`` does for ``result`` (see the module's docstring)."""
    if rule.effect not in EffectKind.values:
        raise AssessmentError(f"结果运用规则 {rule.code} 的处理方式“{rule.effect}”无法识别。")
    org = Organization.objects.select_for_update().get(pk=result.organization_id)
    on_person = rule.effect != EffectKind.LAGGING
    effect = ConsequenceEffect(
        result=result,
        organization=org,
        rule=rule.code,
        kind=rule.effect,
        text=rule.text[:200],
        grade=result.grade,
        source=f"{result.campaign.name}考评结果“{result.grade}”：{rule.text}"[:200],
        person=org.secretary_name[:50],
        person_account=secretary_account(org) if on_person else None,
        year=result.year,
        points=rule.points if rule.effect == EffectKind.BONUS else None,
    )
    with acting(by):
        if effect.kind == EffectKind.LAGGING:
            effect.previous_category, effect.previous_source = org.category, org.category_source
            org.category, org.category_source = Category.LAGGING, effect.source
            org.save(update_fields=["category", "category_source", "updated_at"])
        elif effect.kind == EffectKind.INTERVIEW:
            effect.interview = Interview.objects.create(
                organization=org,
                secretary_name=org.secretary_name or "支部书记",
                reason=f"{rule.text}（{result.campaign.name}“{result.grade}”）"[:200],
                recorded_by=by,
            )
            announce(NoticeKind.INTERVIEW)  # the secretary is told of the 约谈
        effect.save()
    return effect


def record_pairing_effect(
    pairing,
    *,
    rule: str,
    kind: str,
    text: str,
    year: int,
    person: str,
    account: User | None,
    source: str,
    points: Decimal | None = None,
    by: User,
) -> ConsequenceEffect:
    """Record what the 结对提升责任书's 结果挂钩 does for a person (甲方, or 乙方's
    secretary) or the branch in a year's annual review, on the pairing's branch; once per
    pairing, rule and year (a second call returns the effect in force). The caller holds
    the transaction."""
    if kind not in EffectKind.values:
        raise AssessmentError(f"结果运用规则 {rule} 的处理方式“{kind}”无法识别。")
    found = ConsequenceEffect.objects.filter(
        pairing=pairing, rule=rule, year=year, status=EffectStatus.IN_FORCE
    ).first()
    if found is not None:
        return found
    with acting(by):
        return ConsequenceEffect.objects.create(
            pairing=pairing,
            year=year,
            organization=pairing.organization,
            rule=rule,
            kind=kind,
            text=text[:200],
            grade="",
            source=source[:200],
            person=person[:50],
            person_account=account,
            points=points if kind == EffectKind.BONUS else None,
        )


def withdraw_effect(effect: ConsequenceEffect, *, by: User, reason: str) -> ConsequenceEffect:
    """Withdraw an effect in force and undo what it did: the category it set goes back
    (while it still comes from this effect), an interview not held yet is cancelled (one
    held stays on record)."""
    org = Organization.objects.select_for_update().get(pk=effect.organization_id)
    effect = ConsequenceEffect.objects.select_for_update().get(pk=effect.pk)
    if effect.status != EffectStatus.IN_FORCE:  # withdrawn meanwhile
        return effect
    with acting(by):
        effect.status, effect.withdrawn_reason = EffectStatus.WITHDRAWN, reason[:200]
        effect.withdrawn_at, effect.withdrawn_by = timezone.now(), by
        interview = effect.interview
        if effect.kind == EffectKind.INTERVIEW and interview and interview.held_on is None:
            effect.interview = None
        effect.save()
        if effect.kind == EffectKind.LAGGING and org.category_source == effect.source:
            _restore_category(org, effect)
        elif interview is not None and effect.interview is None:
            interview.delete()
    return effect


def _restore_category(org: Organization, effect: ConsequenceEffect) -> None:
    other = (
        ConsequenceEffect.objects.filter(
            organization=org, kind=EffectKind.LAGGING, status=EffectStatus.IN_FORCE
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if other is not None:  # still 后进 under another result
        org.category, org.category_source = Category.LAGGING, other.source
    else:
        org.category = effect.previous_category or Category.ORDINARY
        org.category_source = effect.previous_source
    org.save(update_fields=["category", "category_source", "updated_at"])
