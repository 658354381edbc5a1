"""A branch's year of meetings in Excel: exported in the layout the import reads, so a
file downloaded, edited and uploaded again goes through the shared upload → dry-run
preview (row-numbered Chinese errors) → confirm flow. A row is a meeting: with its 编号
it updates that record (a checked one only by an amendment on its page), without one it
is added. 出席人员 and 缺席人员及原因 name members of the branch's roster."""

import re

from django.db.models import Q
from django.urls import reverse

from branches.access import Perm
from branches.meeting_kinds import KIND_BY_NAME, KINDS
from branches.models import Member, Organization, User
from branches.resources import ChineseDateWidget
from branches.toolkit import import_registry
from branches.toolkit.exports import Export
from branches.toolkit.spreadsheets import read_xlsx

from ..access import can_record_meetings
from ..models import Meeting, MeetingStatus
from .services import Presence, check_values, save_meeting

KIND = "meetings"
LABEL = "组织生活记录"
HEADERS = [
    "编号",
    "会议类型",
    "预告日期",
    "召开日期",
    "地点",
    "主题",
    "主持人",
    "出席人员",
    "缺席人员及原因",
    "会议记录",
    "状态",
]
REQUIRED = ("会议类型", "预告日期", "召开日期", "主题")
KIND_NAMES = "、".join(k.name for k in KINDS.values())
ABSENT = re.compile(r"^(?P<name>[^（(]+)[（(](?P<reason>.*)[）)]$")


def year_meetings(org: Organization, year: int):
    """The year's records: held in the year, or announced for it and not yet held."""
    return (
        Meeting.objects.filter(organization=org)
        .filter(Q(held_on__year=year) | Q(held_on__isnull=True, planned_on__year=year))
        .prefetch_related("attendance__member")
        .order_by("held_on", "planned_on", "pk")
    )


def _names(meeting: Meeting) -> tuple[str, str]:
    rows = sorted(meeting.attendance.all(), key=lambda a: (a.member.name, a.member_id))
    present = "、".join(a.member.name for a in rows if a.present)
    absent = "、".join(f"{a.member.name}（{a.reason}）" for a in rows if not a.present)
    return present, absent


class MeetingExport(Export):
    identifier = "meetings"
    widths = {"主题": 30, "出席人员": 40, "缺席人员及原因": 30, "会议记录": 40}

    def __init__(self, *, by, org: Organization, year: int):
        super().__init__(by=by)
        self.org, self.year = org, year
        self.verbose_name = f"{org.name}-{year}年组织生活记录"[:60]

    def headers(self):
        return HEADERS

    def rows(self):
        for m in year_meetings(self.org, self.year):
            present, absent = _names(m)
            yield [
                m.pk,
                m.get_kind_display(),
                m.planned_on or "",
                m.held_on or "",
                m.place,
                m.topic,
                m.host,
                present,
                absent,
                m.minutes,
                m.get_status_display(),
            ]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _attendance(
    present: str, absent: str, members: dict[str, Member], errors: list[str]
) -> list[Presence] | None:
    if not present and not absent:
        return None
    out, seen = [], set()
    for name in [n.strip() for n in re.split(r"[、,，;；\n]", present) if n.strip()]:
        if name not in members:
            errors.append(f"出席人员：“{name}”不在本支部党员名册中")
        elif name in seen:
            errors.append(f"出席人员：“{name}”重复")
        else:
            seen.add(name)
            out.append(Presence(members[name], True))
    for part in [p.strip() for p in re.split(r"[、;；\n]", absent) if p.strip()]:
        match = ABSENT.match(part)
        if not match or not match["reason"].strip():
            errors.append(f"缺席人员及原因：“{part}”应写成“姓名（原因）”")
            continue
        name = match["name"].strip()
        if name not in members:
            errors.append(f"缺席人员及原因：“{name}”不在本支部党员名册中")
        elif name in seen:
            errors.append(f"缺席人员及原因：“{name}”同时列为出席或重复")
        else:
            seen.add(name)
            out.append(Presence(members[name], False, match["reason"].strip()))
    return out


def _same(meeting: Meeting, values: dict, attendance: list[Presence] | None) -> bool:
    if any(getattr(meeting, k) != v for k, v in values.items()):
        return False
    if attendance is None:
        return True
    have = {(a.member_id, a.present, a.reason) for a in meeting.attendance.all()}
    return have == {(p.member.pk, p.present, p.reason if not p.present else "") for p in attendance}


