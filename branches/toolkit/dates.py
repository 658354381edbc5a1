"""Calendar arithmetic the documents speak in: "4月底前" is the last day of April."""

import calendar
from datetime import date


def month_end(year: int, month: int) -> date:
    """The last day of a month; ``month`` may run past 12 into the following years
    (13 is January of the next year, as "次年1月底前")."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])
