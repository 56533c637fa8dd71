"""What a KPI period is compared with: how many days back the comparison period lies.

Shops sell by weekday (a closed Sunday, a busy Saturday), so a day is best compared with the
same weekday: the comparisons other than the plain previous period move back by whole weeks,
except "last year", which keeps the calendar dates (for months and seasons).
"""

from datetime import date, timedelta
from enum import Enum

DAYS_A_WEEK = 7
WEEKS_A_YEAR = 52


class KpiComparison(Enum):
    PREVIOUS_PERIOD = "previous_period"
    PREVIOUS_WEEKS = "previous_weeks"
    LAST_YEAR_WEEKDAYS = "last_year_weekdays"
    LAST_YEAR = "last_year"


def year_before(day: date) -> date:
    """The same date a year earlier; 29 February falls on the 28th."""
    if day.month == 2 and day.day == 29:
        return day.replace(year=day.year - 1, day=28)
    return day.replace(year=day.year - 1)


def comparison_shift(start: date, end: date, compare: KpiComparison) -> int:
    """How many days before [start, end] its comparison period lies (same length):

    - PREVIOUS_PERIOD: the days just before (30 days are compared with the 30 before);
    - PREVIOUS_WEEKS: the days just before, moved back to whole weeks, so each day faces
      the same weekday (30 days are compared with the 30 that start 35 days earlier);
    - LAST_YEAR_WEEKDAYS: 52 weeks (364 days) earlier, the same weekdays a year before;
    - LAST_YEAR: the same dates a year earlier (365 or 366 days, from `start`'s date).
    """
    days = (end - start).days + 1
    if compare is KpiComparison.PREVIOUS_PERIOD:
        return days
    if compare is KpiComparison.PREVIOUS_WEEKS:
        return -(-days // DAYS_A_WEEK) * DAYS_A_WEEK
    if compare is KpiComparison.LAST_YEAR_WEEKDAYS:
        return WEEKS_A_YEAR * DAYS_A_WEEK
    return (start - year_before(start)).days


def comparison_period(start: date, end: date, compare: KpiComparison) -> tuple[date, date]:
    """The first and last days [start, end] is compared with."""
    back = timedelta(days=comparison_shift(start, end, compare))
    return start - back, end - back
