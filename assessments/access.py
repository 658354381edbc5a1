"""Who may see and do what in the assessments. Every assessments view loads through here.

Like ``branches.access``: an object outside what the user may see answers 404 (we do not
reveal that it exists); an object the user may see but not act on answers 403. The rules
(who views a sheet, who returns it, who verifies a rectification) live here and nowhere else.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from branches import access
from branches.access import Perm
from branches.models import Membership, Organization, Role, User
from branches.toolkit.prepared import PreparedGet

from .models import (
    BranchResult,
    Campaign,
    Consequence,
    Draw,
    Evidence,
    Inspection,
    Meeting,
    MeetingAttachment,
    Pairing,
    RectificationEvidence,
    RectificationItem,
    RectificationStatus,
    ReportJob,
    ScoreSheet,
    SheetStatus,
    Stage,
)
from .models.results import RectificationItemQuerySet


class Action(StrEnum):
    VIEW = "view"  # read it
    MANAGE = "manage"  # the department: open, close, assign, sign, reopen, reassign
    SCORE = "score"  # a sheet's own assessor: enter scores, submit, upload, evidence
    RETURN = "return"  # send a submitted sheet back for changes
    EDIT = "edit"  # a rectification's branch secretary: measures, evidence, submit
    VERIFY = "verify"  # 销号 and 回头看
    OUTLINE = "outline"  # a campaign's page: its stages, dates and one's own sheets in it


# -- predicates --------------------------------------------------------------------------


def binds_scores(user: User) -> bool:
    """The account scores outside the role table: the assessor of a score sheet, an
    inspector assigned to a 互查 or a pairing's helper (``branches.access.reads_scores``
    asks here through ``SCORE_BINDINGS``)."""
    return (
        ScoreSheet.objects.filter(assessor=user).exists()
        or Inspection.objects.filter(inspector_accounts=user).exists()
        or Pairing.objects.filter(helper=user).exists()
    )


def is_secretary_of(user: User, organization: Organization | int) -> bool:
    org_id = organization if isinstance(organization, int) else organization.pk
    return Membership.objects.filter(
        user=user, role=Role.SECRETARY, organization_id=org_id
    ).exists()


def reviews_sheet(user: User, sheet: ScoreSheet) -> bool:
    """True if the user scores the sheet's organization in its campaign at a review stage
    no earlier than the sheet's own: that stage's and later stages' reviewers check it.
    A secretary's self-assessment does not count, so a secretary never reviews a review."""
    return (
        ScoreSheet.objects.scored_by(user)
        .filter(
            campaign_id=sheet.campaign_id,
            organization_id=sheet.organization_id,
            stage__position__gte=sheet.stage.position,
        )
        .exclude(pk=sheet.pk)
        .exists()
    )


def scored_pairs_q(user: User, prefix: str = "") -> Q:
    """Rows whose (campaign, organization) pair this user scored at a review stage; exact
    pairs, not "any campaign scored × any organization scored"."""
    return Q(ScoreSheet.objects.reviewed_pairs(user, prefix))


def can_view_sheet(user: User, sheet: ScoreSheet) -> bool:
    if can_score(user, sheet) or access.has_perm(user, Perm.VIEW_RESULTS, sheet.organization):
        return True
    # A reviewer of the same organization in the same campaign sees it side by side.
    if reviews_sheet(user, sheet):
        return True
    # A secretary sees the reviews of their own branch once they are signed.
    return sheet.status == SheetStatus.SIGNED and is_secretary_of(user, sheet.organization_id)


def can_score(user: User, sheet: ScoreSheet) -> bool:
    """Enter scores, submit, upload evidence: the sheet's own assessor alone."""
    return sheet.assessor_id == user.pk


def can_return(sheet: ScoreSheet, user: User) -> bool:
    """The department, or a reviewer of this organization at this stage or a later one
    (never the branch's own secretary, who only holds the self-assessment)."""
    return access.has_perm(user, Perm.MANAGE_CAMPAIGNS, sheet.organization) or reviews_sheet(
        user, sheet
    )


