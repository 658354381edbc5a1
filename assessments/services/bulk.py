"""Bulk work of the department and the secretaries: reviewers given to chosen branches, a
branch's rectification measures written at once, 催办 of late sheets, and chosen submitted
sheets signed or returned at once.

Each write is all-or-nothing: every line is checked first, and any problem refuses the
whole request with the list of problems (a dry run returns the same plan without writing).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from branches.models import Organization, User
from branches.toolkit import audit

from ..access import is_secretary_of
from ..models import (
    EDITABLE,
    WITH_BRANCH,
    Assessor,
    Campaign,
    CampaignStatus,
    RectificationItem,
    ScoreSheet,
    Stage,
)
from ..selectors import reviewer_choices
from .campaigns import _check_stage, _memberships, _require, _sheet_for, conflicts, targets
from .errors import AssessmentError, acting
from .results import measure_problem, store_measures
from .sheets import return_sheet, sign_sheet


class BulkRefused(AssessmentError):
    """A bulk request with problems: nothing was written; ``problems`` says why, line by
    line."""

    def __init__(self, problems: list[str]):
        super().__init__(f"有 {len(problems)} 处问题，未做任何修改。")
        self.problems = problems


# -- 催办 --------------------------------------------------------------------------------


@dataclass
class Reminded:
    person: User
    sheets: list[ScoreSheet] = field(default_factory=list)
    late: int = 0

    @property
    def reachable(self) -> bool:
        return bool(self.person.email)


def reminder_recipients(campaign: Campaign, *, late_only: bool) -> list[Reminded]:
    """Everyone with sheets still to fill or fix in the campaign (or only late ones), with
    their sheets (one query)."""
    sheets = ScoreSheet.objects.filter(campaign=campaign, status__in=EDITABLE)
    if late_only:
        sheets = sheets.overdue()
    by_person: dict[int, Reminded] = {}
    for sheet in sheets.select_related("assessor", "organization", "stage").order_by(
        "assessor__username", "organization__tree_key"
    ):
        entry = by_person.setdefault(sheet.assessor_id, Reminded(sheet.assessor))
        entry.sheets.append(sheet)
        entry.late += sheet.overdue
    return list(by_person.values())


def remind_assessors(campaign: Campaign, *, by: User, late_only: bool = False) -> list[Reminded]:
    """催办: queue the reminders (a notice inside the product to each, an email too where
    they have an address), record who was reminded, return them."""
    _require(by, campaign.scope)
    from ..tasks import send_reminders

    if campaign.status != CampaignStatus.OPEN:
        raise AssessmentError("考评活动未在进行中，不能催办。")
    recipients = reminder_recipients(campaign, late_only=late_only)
    if not recipients:
        raise AssessmentError(
            "没有需要催办的考评表。" if not late_only else "没有逾期未交的考评表。"
        )
    with acting(by):
        audit.record(
            campaign,
            "update",
            {
                "reminded": {
                    "label": "催办" + ("（逾期）" if late_only else "（全部未提交）"),
                    "old": None,
                    "new": "、".join(
                        f"{r.person}（{len(r.sheets)} 份{'' if r.reachable else '，无邮箱'}）"
                        for r in recipients
                    )[:2000],
                }
            },
        )
    # One name for this 催办: a retried task never notifies anyone twice.
    send_reminders.enqueue(
        campaign_id=campaign.pk,
        user_ids=[r.person.pk for r in recipients],
        late_only=late_only,
        batch=timezone.now().isoformat(),
    )
    return recipients


# -- reviewers for chosen branches --------------------------------------------------------


@dataclass
class AssignPlan:
    stage: Stage
    pairs: list[tuple[Organization, User]]

    def by_reviewer(self) -> list[tuple[User, list[Organization]]]:
        out: dict[int, tuple[User, list[Organization]]] = {}
        for org, reviewer in self.pairs:
            out.setdefault(reviewer.pk, (reviewer, []))[1].append(org)
        return list(out.values())


def assign_chosen(
    stage: Stage, *, by: User, choices: dict[int, int], dry_run: bool = False
) -> AssignPlan:
    """Give each chosen organization (by id) to the chosen reviewer (by id): the department
    says who takes which branches. Refused whole if any pair is wrong (an organization the
    stage does not assess or already assigned, someone who is not a reviewer, a reviewer
    who belongs to the organization)."""
    campaign = _check_stage(stage, by, assessed_by=Assessor.DEPARTMENT)
    if not choices:
        raise AssessmentError("请至少为一个组织选择考评员。")
    orgs = {o.pk: o for o in targets(campaign)}
    assigned = set(stage.sheets.values_list("organization_id", flat=True))
    reviewer_ids = set(reviewer_choices().values_list("pk", flat=True))
    people = {u.pk: u for u in User.objects.filter(pk__in=set(choices.values()))}
    roles = _memberships(list(people.values()))
    problems, pairs = [], []
    for org_id, user_id in choices.items():
        org, person = orgs.get(org_id), people.get(user_id)
        if org is None:
            problems.append(f"组织（编号 {org_id}）不是本阶段的考评对象。")
        elif person is None or user_id not in reviewer_ids:
            problems.append(f"{org.name}：所选人员不是考评员。")
        elif org_id in assigned:
            problems.append(f"{org.name}：本阶段已分配考评员。")
        elif conflicts(person, org, roles[person.pk]):
            problems.append(f"{org.name}：{person}属于该组织，不能给本组织打分。")
        else:
            pairs.append((org, person))
    if problems:
        raise BulkRefused(problems)
    pairs.sort(key=lambda pair: pair[0].path)
    plan = AssignPlan(stage, pairs)
    if not dry_run:
        with transaction.atomic(), acting(by):
            for org, person in pairs:
                _sheet_for(stage, org, person)
            audit.record(
                stage,
                "update",
                {
                    "assigned": {
                        "label": "按组织指定考评员",
                        "old": None,
                        "new": "；".join(
                            f"{person}：{'、'.join(o.name for o in orgs)}"
                            for person, orgs in plan.by_reviewer()
                        )[:2000],
                    }
                },
            )
    return plan


def choices_from_rows(stage: Stage, rows: list[tuple[int, str, str]]) -> dict[int, int]:
    """An uploaded assignment table's rows (Excel row, 组织编码, 考评员工号) as the matrix's
    choices (organization id → reviewer id); every unknown code or 工号 and every repeated
    organization is refused with its row number. Rows without a 工号 are left out."""
    orgs = {o.code: o for o in targets(stage.campaign)}
    people = {u.username.lower(): u for u in reviewer_choices()}
    problems, choices = [], {}
    for row, code, username in rows:
        if not username:
            continue
        org, person = orgs.get(code), people.get(username.lower())
        if org is None:
            problems.append(f"第 {row} 行：组织编码“{code}”不是本阶段的考评对象。")
        elif person is None:
            problems.append(f"第 {row} 行：工号“{username}”不是考评员。")
        elif org.pk in choices:
            problems.append(f"第 {row} 行：{org.name}重复出现。")
        else:
            choices[org.pk] = person.pk
    if problems:
        raise BulkRefused(problems)
    if not choices:
        raise AssessmentError("文件中没有填写考评员工号的行。")
    return choices


# -- a branch's rectification measures at once --------------------------------------------


@dataclass
class MeasureLine:
    """One item's measure as typed (a page line or an Excel row)."""

    item_id: int | None
    code: str
    measure: str
    responsible: str
    row: int | None = None  # the Excel row, for row-numbered errors


