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

import copy
from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol

from django.utils import timezone

from branches.models import Category, Membership, Organization, Role, User
from branches.toolkit import audit

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
    ids = sorted({result_id for result_id, _ in missing})
    results = {
        r.pk: r
        for chunk in _chunks(ids)
        for r in BranchResult.objects.select_related("campaign", "organization").filter(
            pk__in=chunk
        )
    }
    record_effects(
        [(results[result_id], rule) for (result_id, _), rule in sorted(missing.items())], by=by
    )


CHUNK = 5000  # ids per IN (…) list: well under SQLite's limit on parameters


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


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
    return _secretary_accounts([org.pk]).get(org.pk)


def _secretary_accounts(org_ids: list[int]) -> dict[int, User]:
    """``secretary_account`` of many branches at once (a query per few thousand)."""
    found: dict[int, User] = {}
    for chunk in _chunks(sorted(org_ids)):
        for membership in (
            Membership.objects.filter(
                organization_id__in=chunk, role=Role.SECRETARY, user__is_active=True
            )
            .select_related("user")
            .order_by("pk")
        ):
            found.setdefault(membership.organization_id, membership.user)
    return found


def record_effect(result: BranchResult, rule: EffectRule, *, by: User) -> ConsequenceEffect:
    """Record what ``rule`` does for ``result`` (see the module's docstring)."""
    [effect] = record_effects([(result, rule)], by=by)
    return effect


def record_effects(
    pairs: list[tuple[BranchResult, EffectRule]], *, by: User
) -> list[ConsequenceEffect]:
    """Record what each rule does for its result, in order, as ``record_effect`` would one
    by one: the organizations locked, categories set, interviews opened and effects
    written in bulk (a few statements whatever their number), each change audited as its
    own row. The results are read with their campaign."""
    for _, rule in pairs:
        if rule.effect not in EffectKind.values:
            raise AssessmentError(f"结果运用规则 {rule.code} 的处理方式“{rule.effect}”无法识别。")
    if not pairs:
        return []
    org_ids = sorted({result.organization_id for result, _ in pairs})
    orgs = {
        org.pk: org
        for chunk in _chunks(org_ids)
        for org in Organization.objects.select_for_update().filter(pk__in=chunk)
    }
    on_person = {
        result.organization_id for result, rule in pairs if rule.effect != EffectKind.LAGGING
    }
    accounts = _secretary_accounts(list(on_person)) if on_person else {}
    now = timezone.now()
    effects: list[ConsequenceEffect] = []
    interviews: list[Interview] = []
    categorised: list[tuple[Organization, Organization]] = []  # (as saved, before), in order
    for result, rule in pairs:
        org = orgs[result.organization_id]
        effect = ConsequenceEffect(
            result=result,
            organization=org,
            rule=rule.code,
            kind=rule.effect,
            text=rule.text[:200],
            grade=result.grade,
            source=f"{result.campaign.name}考评结果“{result.grade}”：{rule.text}"[:200],
            person=org.secretary_name[:50],
            person_account=accounts.get(org.pk) if rule.effect != EffectKind.LAGGING else None,
            year=result.year,
            points=rule.points if rule.effect == EffectKind.BONUS else None,
        )
        if effect.kind == EffectKind.LAGGING:
            effect.previous_category, effect.previous_source = org.category, org.category_source
            before = copy.copy(org)
            org.category, org.category_source = Category.LAGGING, effect.source
            org.updated_at = now
            categorised.append((copy.copy(org), before))
        elif effect.kind == EffectKind.INTERVIEW:
            effect.interview = Interview(
                organization=org,
                secretary_name=org.secretary_name or "支部书记",
                reason=f"{rule.text}（{result.campaign.name}“{result.grade}”）"[:200],
                recorded_by=by,
            )
            interviews.append(effect.interview)
        effects.append(effect)
    with acting(by):
        if categorised:
            changed = list({org.pk: org for org, _ in categorised}.values())
            fields = ["category", "category_source", "updated_at"]
            Organization.objects.bulk_update(changed, fields, batch_size=CHUNK)
            audit.record_bulk(categorised)
        if interviews:
            Interview.objects.bulk_create(interviews, batch_size=CHUNK)
            audit.record_bulk([(interview, None) for interview in interviews])
            announce(NoticeKind.INTERVIEW)  # the secretaries are told of their 约谈
        ConsequenceEffect.objects.bulk_create(effects, batch_size=CHUNK)
        audit.record_bulk([(effect, None) for effect in effects])
    return effects


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