def can_manage_sheet(user: User, sheet: ScoreSheet) -> bool:
    """Sign, reopen, reassign: the department over the sheet's organization."""
    return access.has_perm(user, Perm.MANAGE_CAMPAIGNS, sheet.organization)


def can_manage_anywhere(user: User) -> bool:
    """The department somewhere: may create campaigns."""
    return access.has_perm(user, Perm.MANAGE_CAMPAIGNS)


def can_manage_campaign(user: User, campaign: Campaign) -> bool:
    """Open, close, assign, draw, consolidate: the department over the campaign's scope."""
    return can_manage_org_campaigns(user, campaign.scope)


def can_verify(user: User, item: RectificationItem) -> bool:
    """销号 and 回头看: the department; for an item of a campaign, a reviewer who scored the
    branch in it; for an inspection's problem, its inspectors; for a pairing's item, the
    pairing's helper."""
    if access.has_perm(user, Perm.MANAGE_CAMPAIGNS, item.organization):
        return True
    if item.inspection is not None:
        return item.inspection.inspector_accounts.filter(pk=user.pk).exists()
    if item.pairing is not None:
        return item.pairing.helper_id == user.pk
    return (
        item.campaign_id is not None
        and ScoreSheet.objects.scored_by(user)
        .filter(campaign_id=item.campaign_id, organization_id=item.organization_id)
        .exists()
    )


def found_by_q(user: User, prefix: str = "") -> Q:
    """Rows of items this user found through a mechanism: the inspector of an inspection,
    the helper of a pairing (they see and verify what they found)."""
    # Exists, not a join through the inspectors: one row per item whatever their number.
    inspector = Inspection.objects.filter(
        pk=OuterRef(f"{prefix}inspection_id"), inspector_accounts=user
    )
    helper = Pairing.objects.filter(pk=OuterRef(f"{prefix}pairing_id"), helper=user)
    return Q(Exists(inspector)) | Q(Exists(helper))


def can_edit_rectification(user: User, item: RectificationItem) -> bool:
    return is_secretary_of(user, item.organization_id)


# -- scopes ------------------------------------------------------------------------------


def results_campaigns(user: User) -> QuerySet[Campaign]:
    """Campaigns whose progress and results the user reads: VIEW_RESULTS over the scope."""
    return Campaign.objects.filter(access.scope_q(user, Perm.VIEW_RESULTS, "scope__path"))


def visible_campaigns(user: User) -> QuerySet[Campaign]:
    """The campaigns the user finds in the list: those whose results they read, and those
    they review a branch in (a 考评员 assigned or drawn), whose page shows its stages and
    their own sheets, never anyone's scores."""
    if user.is_superuser:
        return Campaign.objects.all()
    reviewing = ScoreSheet.objects.scored_by(user).filter(campaign_id=OuterRef("pk"))
    return Campaign.objects.filter(
        access.scope_q(user, Perm.VIEW_RESULTS, "scope__path") | Q(Exists(reviewing))
    )


def reviews_in(user: User, campaign: Campaign) -> bool:
    """The user scores a review sheet of the campaign (assigned or drawn)."""
    return ScoreSheet.objects.scored_by(user).filter(campaign=campaign).exists()


def reads_campaign(user: User, campaign: Campaign) -> bool:
    """The campaign's progress, results and reports: VIEW_RESULTS over its scope."""
    return access.has_perm(user, Perm.VIEW_RESULTS, campaign.scope)


def may_list_campaigns(user: User) -> bool:
    """The campaign list: whoever reads results somewhere, every 考评员 (the list shows
    the campaigns they review in, maybe none yet) and anyone scoring a review sheet."""
    return (
        access.has_perm(user, Perm.VIEW_RESULTS)
        or Role.REVIEWER in access.roles(user)
        or ScoreSheet.objects.scored_by(user).exists()
    )


