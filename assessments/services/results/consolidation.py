"""Consolidation: each object's final score, grade and vetoes stored in one pass, then the
consequences and the rectification list that follow from them; a veto overturned is
consolidated again."""

from django.db import transaction
from django.db.models import (
    Q,
    QuerySet,
)
from django.utils import timezone

from branches.models import User
from branches.toolkit.statistics import after_bulk_writes
from rubrics import scoring
from rubrics.selectors import rules_for, version_tree

from ...access import (
    can_manage_campaign,
    can_manage_org_campaigns,
)
from ...models import (
    BranchResult,
    Campaign,
    CampaignStatus,
    ScoreSheet,
    VetoFinding,
    VetoOverturn,
)
from ...selectors import campaign_objects
from ..errors import AssessmentError, acting
from ..sheets import check_signed
from .consequences import apply_consequences, following_campaigns
from .figures import final_figures, signed_reviews, store_results, stored_results
from .ranking import rank_results
from .rectification import list_rectifications


def _feeding(campaign: Campaign, rules: scoring.Rules) -> QuerySet[ScoreSheet]:
    """The signed sheets the results are drawn from: each result's source sheet and every
    sheet with a veto finding (a composite averages every instrument's signed sheets)."""
    signed = signed_reviews(campaign)
    if rules.method == scoring.COMPOSITE:
        return signed
    sources = BranchResult.objects.filter(campaign=campaign).values("source_sheet_id")
    return signed.filter(Q(pk__in=sources) | Q(pk__in=VetoFinding.objects.values("sheet_id")))


@transaction.atomic
def consolidate(campaign: Campaign, *, by: User) -> dict:
    """Compute every branch's final result, its consequences and its rectification list.

    Set-based: one window query picks each branch's authoritative sheet, results are
    written in bulk (only those that changed), the sheets they come from are checked
    against their sign-off digests, and the rectification list is one INSERT … SELECT over
    the stored per-item facts. Re-running with nothing changed writes nothing."""
    campaign = (
        Campaign.objects.select_for_update()
        .select_related("scope", "rubric_version__rubric")
        .get(pk=campaign.pk)
    )
    if not can_manage_campaign(by, campaign):
        raise AssessmentError("只有党群部可以汇总考评结果。")
    if campaign.is_closed:
        # A closed period never changes; a recorded re-rating is the only way after it.
        raise AssessmentError("考评活动已结束，结果已经固定，不能重新汇总。")
    version = version_tree(campaign.rubric_version_id)
    rules = rules_for(version)
    finals = final_figures(campaign, rules)
    now = timezone.now()
    with acting(by):
        stored = store_results(campaign, version.rubric.code, rules, finals, now)
        # The whole consolidation rolls back if a sheet it draws from was altered.
        check_signed(_feeding(campaign, rules))
        changed = stored is None
        if changed:
            rank_results(campaign)
            after_bulk_writes()
        results = stored_results(campaign) if stored is None else stored
        consequences = apply_consequences(campaign, version, results, by=by)
        if changed:  # the next period's "two running" rules read these grades
            later = following_campaigns(campaign.results.values("organization_id"), campaign)
            for following in later.exclude(status=CampaignStatus.CLOSED):
                apply_consequences(
                    following, following.rubric_version, stored_results(following), by=by
                )
        items = list_rectifications(campaign, rules, results, by, now)
    missing = (
        campaign_objects(campaign)
        .exclude(pk__in=BranchResult.objects.filter(campaign=campaign).values("organization_id"))
        .count()
    )
    return {
        "results": len(results),
        "missing": missing,
        "consequences": consequences,
        "rectifications": items,
    }


@transaction.atomic
def overturn_veto(
    *, by: User, campaign: Campaign, organization, code: str, stage, reason: str
) -> VetoOverturn:
    if not can_manage_org_campaigns(by, organization):
        raise AssessmentError("只有党群部可以登记否决项推翻决定。")
    if not reason.strip():
        raise AssessmentError("推翻否决项必须写明理由。")
    found = VetoFinding.objects.filter(
        sheet__in=signed_reviews(campaign), sheet__organization=organization, code=code
    )
    if not found.exists():
        raise AssessmentError(f"{organization.name}没有已签发的否决项 {code}。")
    if not found.overturnable_stages(campaign).filter(pk=stage.pk).exists():
        raise AssessmentError("只有在认定否决项之后的阶段才能推翻。")
    with acting(by):
        overturn = VetoOverturn.objects.create(
            campaign=campaign,
            organization=organization,
            code=code,
            stage=stage,
            reason=reason.strip(),
            by=by,
        )
    if BranchResult.objects.filter(campaign=campaign).exists():
        # Results already published: the grade, its consequences and the veto's
        # rectification item follow the decision at once.
        consolidate(campaign, by=by)
    return overturn
