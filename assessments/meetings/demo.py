"""Demo organizational-life records (`load_demo`): a whole year for two branches with a
roster, 炼钢一作业区党支部 keeping every meeting and 化工分厂党支部 with gaps (two months
without a 支委会, a quarter without a 党课, a 主题党日 held late, no 组织生活会), so the
calendar, the department's view and the suggested scores have something to show."""

from datetime import date, timedelta

from django.utils import timezone

from branches.models import Member, Organization, Role, User
from branches.toolkit import audit
from branches.toolkit.periods import window

from ..models import Attendance, Meeting, MeetingStatus

FULL, GAPS = "GT-LG-01", "NH-HG"
REASONS = ("出差", "病假", "倒班", "外出培训")


def _plan(year: int) -> list[tuple[str, date, str]]:
    """(kind, held on, topic) of a branch that holds every required meeting."""
    plan = []
    for month in range(1, 13):
        plan.append(("committee", date(year, month, 5), f"{month}月支委会：研究本月党建工作"))
        plan.append(("group", date(year, month, 12), f"{month}月党小组会：学习讨论"))
        plan.append(("theme_day", date(year, month, 10), f"{month}月主题党日"))
    for quarter in range(1, 5):
        month = window(year, quarter)[1].month
        plan.append(("party_congress", date(year, month, 20), f"第{quarter}季度党员大会"))
        plan.append(("lecture", date(year, month, 15), f"第{quarter}季度党课"))
    plan += [
        ("secretary_lecture", date(year, 7, 1), "书记讲党课：坚定理想信念"),
        ("talk", date(year, 11, 18), "书记与党员谈心谈话"),
        ("life_meeting", date(year, 12, 26), "年度组织生活会"),
        ("appraisal", date(year, 12, 27), "民主评议党员"),
    ]
    return plan


def _gaps(plan: list[tuple[str, date, str]], year: int) -> list[tuple[str, date, str, date]]:
    out = []
    for kind, held, topic in plan:
        if kind == "committee" and held.month in (4, 8):
            continue  # two months without a 支委会
        if kind == "lecture" and held.month == 6:
            continue  # no 党课 in the second quarter
        if kind in ("life_meeting", "talk"):
            continue
        planned = held
        if kind == "theme_day" and held.month == 2:
            held = date(year, 2, 14)  # announced for the 10th, held on the 14th
        out.append((kind, held, topic, planned))
    return out


def load_demo_meetings(year: int | None = None) -> None:
    """Idempotent: a branch that has records already is left alone."""
    year = year or timezone.localdate().year - 1
    reviewer = User.objects.filter(memberships__role=Role.REVIEWER).order_by("username").first()
    creator = User.objects.filter(memberships__role=Role.DEPT_ADMIN).order_by("username").first()
    plan = _plan(year)
    for code, rows in (
        (FULL, [(k, h, t, h - timedelta(days=3)) for k, h, t in plan]),
        (GAPS, _gaps(plan, year)),
    ):
        org = Organization.objects.filter(code=code).first()
        if org is None or Meeting.objects.filter(organization=org).exists():
            continue
        secretary = User.objects.filter(
            memberships__organization=org, memberships__role=Role.SECRETARY
        ).first()
        members = list(Member.objects.filter(organization=org, left_on__isnull=True))
        meetings = [
            Meeting(
                organization=org,
                kind=kind,
                planned_on=planned,
                held_on=held,
                place="党员活动室",
                topic=topic,
                host=org.secretary_name,
                minutes=f"{topic}。会议由{org.secretary_name}主持，传达学习上级精神，研究部署工作。",
                # The first half-year has been checked by the reviewer (locked).
                status=MeetingStatus.CHECKED if held.month <= 6 else MeetingStatus.HELD,
                checked_by=reviewer if held.month <= 6 else None,
                checked_at=timezone.now() if held.month <= 6 else None,
                created_by=secretary or creator,
            )
            for kind, held, topic, planned in rows
        ]
        Meeting.objects.bulk_create(meetings)
        audit.record_bulk([(m, None) for m in meetings])
        attendance = []
        for n, meeting in enumerate(meetings):
            for i, member in enumerate(members):
                # A few absences with reasons (a talk is with every member).
                absent = meeting.kind != "talk" and (i + n) % 13 == 0
                attendance.append(
                    Attendance(
                        meeting=meeting,
                        member=member,
                        present=not absent,
                        reason=REASONS[(i + n) % len(REASONS)] if absent else "",
                    )
                )
        Attendance.objects.bulk_create(attendance, batch_size=2000)