def visible_sheets(user: User) -> QuerySet[ScoreSheet]:
    """The sheets ``can_view_sheet`` lets the user read, as one query (for lists that span
    campaigns, such as the search): their own, those of organizations where they read
    results, those they review side by side (``reviews_sheet``) and their own branch's
    signed reviews. The two must agree; a test holds them to it."""
    if user.is_superuser:
        return ScoreSheet.objects.all()
    reviewed = ScoreSheet.objects.scored_by(user).filter(
        campaign_id=OuterRef("campaign_id"),
        organization_id=OuterRef("organization_id"),
        stage__position__gte=OuterRef("stage__position"),
    )
    own_branch = Membership.objects.filter(
        user=user, role=Role.SECRETARY, organization_id=OuterRef("organization_id")
    )
    condition = (
        Q(assessor=user)
        | Q(Exists(reviewed))
        | Q(Exists(own_branch), status=SheetStatus.SIGNED)
        | access.scope_q(user, Perm.VIEW_RESULTS, "organization__path")
    )
    return ScoreSheet.objects.filter(condition)


def visible_rectifications(user: User) -> RectificationItemQuerySet:
    """Items a user may see: their own branch's (secretary), those of branches they scored
    (reviewers), those they found (inspectors, pairing helpers), and everything in scope for
    the department and leaders."""
    condition = access.scope_q(user, Perm.VIEW_RESULTS, "organization__path")
    if not user.is_superuser:
        if not access.has_perm(user, Perm.VIEW_RESULTS):
            condition = Q(pk__in=[])
        # A subquery, not a join through the memberships: one row per item, so the list
        # needs no DISTINCT (which made a 150,000-item list sort every row twice).
        condition |= Q(
            organization_id__in=Membership.objects.filter(user=user, role=Role.SECRETARY).values(
                "organization_id"
            )
        )
        condition |= scored_pairs_q(user)
        condition |= found_by_q(user)
    return RectificationItem.objects.filter(condition)


# -- loaders: 404 for outsiders, 403 for insiders without the right ----------------------


def require_perm(user: User, perm: Perm) -> None:
    """403 unless the user holds ``perm`` somewhere (lists and create forms)."""
    access.require(user, perm)


_CAMPAIGN_RULES = {
    # Progress, results, reports, draws: those who read the campaign's results.
    Action.VIEW: reads_campaign,
    # The page itself: they, and its reviewers (stages, dates and their own sheets only).
    Action.OUTLINE: lambda user, campaign: (
        reads_campaign(user, campaign) or reviews_in(user, campaign)
    ),
    Action.MANAGE: lambda user, campaign: access.has_perm(
        user, Perm.MANAGE_CAMPAIGNS, campaign.scope
    ),
}


def get_campaign(user: User, pk: int, action: Action = Action.VIEW) -> Campaign:
    """A campaign: 404 unless the user reads its results or scores a sheet in it; 403
    unless ``action`` is theirs (``_CAMPAIGN_RULES``)."""
    campaign = (
        Campaign.objects.select_related("scope", "rubric_version__rubric").filter(pk=pk).first()
    )
    if campaign is None or not (
        reads_campaign(user, campaign)
        or ScoreSheet.objects.filter(campaign=campaign, assessor=user).exists()
    ):
        raise Http404("考评活动不存在或无权查看")
    if not _CAMPAIGN_RULES[action](user, campaign):
        raise PermissionDenied
    return campaign


def get_stage(user: User, pk: int, action: Action = Action.MANAGE) -> Stage:
    stage = get_object_or_404(Stage.objects.select_related("campaign__scope"), pk=pk)
    get_campaign(user, stage.campaign_id, action)
    return stage


def get_draw(user: User, pk: int) -> Draw:
    record = get_object_or_404(Draw.objects.select_related("stage", "created_by"), pk=pk)
    record.stage.campaign = get_campaign(user, record.stage.campaign_id)
    return record