@dataclass
class MeasureChange:
    item: RectificationItem
    measure: str
    responsible: str


def editable_items(campaign: Campaign, org: Organization) -> list[RectificationItem]:
    """The branch's items the secretary may still write (open or returned)."""
    return list(
        RectificationItem.objects.filter(
            campaign=campaign,
            organization=org,
            status__in=WITH_BRANCH,
        ).order_by("code", "pk")
    )


def _item_of(
    line: MeasureLine,
    items: dict[int, RectificationItem],
    by_code: dict[str, list[RectificationItem]],
) -> RectificationItem | str:
    """The item a line writes (by its 事项编号, else by its code if one item alone has it),
    or why it names none."""
    if line.item_id:
        item = items.get(line.item_id)
    else:
        matches = by_code.get(line.code, [])
        if len(matches) > 1:
            return f"指标 {line.code} 有多个整改事项，请保留“事项编号”列。"
        item = matches[0] if matches else None
    if item is None:
        return f"指标 {line.code or '（空）'} 不是本支部待填写的整改事项。"
    return item


def write_measures(
    campaign: Campaign,
    org: Organization,
    *,
    by: User,
    lines: list[MeasureLine],
    dry_run: bool = False,
) -> list[MeasureChange]:
    """Write the measures (and responsible persons) of many items of one branch: all of
    them, or none if any line has a problem. Lines with nothing changed are skipped."""

    if not is_secretary_of(by, org):
        raise AssessmentError("整改措施由本支部书记填写。")
    with transaction.atomic():
        items = {i.pk: i for i in editable_items(campaign, org)}
        by_code: dict[str, list[RectificationItem]] = {}
        for editable in items.values():
            by_code.setdefault(editable.code, []).append(editable)
        problems, changes, seen = [], [], set()
        for line in lines:
            where = f"第 {line.row} 行" if line.row else f"指标 {line.code}"
            item = _item_of(line, items, by_code)
            if isinstance(item, str):
                problems.append(f"{where}：{item}")
                continue
            if item.pk in seen:
                problems.append(f"{where}：指标 {item.code} 重复出现。")
                continue
            seen.add(item.pk)
            measure, responsible = line.measure.strip(), line.responsible.strip()
            if problem := measure_problem(measure, responsible):
                problems.append(f"{where}：{problem}")
            elif (measure, responsible) != (item.measure, item.responsible):
                changes.append(MeasureChange(item, measure, responsible))
        if problems:
            raise BulkRefused(problems)
        if not changes:
            raise AssessmentError("没有需要保存的修改。")
        if dry_run:
            return changes
        store_measures([(c.item, c.measure, c.responsible) for c in changes], by=by)
        return changes


