"""Reads over the organizational-life records: a branch's compliance calendar, the
department's view across branches, the secretary's "本月还需召开" panel and the scores the
records suggest for a sheet's items. The arithmetic is in branches.meeting_kinds (periods) and
rubrics.scoring (suggested scores); this module only gathers the records."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils import timezone

from branches.meeting_kinds import (
    KINDS,
    MEETING_KINDS,
    MeetingKind,
    PeriodCount,
    count_periods,
    tally,
)
from branches.models import Member, Organization, OrgKind
from branches.toolkit.periods import window
from rubrics import scoring

from ..models import Attendance, Meeting, MeetingStatus, ScoreDeparture, ScoreSheet


def _held(meetings) -> list[Meeting]:
    return [m for m in meetings if m.held_on and m.status != MeetingStatus.PLANNED]


def active_members(org: Organization, on: date | None = None) -> list[Member]:
    members = Member.objects.filter(organization=org).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=on or timezone.localdate())
    )
    return list(members.order_by("party_group", "name", "pk"))


def _counts(
    kind: MeetingKind, meetings: list[Meeting], start: date, end: date, today: date, members: int
) -> list[PeriodCount]:
    held = _held(m for m in meetings if m.kind == kind.code)
    dates = [(m.day, m.planned_on) for m in held]  # the day held, for a held meeting
    if not kind.per_member:
        return count_periods(kind, dates, start, end, today)
    # 谈心谈话: the period is met once every member has had one.
    counts = count_periods(kind, dates, start, end, today)
    out = []
    for c in counts:
        talked = {
            a.member_id for m in held if m.day in c.span for a in m.attendance.all() if a.present
        }
        out.append(PeriodCount(c.span, min(len(talked), members), max(members, 1), c.due, c.late))
    return out


@dataclass
class KindRow:
    kind: MeetingKind
    counts: list[PeriodCount]
    held: int
    present: int
    expected_attendance: int
    meetings: list[Meeting] = field(default_factory=list)

    @property
    def rate(self) -> Decimal | None:
        if not self.expected_attendance:
            return None
        return (Decimal(self.present) * 100 / self.expected_attendance).quantize(Decimal("0.1"))

    @property
    def missing(self) -> list[str]:
        return [c.span.label for c in self.counts if c.missing]

    @property
    def late(self) -> int:
        return sum(c.late for c in self.counts)


def _meetings(orgs: list[int], start: date, end: date):
    return (
        Meeting.objects.filter(organization_id__in=orgs)
        .filter(
            Q(held_on__range=(start, end)) | Q(held_on__isnull=True, planned_on__range=(start, end))
        )
        .prefetch_related(
            Prefetch(
                "attendance", queryset=Attendance.objects.only("meeting_id", "member_id", "present")
            )
        )
        .order_by("held_on", "planned_on", "pk")
    )


def _rows(
    meetings: list[Meeting], start: date, end: date, today: date, members: int
) -> list[KindRow]:
    rows = []
    for kind in MEETING_KINDS:
        mine = [m for m in meetings if m.kind == kind.code]
        held = _held(mine)
        present = sum(1 for m in held for a in m.attendance.all() if a.present)
        listed = sum(len(m.attendance.all()) for m in held)
        rows.append(
            KindRow(
                kind=kind,
                counts=_counts(kind, mine, start, end, today, members),
                held=len(held),
                present=present,
                expected_attendance=listed,
                meetings=mine,
            )
        )
    return rows


def branch_calendar(
    org: Organization, year: int, quarter: int | None = None, today: date | None = None
) -> dict:
    """Per kind: expected vs held by period, attendance rate, missing and late meetings
    (over the year, or one quarter of it)."""
    today = today or timezone.localdate()
    start, end = window(year, quarter)
    meetings = list(_meetings([org.pk], start, end))
    members = len(active_members(org))
    rows = _rows(meetings, start, end, today, members)
    held = [m for r in rows for m in _held(r.meetings) if not r.kind.per_member]
    present = sum(1 for m in held for a in m.attendance.all() if a.present)
    listed = sum(len(m.attendance.all()) for m in held)
    return {
        "rows": rows,
        "meetings": meetings,
        "members": members,
        "missing": sum(len(r.missing) for r in rows),
        "late": sum(r.late for r in rows),
        "rate": (Decimal(present) * 100 / listed).quantize(Decimal("0.1")) if listed else None,
    }


@dataclass
class BranchGap:
    org: Organization
    missing: list[tuple[str, list[str]]]  # (kind name, periods)
    rate: Decimal | None
    held: int

    @property
    def missing_lines(self) -> list[tuple[str, str]]:
        """(kind name, its missing periods as one phrase: "1月、2月"), as pages print them."""
        return [(name, "、".join(periods)) for name, periods in self.missing]


def department_view(
    orgs, year: int, quarter: int | None, today: date | None = None
) -> list[BranchGap]:
    """Which branches missed which meetings in the period: every branch in one query."""
    today = today or timezone.localdate()
    start, end = window(year, quarter)
    branches = list(orgs.filter(kind=OrgKind.BRANCH).order_by("tree_key"))
    by_org: dict[int, list[Meeting]] = defaultdict(list)
    for m in _meetings([o.pk for o in branches], start, end):
        by_org[m.organization_id].append(m)
    member_counts: dict[int, int] = defaultdict(int)
    for org_id in Member.objects.filter(
        organization__in=branches, left_on__isnull=True
    ).values_list("organization_id", flat=True):
        member_counts[org_id] += 1
    out = []
    # A branch with no record in the period has the gaps of any other with as many members:
    # worked out once per member count.
    unrecorded: dict[int, list[KindRow]] = {}
    for org in branches:
        members = member_counts[org.pk]
        if by_org[org.pk]:
            rows = _rows(by_org[org.pk], start, end, today, members)
        else:
            if members not in unrecorded:
                unrecorded[members] = _rows([], start, end, today, members)
            rows = unrecorded[members]
        held = [m for r in rows for m in _held(r.meetings)]
        present = sum(1 for m in held for a in m.attendance.all() if a.present)
        listed = sum(len(m.attendance.all()) for m in held)
        out.append(
            BranchGap(
                org=org,
                missing=[(r.kind.name, r.missing) for r in rows if r.missing],
                rate=(Decimal(present) * 100 / listed).quantize(Decimal("0.1")) if listed else None,
                held=len(held),
            )
        )
    return out


def page_view(branches, year: int, quarter: int | None) -> list[BranchGap]:
    """``department_view`` of one page of ``overview_branches`` (scoped already): read by
    their keys, which no planner mistakes for a walk through the whole subtree."""
    return department_view(
        Organization.objects.filter(pk__in=[o.pk for o in branches]), year, quarter
    )


def overview_branches(orgs, *, q: str = ""):
    """The branches the department's overview lists, to be paged (``q`` searches the
    name or code); ``department_view`` then reads one page of them."""
    branches = orgs.filter(kind=OrgKind.BRANCH)
    if q:
        branches = branches.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return branches.order_by("tree_key")


def still_due_this_month(org: Organization, today: date | None = None) -> list[str]:
    """The kinds a branch still has to hold this month ("本月还需召开"): monthly ones not
    yet held this month, and quarterly or yearly ones whose period ends this month unmet."""
    today = today or timezone.localdate()
    start, end = window(today.year)
    meetings = list(_meetings([org.pk], start, end))
    members = len(active_members(org))
    due = []
    for kind in MEETING_KINDS:
        for c in _counts(
            kind, [m for m in meetings if m.kind == kind.code], start, end, today, members
        ):
            if today in c.span and not c.met and c.span.end.month == today.month:
                due.append(kind.name)
    return due


# -- scores from records -----------------------------------------------------------------


@dataclass
class SuggestedItem:
    code: str
    text: str
    points: Decimal
    suggestion: scoring.Suggestion | None
    requirements: list[str]
    evidence: list[Meeting]
    entered: Decimal | None
    departure: ScoreDeparture | None

    @property
    def differs(self) -> bool:
        return (
            self.suggestion is not None
            and self.entered is not None
            and self.entered != self.suggestion.value
        )

    @property
    def needs_reason(self) -> bool:
        return self.differs and self.departure is None


def _item_index(rules: scoring.Rules) -> dict[str, tuple[str, Decimal, Decimal]]:
    out = {}
    for section in rules.sections:
        for item in section.items:
            out[item.code] = (item.text, item.points, item.step)
            for part in item.parts:
                out[part.code] = (part.text, part.points, part.step)
    return out


def sheet_suggestions(
    sheet: ScoreSheet,
    rules: "scoring.Rules | Callable[[], scoring.Rules]",
    links: list[dict],
    today: date | None = None,
) -> list[SuggestedItem]:
    """For each item the rubric links to meeting records: the suggested score from the
    branch's records of the campaign's period, with the records as its evidence."""
    if not links or getattr(sheet, "has_records", True) is False:
        return []  # read with the sheet (``selectors.sheet_for_page``): no record this year
    today = today or timezone.localdate()
    campaign = sheet.campaign
    start, end = window(campaign.year, campaign.quarter)
    meetings = list(_meetings([sheet.organization_id], start, end))
    if not _held(meetings):
        return []  # the branch keeps no records here for the period: nothing to suggest
    if callable(rules):
        rules = rules()  # read only when there is something to suggest
    members = len(active_members(sheet.organization))
    index = _item_index(rules)
    by_code: dict[str, list[dict]] = defaultdict(list)
    for link in links:
        if link.get("code") in index and link.get("meeting") in KINDS:
            by_code[link["code"]].append(link)
    entries = {e.code: e.value for e in sheet.entries.all()}
    departures = {d.code: d for d in ScoreDeparture.objects.filter(sheet=sheet)}
    out = []
    for code, its in by_code.items():
        text, points, step = index[code]
        tallies, evidence, labels = [], [], []
        for link in its:
            kind = KINDS[link["meeting"]]
            counts = _counts(kind, meetings, start, end, today, members)
            if link.get("times"):
                counts = [PeriodCount(c.span, c.held, link["times"], c.due, c.late) for c in counts]
            met, counted = tally(counts)
            label = f"{kind.name} {kind.requirement}"
            tallies.append(scoring.RecordTally(label, met, counted))
            labels.append(label)
            evidence += [m for m in _held(meetings) if m.kind == kind.code]
        levels = rules.levels if rules.method == "checklist" else ()
        out.append(
            SuggestedItem(
                code=code,
                text=text,
                points=points,
                suggestion=scoring.suggest_from_records(points, step, tuple(tallies), levels),
                requirements=labels,
                evidence=sorted(evidence, key=lambda m: m.day),
                entered=entries.get(code),
                departure=departures.get(code),
            )
        )
    return sorted(out, key=lambda s: list(index).index(s.code))