def get_result(user: User, pk: int, action: Action = Action.MANAGE) -> BranchResult:
    result = get_object_or_404(BranchResult.objects.select_related("campaign"), pk=pk)
    get_campaign(user, result.campaign_id, action)
    return result


def get_consequence(user: User, pk: int, action: Action = Action.MANAGE) -> Consequence:
    consequence = get_object_or_404(
        Consequence.objects.select_related("result__organization", "result__campaign"), pk=pk
    )
    get_campaign(user, consequence.result.campaign_id, action)
    return consequence


_SHEET_RULES = {
    Action.VIEW: lambda user, sheet: True,
    Action.SCORE: can_score,
    Action.RETURN: lambda user, sheet: can_return(sheet, user),
    Action.MANAGE: can_manage_sheet,
}


# What every sheet view reads with the sheet.
SHEET_JOINS = (
    "stage",
    "campaign__scope",
    "organization",
    "assessor",
    "rubric_version__rubric",
    "signed_by",
)


def get_sheet(
    user: User,
    pk: int,
    action: Action = Action.VIEW,
    queryset: QuerySet | PreparedGet[ScoreSheet] | None = None,
) -> ScoreSheet:
    """The sheet if ``user`` may do ``action`` on it (404 / 403 otherwise), read from
    ``queryset`` with its stage, campaign, … (``SHEET_JOINS``), or by a prepared read that
    joins them itself (the page's and the autosave's, ``selectors.sheet_for_page``)."""
    if isinstance(queryset, PreparedGet):
        sheet = queryset.get(pk)
    else:
        sheet = (
            (ScoreSheet.objects if queryset is None else queryset)
            .select_related(*SHEET_JOINS)
            .filter(pk=pk)
            .order_by()  # one row: the model's ordering would only add joins
            .first()
        )
    if sheet is None:
        raise Http404("考评表不存在或无权查看")
    if not can_view_sheet(user, sheet):
        if is_secretary_of(user, sheet.organization_id):
            # The branch's own secretary is an insider: a review not yet signed is a 403.
            raise PermissionDenied
        raise Http404("考评表不存在或无权查看")
    if not _SHEET_RULES[action](user, sheet):
        raise PermissionDenied
    return sheet


def get_evidence(user: User, pk: int, action: Action = Action.VIEW) -> Evidence:
    evidence = get_object_or_404(Evidence.objects.select_related("sheet"), pk=pk)
    get_sheet(user, evidence.sheet_id, action)  # 404 unless the sheet is visible
    return evidence


_RECTIFICATION_RULES = {
    Action.VIEW: lambda user, item: True,
    Action.EDIT: can_edit_rectification,
    Action.VERIFY: can_verify,
}


