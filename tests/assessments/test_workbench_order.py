"""The workbench lists the nearest due date first, undated work last, and within one kind
reads indicator codes as numbers (3.2 before 3.10), never as text."""

from datetime import date

from assessments.workbench import Work, _urgency


def test_codes_sort_as_numbers_and_dates_come_first():
    rows = [
        Work("整改问题", "3.10 会议记录", "/a", None),
        Work("整改问题", "3.2 党员积分", "/b", None),
        Work("整改问题", "10.1 阵地建设", "/c", None),
        Work("填写考评表", "炼钢一作业区党支部", "/d", date(2027, 1, 5)),
    ]
    assert [w.url for w in sorted(rows, key=_urgency)] == ["/d", "/b", "/a", "/c"]