# -- 批量签发 / 批量退回 ----------------------------------------------------------------------

BULK_SHEETS_MAX = 200  # sheets one request may sign or return (a progress page shows 50)


def _chosen_sheets(campaign: Campaign, sheet_ids: list[int]) -> list[ScoreSheet]:
    if not sheet_ids:
        raise AssessmentError("请先勾选考评表。")
    if len(sheet_ids) > BULK_SHEETS_MAX:
        raise AssessmentError(f"一次最多处理 {BULK_SHEETS_MAX} 份考评表。")
    sheets = list(
        ScoreSheet.objects.filter(campaign=campaign, pk__in=sheet_ids)
        .select_related("organization", "stage", "assessor")
        .order_by("stage__position", "organization__tree_key")
    )
    if len(sheets) != len(set(sheet_ids)):
        raise AssessmentError("所选考评表不属于本考评活动，或已不存在。")
    return sheets


def _each(sheets: list[ScoreSheet], act) -> list[ScoreSheet]:
    """Apply ``act`` to every sheet in one transaction; any refusal refuses them all."""
    problems, done = [], []
    with transaction.atomic():
        for sheet in sheets:
            try:
                with transaction.atomic():
                    done.append(act(sheet))
            except AssessmentError as exc:
                problems.append(f"{sheet.organization.qualified_name}（{sheet.stage.name}）：{exc}")
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise BulkRefused(problems)
    return done


def sign_chosen(campaign: Campaign, sheet_ids: list[int], *, by: User) -> list[ScoreSheet]:
    """批量签发: every chosen sheet signed as 审核签发 signs one, all or none."""
    return _each(_chosen_sheets(campaign, sheet_ids), lambda s: sign_sheet(s, by=by))


def return_chosen(
    campaign: Campaign, sheet_ids: list[int], *, by: User, reason: str
) -> list[ScoreSheet]:
    """批量退回: every chosen sheet returned with the same reason, all or none."""
    if not reason.strip():
        raise AssessmentError("退回必须写明原因。")
    sheets = _chosen_sheets(campaign, sheet_ids)
    return _each(sheets, lambda s: return_sheet(s, by=by, reason=reason))
