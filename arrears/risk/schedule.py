"""When the rescoring runs: a calendar day each month, or a fixed interval (pure; the workflow's clock)."""

from datetime import UTC, datetime, timedelta

from arrears.domain.months import add_months

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _monthly(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def current_period(now: datetime, day: int, every_hours: float | None) -> tuple[str, datetime]:
    """The latest period whose moment has come, and that moment: ``2026-11`` (the calendar) or
    ``2026-11-30T18:00Z`` (an interval's start)."""
    if every_hours:
        step = timedelta(hours=every_hours)
        start = EPOCH + step * ((now - EPOCH) // step)
        return f"{start:%Y-%m-%dT%H:%M}Z", start
    moment = _monthly(now.year, now.month, day)
    if now < moment:
        first = add_months(now.date().replace(day=1), -1)
        moment = _monthly(first.year, first.month, day)
    return f"{moment:%Y-%m}", moment


def next_moment(now: datetime, day: int, every_hours: float | None) -> tuple[str, datetime]:
    """The period after the current one, and when it comes."""
    _, moment = current_period(now, day, every_hours)
    if every_hours:
        start = moment + timedelta(hours=every_hours)
        return f"{start:%Y-%m-%dT%H:%M}Z", start
    first = add_months(moment.date().replace(day=1), 1)
    following = _monthly(first.year, first.month, day)
    return f"{following:%Y-%m}", following
