"""Calendar-month arithmetic shared by cycles, plans and the legal criteria."""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day-of-month ``months`` later (or earlier), clamped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