def _parse(values, cell, dates, members) -> tuple[str, dict, list[Presence] | None, list[str]]:
    """One row's meeting: (its type as written, the values, the attendance, the problems)."""
    errors: list[str] = []
    kind_name = _text(cell(values, "会议类型"))
    kind = KIND_BY_NAME.get(kind_name)
    if kind is None:
        errors.append(f"会议类型：“{kind_name}”不正确，应为{KIND_NAMES}之一")
    parsed = {"kind": kind.code if kind else None}
    for column, attribute in (("预告日期", "planned_on"), ("召开日期", "held_on")):
        try:
            parsed[attribute] = dates[column].clean(cell(values, column))
        except ValueError as exc:
            errors.append(str(exc))
            parsed[attribute] = None
    for column, attribute, limit in (
        ("地点", "place", 100),
        ("主题", "topic", 200),
        ("主持人", "host", 50),
        ("会议记录", "minutes", 20000),
    ):
        text = _text(cell(values, column))
        if len(text) > limit:
            errors.append(f"{column}：超过 {limit} 个字")
        parsed[attribute] = text
    attendance = _attendance(
        _text(cell(values, "出席人员")), _text(cell(values, "缺席人员及原因")), members, errors
    )
    return kind_name, parsed, attendance, errors


def _existing(raw_id: str, existing: dict, seen_ids: dict, number: int, errors: list):
    """The stored meeting a row's 编号 names (None for a new one; a problem when unknown
    or named twice)."""
    if not raw_id:
        return None
    if not raw_id.isdigit() or int(raw_id) not in existing:
        errors.append(f"编号：本支部没有编号为“{raw_id[:20]}”的会议记录")
    elif int(raw_id) in seen_ids:
        errors.append(f"编号：与第 {seen_ids[int(raw_id)]} 行重复")
    else:
        seen_ids[int(raw_id)] = number
        return existing[int(raw_id)]
    return None


def _action(meeting: Meeting | None, parsed: dict, attendance) -> tuple[str, list[str]]:
    """What a valid row does: new, update, skip (nothing changed) or an error (locked)."""
    if meeting is None:
        return "new", []
    if _same(meeting, parsed, attendance):
        return "skip", []
    if meeting.status == MeetingStatus.CHECKED:
        return "error", ["该记录已审核锁定，请在记录页面登记更正并写明理由"]
    return "update", []


def run(job, *, by: User, dry_run: bool) -> dict:
    org = Organization.objects.get(pk=job.target_id)
    sheet = read_xlsx(bytes(job.content), required=REQUIRED)
    index = {h: i for i, h in enumerate(sheet.headers)}

    def cell(values, column):
        return values[index[column]] if column in index else None

    report: list[dict] = []
    if not can_record_meetings(by, org):
        report.append(
            import_registry.row(None, "error", "", [f"您不能登记“{org.name}”的组织生活记录"])
        )
    members = {m.name: m for m in Member.objects.filter(organization=org, left_on__isnull=True)}
    existing = {
        m.pk: m
        for m in Meeting.objects.filter(organization=org).prefetch_related("attendance__member")
    }
    dates = {c: ChineseDateWidget(label=c) for c in ("预告日期", "召开日期")}
    todo: list[tuple[Meeting | None, dict, list[Presence] | None]] = []
    seen_ids: dict[int, int] = {}
    for number, values in sheet.rows:
        kind_name, parsed, attendance, errors = _parse(values, cell, dates, members)
        meeting = _existing(_text(cell(values, "编号")), existing, seen_ids, number, errors)
        if not errors:
            errors += [p.rstrip("。") for p in check_values(org, parsed, attendance)]
        day = parsed.get("held_on") or parsed.get("planned_on") or ""
        label = f"{kind_name} {day} {parsed.get('topic', '')}".strip()
        action, refused = ("error", errors) if errors else _action(meeting, parsed, attendance)
        report.append(import_registry.row(number, action, label, refused))
        if action in ("new", "update"):
            todo.append((meeting, parsed, attendance))
    result = import_registry.summarize(report, len(sheet.rows))
    if result["ok"] and not dry_run:
        for meeting, parsed, attendance in todo:
            save_meeting(org, by=by, values=parsed, attendance=attendance, meeting=meeting)
    return result


def done(job) -> str:
    return reverse("meeting_calendar", args=[job.target_id])


def register() -> None:
    import_registry.register(KIND, LABEL, run, required=REQUIRED, perm=Perm.VIEW_ORG, done=done)


class MeetingGapExport(Export):
    """The department's view: each branch's missed meetings in the period."""

    identifier = "meeting_gaps"
    widths = {"党支部": 26, "缺开会议": 60}

    def __init__(self, *, by, year: int, quarter: int | None, gaps):
        super().__init__(by=by)
        self.gaps = gaps
        period = f"{year}年第{quarter}季度" if quarter else f"{year}年"
        self.verbose_name = f"组织生活落实情况-{period}"

    def headers(self):
        return ["党支部", "已召开（次）", "出席率（%）", "缺开会议", "缺开（项）"]

    def rows(self):
        for g in self.gaps:
            yield [
                g.org.name,
                g.held,
                g.rate if g.rate is not None else "",
                "；".join(f"{name}：{'、'.join(periods)}" for name, periods in g.missing),
                sum(len(periods) for _, periods in g.missing),
            ]