def get_rectification(user: User, pk: int, action: Action = Action.VIEW) -> RectificationItem:
    item = (
        visible_rectifications(user)
        .select_related(
            "organization", "campaign", "result", "closed_by", "inspection", "pairing", "plan"
        )
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404("整改事项不存在或无权查看")
    if not _RECTIFICATION_RULES[action](user, item):
        raise PermissionDenied
    return item


def get_rectification_evidence(user: User, pk: int) -> RectificationEvidence:
    evidence = get_object_or_404(RectificationEvidence.objects.select_related("item"), pk=pk)
    get_rectification(user, evidence.item_id)  # 404 unless visible
    return evidence


def rectification_editable(user: User, item: RectificationItem) -> bool:
    return can_edit_rectification(user, item) and item.status in (
        RectificationStatus.OPEN,
        RectificationStatus.RETURNED,
    )


def get_report_job(user: User, pk) -> ReportJob:
    """A background report: its requester's alone (anyone else: 404)."""
    job = ReportJob.objects.select_related("campaign").filter(pk=pk, requested_by=user).first()
    if job is None:
        raise Http404("报告任务不存在")
    return job


def get_branch_measures(user: User, campaign_pk: int, org_pk: int) -> tuple[Campaign, Organization]:
    """A branch's rectification list in one campaign, for writing its measures at once:
    the organization must be visible (else 404), the campaign must have items for it (else
    404), and only the branch's own secretary writes them (else 403)."""
    org = access.get_org(user, org_pk)
    campaign = (
        Campaign.objects.filter(pk=campaign_pk, rectifications__organization=org)
        .select_related("scope")
        .first()
    )
    if campaign is None:
        raise Http404("该组织在本考评活动中没有整改事项")
    if not is_secretary_of(user, org):
        raise PermissionDenied
    return campaign, org


def get_ledger_org(user: User, pk: int, *, change: bool = False) -> Organization:
    """A branch's problem ledger: read by its secretary and by the department and leaders
    over it; changed (problems added) by its secretary and the department."""
    org = access.get_org(user, pk)
    if change:
        allowed = can_change_ledger(user, org)
    else:
        allowed = is_secretary_of(user, org) or access.has_perm(user, Perm.VIEW_RESULTS, org)
    if not allowed:
        raise PermissionDenied
    return org


def can_change_ledger(user: User, org: Organization) -> bool:
    """Add problems to a branch's ledger: the department over it, or its own secretary (自查)."""
    return access.has_perm(user, Perm.MANAGE_CAMPAIGNS, org) or is_secretary_of(user, org)


def get_screening_org(user: User, pk: int) -> Organization:
    """The yearly screening of a branch: the department over it."""
    org = access.get_org(user, pk)
    if not can_manage_org_campaigns(user, org):
        raise PermissionDenied
    return org


def can_manage_org_campaigns(user: User, org: Organization) -> bool:
    """The department over the organization (党群部): campaigns over it, its results'
    consequences and re-ratings, its yearly screening."""
    return access.has_perm(user, Perm.MANAGE_CAMPAIGNS, org)


# -- organizational-life records ---------------------------------------------------------


def reviews_org(user: User, org: Organization) -> bool:
    """A 考评员 whose grant covers the organization."""
    return any(
        m.role == Role.REVIEWER and org.path.startswith(m.organization.path)
        for m in access.memberships(user)
    )


def can_record_meetings(user: User, org: Organization) -> bool:
    """The branch's secretary keeps its records (the department may help)."""
    return is_secretary_of(user, org) or access.has_perm(user, Perm.MANAGE_CAMPAIGNS, org)


def can_check_meetings(user: User, org: Organization) -> bool:
    """A reviewer over the branch, or the department, checks (and so locks) a record."""
    return reviews_org(user, org) or access.has_perm(user, Perm.MANAGE_CAMPAIGNS, org)


def can_read_meetings(user: User, org: Organization) -> bool:
    return (
        can_record_meetings(user, org)
        or can_check_meetings(user, org)
        or access.has_perm(user, Perm.VIEW_RESULTS, org)
    )


def get_meeting_org(user: User, pk: int, *, change: bool = False) -> Organization:
    """A branch's records: 404 outside the user's tree, 403 without the right."""
    org = access.get_org(user, pk)
    allowed = can_record_meetings(user, org) if change else can_read_meetings(user, org)
    if not allowed:
        raise PermissionDenied
    return org


def get_meeting(user: User, pk: int, action: Action = Action.VIEW) -> Meeting:
    meeting = Meeting.objects.select_related("organization").filter(pk=pk).first()
    if meeting is None or not access.visible_orgs(user).filter(pk=meeting.organization_id).exists():
        raise Http404("会议记录不存在或无权查看")
    org = meeting.organization
    rule = {
        Action.VIEW: can_read_meetings,
        Action.EDIT: can_record_meetings,
        Action.VERIFY: can_check_meetings,
    }[action]
    if not rule(user, org):
        raise PermissionDenied
    return meeting


def get_meeting_attachment(user: User, pk: int) -> MeetingAttachment:
    attachment = get_object_or_404(MeetingAttachment.objects.select_related("meeting"), pk=pk)
    get_meeting(user, attachment.meeting_id)
    return attachment
