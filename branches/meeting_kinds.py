"""The kinds of organizational life a branch must hold (三会一课 and the rest), with their
required frequency, as data, and the calendar arithmetic over them. Pure: no ORM.

Defaults from 涪陵 004 二、4 (规范组织生活): 党员大会 each quarter, 支委会 each month,
党小组会 1–2 a month, 党课 each quarter, the secretary's own 党课 yearly, 主题党日 on the
10th of each month, 组织生活会 and 民主评议党员 yearly, and the secretary's 谈心谈话
with every member yearly. 河钢 002 item 21 and 003's 计划报备、全程纪实、定期报告 ask the same.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache

from .toolkit.periods import month_end, window


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


PERIOD_LABELS = {Period.MONTH: "每月", Period.QUARTER: "每季度", Period.YEAR: "每年"}


@dataclass(frozen=True)
class MeetingKind:
    code: str
    name: str
    period: Period
    times: int  # at least this many in each period
    basis: str  # where the requirement is written
    day: int | None = None  # a fixed day of the month (主题党日: the 10th)
    per_member: bool = False  # once with every member (谈心谈话)

    @property
    def requirement(self) -> str:
        if self.per_member:
            return f"{PERIOD_LABELS[self.period]}与每名党员至少{self.times}次"
        day = f"（{self.day}日）" if self.day else ""
        return f"{PERIOD_LABELS[self.period]}{self.times}次{day}"


MEETING_KINDS: tuple[MeetingKind, ...] = (
    MeetingKind(
        "party_congress", "党员大会", Period.QUARTER, 1, "涪陵004 二、4：每季度召开1次党员大会"
    ),
    MeetingKind("committee", "支委会", Period.MONTH, 1, "涪陵004 二、4：每月召开1次支委会"),
    MeetingKind("group", "党小组会", Period.MONTH, 1, "涪陵004 二、4：每月召开1至2次党小组会"),
    MeetingKind("lecture", "党课", Period.QUARTER, 1, "涪陵004 二、4：每季度上1次党课"),
    MeetingKind(
        "secretary_lecture",
        "书记讲党课",
        Period.YEAR,
        1,
        "涪陵004 二、4：党组织书记每年至少给党员上1次党课",
    ),
    MeetingKind(
        "theme_day", "主题党日", Period.MONTH, 1, "涪陵004 二、4：确定每月10日为主题党日", day=10
    ),
    MeetingKind(
        "life_meeting", "组织生活会", Period.YEAR, 1, "涪陵004 二、4：每年至少召开1次组织生活会"
    ),
    MeetingKind(
        "appraisal", "民主评议党员", Period.YEAR, 1, "涪陵004 二、5：每年定期开展1次民主评议党员"
    ),
    MeetingKind(
        "talk",
        "谈心谈话",
        Period.YEAR,
        1,
        "涪陵004 二、4：党支部书记和委员每年与所在支部的党员谈心谈话不少于1次",
        per_member=True,
    ),
)
KINDS = {k.code: k for k in MEETING_KINDS}
KIND_CHOICES = [(k.code, k.name) for k in MEETING_KINDS]
KIND_BY_NAME = {k.name: k for k in MEETING_KINDS}


@dataclass(frozen=True)
class Span:
    """One period of a requirement: a month, a quarter or a year."""

    label: str
    start: date
    end: date  # inclusive

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def _month(year: int, month: int) -> Span:
    return Span(f"{month}月", date(year, month, 1), month_end(year, month))


@cache
def spans(period: Period | str, start: date, end: date) -> tuple[Span, ...]:
    """The periods of this kind that overlap [start, end] (whole periods). Cached: a list
    of branches asks the same few windows once per branch and kind."""
    out: list[Span] = []
    for year in range(start.year, end.year + 1):
        if period == Period.YEAR:
            candidates = [Span(f"{year}年", *window(year))]
        elif period == Period.QUARTER:
            candidates = [Span(f"第{q}季度", *window(year, q)) for q in range(1, 5)]
        else:
            candidates = [_month(year, m) for m in range(1, 13)]
        out += [s for s in candidates if s.end >= start and s.start <= end]
    return tuple(out)


@dataclass(frozen=True)
class PeriodCount:
    span: Span
    held: int  # meetings held in the period
    expected: int
    due: bool  # the period has ended (a missing meeting is missing, not merely to come)
    late: int = 0  # held after the announced date

    @property
    def met(self) -> bool:
        return self.held >= self.expected

    @property
    def missing(self) -> bool:
        return self.due and not self.met


def count_periods(
    kind: MeetingKind,
    held: Iterable[tuple[date, date | None]],
    start: date,
    end: date,
    today: date,
    *,
    times: int | None = None,
) -> list[PeriodCount]:
    """For each period of ``kind`` overlapping [start, end]: how many meetings were held
    (``held`` is (held on, announced for) per meeting) against the required number. A period
    counts as due once it is over and lies wholly inside the window."""
    times = times or kind.times
    rows = list(held)
    out = []
    for span in spans(kind.period, start, end):
        in_span = [(h, p) for h, p in rows if h in span]
        out.append(
            PeriodCount(
                span=span,
                held=len(in_span),
                expected=times,
                due=span.end < today and span.start >= start and span.end <= end,
                late=sum(1 for h, p in in_span if p is not None and h > p),
            )
        )
    return out


def tally(counts: list[PeriodCount]) -> tuple[int, int]:
    """(periods met, periods that count): a period counts when it is due or already met."""
    counted = [c for c in counts if c.due or c.met]
    return sum(1 for c in counted if c.met), len(counted)
