"""Calendar periods, the one place their arithmetic lives: the quarter a day falls in, the
period before and after a period, the first and last day of a quarter or a year, the last
day of a month ("4月底前" is the last day of April), and a day some months or years on.

A period is ``(year, quarter)`` with ``quarter`` 1–4, or ``(year, None)`` for a whole year;
the period next to a year is a year, the one next to a quarter a quarter."""

import calendar
from datetime import date
from typing import overload

QUARTERS = 4
MONTHS_PER_QUARTER = 3
# The quarters as a form offers them.
QUARTER_CHOICES = [(q, f"第{'一二三四'[q - 1]}季度") for q in range(1, QUARTERS + 1)]


def month_end(year: int, month: int) -> date:
    """The last day of a month; ``month`` may run past 12 into the following years
    (13 is January of the next year, as "次年1月底前")."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (earlier if negative), or the month's last day when
    that month is shorter (31 January + 1 month is 28 or 29 February)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, month_end(year, month + 1).day))


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later (earlier if negative); 29 February becomes the 28th."""
    return add_months(day, 12 * years)


def quarter_of(day: date) -> tuple[int, int, date]:
    """(year, quarter, first day of the quarter) of the quarter ``day`` falls in."""
    quarter = (day.month - 1) // MONTHS_PER_QUARTER + 1
    return day.year, quarter, window(day.year, quarter)[0]


def window(year: int, quarter: int | None = None) -> tuple[date, date]:
    """The first and the last day of a period: one quarter of a year, or the whole year."""
    if quarter is None or quarter == 0:
        return date(year, 1, 1), date(year, 12, 31)
    if not 1 <= quarter <= QUARTERS:
        raise ValueError(f"quarter must be 1–{QUARTERS}, not {quarter}")
    last_month = quarter * MONTHS_PER_QUARTER
    return date(year, last_month - MONTHS_PER_QUARTER + 1, 1), month_end(year, last_month)


@overload
def previous_period(year: int, quarter: int) -> tuple[int, int]: ...
@overload
def previous_period(year: int, quarter: None) -> tuple[int, None]: ...
@overload
def previous_period(year: int, quarter: int | None) -> tuple[int, int | None]: ...
def previous_period(year: int, quarter: int | None) -> tuple[int, int | None]:
    """The period before: the year before a year, the quarter before a quarter."""
    if quarter is None:
        return year - 1, None
    return (year, quarter - 1) if quarter > 1 else (year - 1, QUARTERS)


@overload
def next_period(year: int, quarter: int) -> tuple[int, int]: ...
@overload
def next_period(year: int, quarter: None) -> tuple[int, None]: ...
@overload
def next_period(year: int, quarter: int | None) -> tuple[int, int | None]: ...
def next_period(year: int, quarter: int | None) -> tuple[int, int | None]:
    """The period after: the year after a year, the quarter after a quarter."""
    if quarter is None:
        return year + 1, None
    return (year, quarter + 1) if quarter < QUARTERS else (year + 1, 1)
