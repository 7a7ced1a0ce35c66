from datetime import date, datetime, timezone

import pytest

from arrears.domain.delinquency import (
    BOUNDARY_DPDS,
    Stage,
    bucket_for_dpd,
    days_past_due,
    local_date,
    next_boundary_dpd,
    stage_for_dpd,
)

DUE = date(2026, 3, 1)


def test_same_instant_is_a_different_local_date_per_zone():
    # 2026-03-01 20:00 UTC: already 2 March in Shanghai (UTC+8), still 1 March in Los Angeles (UTC-8).
    moment = datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc)
    assert local_date(moment, "Asia/Shanghai") == date(2026, 3, 2)
    assert local_date(moment, "America/Los_Angeles") == date(2026, 3, 1)
    assert days_past_due(DUE, moment, "Asia/Shanghai") == 1
    assert days_past_due(DUE, moment, "America/Los_Angeles") == 0


def test_due_date_itself_is_dpd_zero_from_first_to_last_local_minute():
    # 00:00 and 23:59 local time on the due date in Shanghai, written in UTC.
    assert days_past_due(DUE, datetime(2026, 2, 28, 16, 0, tzinfo=timezone.utc), "Asia/Shanghai") == 0
    assert days_past_due(DUE, datetime(2026, 3, 1, 15, 59, tzinfo=timezone.utc), "Asia/Shanghai") == 0
    assert days_past_due(DUE, datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc), "Asia/Shanghai") == 1
    # Before the due date DPD is negative.
    assert days_past_due(DUE, datetime(2026, 2, 26, 12, 0, tzinfo=timezone.utc), "UTC") == -3


def test_dpd_counts_calendar_days_not_24h_periods_across_dst():
    # New York springs forward on 2026-03-08; the day is 23 hours long but still one day.
    due = date(2026, 3, 7)
    nine_am_edt_on_9th = datetime(2026, 3, 9, 13, 0, tzinfo=timezone.utc)
    assert days_past_due(due, nine_am_edt_on_9th, "America/New_York") == 2


@pytest.mark.parametrize(
    "dpd, stage",
    [
        (-30, Stage.PRE_DUE),
        (0, Stage.PRE_DUE),
        (1, Stage.EARLY),
        (30, Stage.EARLY),
        (31, Stage.MID),
        (90, Stage.MID),
        (91, Stage.LATE),
        (179, Stage.LATE),
        (180, Stage.CHARGED_OFF),
        (400, Stage.CHARGED_OFF),
    ],
)
def test_stage_for_dpd_boundaries(dpd, stage):
    assert stage_for_dpd(dpd) is stage


@pytest.mark.parametrize(
    "dpd, bucket",
    [
        (-5, "M0"),
        (0, "M0"),
        (1, "M1"),
        (30, "M1"),
        (31, "M2"),
        (60, "M2"),
        (61, "M3"),
        (150, "M5"),
        (151, "M6"),
        (180, "M6"),
        (181, "M7+"),
        (365, "M7+"),
    ],
)
def test_bucket_for_dpd_boundaries(dpd, bucket):
    assert bucket_for_dpd(dpd) == bucket


@pytest.mark.parametrize(
    "dpd, expected",
    [(-10, 1), (0, 1), (1, 31), (30, 31), (31, 61), (90, 91), (150, 151), (151, 180), (179, 180), (180, 181), (181, None)],
)
def test_next_boundary_dpd(dpd, expected):
    assert next_boundary_dpd(dpd) == expected


def test_every_stage_or_bucket_change_is_a_boundary():
    changes = {d for d in range(-5, 400) if stage_for_dpd(d) != stage_for_dpd(d - 1) or bucket_for_dpd(d) != bucket_for_dpd(d - 1)}
    assert changes == set(BOUNDARY_DPDS)
