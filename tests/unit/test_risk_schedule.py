"""The rescoring calendar: the latest period whose moment has come, and the next one."""

from datetime import datetime, timezone

from arrears.risk.schedule import current_period, next_moment


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_monthly_on_a_day():
    assert current_period(utc(2026, 11, 30, 21), 3, None) == ("2026-11", utc(2026, 11, 3))
    assert current_period(utc(2026, 11, 2, 23), 3, None) == ("2026-10", utc(2026, 10, 3))
    assert current_period(utc(2026, 1, 1), 1, None) == ("2026-01", utc(2026, 1, 1))
    assert current_period(utc(2026, 1, 1), 2, None) == ("2025-12", utc(2025, 12, 2))
    assert next_moment(utc(2026, 12, 5), 3, None) == ("2027-01", utc(2027, 1, 3))
    assert next_moment(utc(2026, 12, 1), 3, None) == ("2026-12", utc(2026, 12, 3))


def test_every_few_hours():
    assert current_period(utc(2026, 11, 30, 20, 59), None or 6, 6) == ("2026-11-30T18:00Z", utc(2026, 11, 30, 18))
    assert next_moment(utc(2026, 11, 30, 20, 59), 1, 6) == ("2026-12-01T00:00Z", utc(2026, 12, 1))
    assert current_period(utc(2026, 11, 30, 18), 1, 6)[0] == "2026-11-30T18:00Z", "a slot starts at its moment"
