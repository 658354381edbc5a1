"""The calendar periods: a day's quarter, the periods before and after, a period's window."""

from datetime import date

import pytest

from branches.toolkit.periods import (
    QUARTER_CHOICES,
    add_months,
    add_years,
    month_end,
    next_period,
    previous_period,
    quarter_of,
    window,
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), (2026, 1, date(2026, 1, 1))),
        (date(2026, 3, 31), (2026, 1, date(2026, 1, 1))),
        (date(2026, 4, 1), (2026, 2, date(2026, 4, 1))),
        (date(2026, 6, 30), (2026, 2, date(2026, 4, 1))),
        (date(2026, 7, 1), (2026, 3, date(2026, 7, 1))),
        (date(2026, 9, 30), (2026, 3, date(2026, 7, 1))),
        (date(2026, 10, 1), (2026, 4, date(2026, 10, 1))),
        (date(2026, 12, 31), (2026, 4, date(2026, 10, 1))),
    ],
)
def test_quarter_of_a_day_at_the_boundaries(day, expected):
    assert quarter_of(day) == expected


@pytest.mark.parametrize(
    ("year", "quarter", "first", "last"),
    [
        (2026, 1, date(2026, 1, 1), date(2026, 3, 31)),
        (2026, 2, date(2026, 4, 1), date(2026, 6, 30)),
        (2026, 3, date(2026, 7, 1), date(2026, 9, 30)),
        (2026, 4, date(2026, 10, 1), date(2026, 12, 31)),
        (2026, None, date(2026, 1, 1), date(2026, 12, 31)),
        (2026, 0, date(2026, 1, 1), date(2026, 12, 31)),  # "0" on the pages: the whole year
    ],
)
def test_window_is_the_first_and_last_day(year, quarter, first, last):
    assert window(year, quarter) == (first, last)


def test_every_day_lies_in_its_quarters_window():
    day = date(2024, 1, 1)  # a leap year
    while day.year == 2024:
        year, quarter, first = quarter_of(day)
        start, end = window(year, quarter)
        assert start == first and start <= day <= end
        day = date.fromordinal(day.toordinal() + 1)


def test_window_refuses_a_fifth_quarter():
    with pytest.raises(ValueError):
        window(2026, 5)


@pytest.mark.parametrize(
    ("period", "before", "after"),
    [
        ((2026, 2), (2026, 1), (2026, 3)),
        ((2026, 1), (2025, 4), (2026, 2)),  # year rollover backwards
        ((2026, 4), (2026, 3), (2027, 1)),  # year rollover forwards
        ((2026, None), (2025, None), (2027, None)),  # a year's neighbours are years
    ],
)
def test_previous_and_next_period(period, before, after):
    assert previous_period(*period) == before
    assert next_period(*period) == after
    assert next_period(*previous_period(*period)) == period


@pytest.mark.parametrize(
    ("year", "month", "last"),
    [
        (2026, 4, date(2026, 4, 30)),
        (2024, 2, date(2024, 2, 29)),
        (2026, 2, date(2026, 2, 28)),
        (2026, 13, date(2027, 1, 31)),  # 次年1月底前
        (2026, 24, date(2027, 12, 31)),
    ],
)
def test_month_end(year, month, last):
    assert month_end(year, month) == last


@pytest.mark.parametrize(
    ("day", "months", "later"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # the shorter month's last day
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),  # year rollover
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 10), -1, date(2025, 12, 10)),
        (date(2026, 5, 20), 24, date(2028, 5, 20)),
    ],
)
def test_add_months(day, months, later):
    assert add_months(day, months) == later


def test_add_years_turns_29_february_into_the_28th():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2027, 3, 1), -3) == date(2024, 3, 1)


def test_quarter_choices():
    assert QUARTER_CHOICES == [(1, "第一季度"), (2, "第二季度"), (3, "第三季度"), (4, "第四季度")]
