from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from arrears.domain.delinquency import days_past_due, stage_for_dpd
from arrears.domain.ladder import initial_plan, local_moment, occurrences
from arrears.domain.strategy import Action, Segment
from arrears.config.strategies import load_strategy, parse_strategy
from tests.conftest import DEFAULT_STRATEGY

DUE = date(2026, 3, 1)
SHANGHAI = "Asia/Shanghai"
UTC = ZoneInfo("UTC")


@pytest.fixture(scope="module")
def default():
    return load_strategy(DEFAULT_STRATEGY)


def local(dpd: int, hour: int, minute: int = 0, zone: str = SHANGHAI, due: date = DUE) -> datetime:
    return datetime.combine(due + timedelta(days=dpd), time(hour, minute), tzinfo=ZoneInfo(zone))


def daily_sms_strategy():
    return parse_strategy(
        {
            "name": "daily",
            "steps": [
                {"id": "sms", "dpd": 1, "action": "sms", "at": "10:00", "template": "sms_early",
                 "repeat_every_days": 1, "until_dpd": 29},
                {"id": "charge-off", "dpd": 180, "action": "charge_off", "at": "00:00"},
            ],
        }
    )


# ---- occurrences ---------------------------------------------------------------------


def test_pre_due_sms_only_for_high_risk(default):
    high = [o.key for o in occurrences(default, Segment.HIGH)]
    low = [o.key for o in occurrences(default, Segment.LOW)]
    medium = [o.key for o in occurrences(default, Segment.MEDIUM)]
    assert high[0] == "pre-due-sms@-3"
    assert "pre-due-sms@-3" not in low
    assert "pre-due-sms@-3" not in medium
    # Low-risk gets its own late call; medium/high get the weekly early calls instead.
    assert "early-call-low@20" in low and "early-call-low@20" not in high
    assert "early-call-risky@3" in medium and "early-call-risky@3" not in low
    assert "late-legal@150" in high and "late-legal@150" not in low


def test_repeats_expand(default):
    keys = [o.key for o in occurrences(default, Segment.LOW)]
    assert [k for k in keys if k.startswith("early-sms@")] == [f"early-sms@{d}" for d in (1, 8, 15, 22, 29)]
    assert [k for k in keys if k.startswith("mid-call@")] == [f"mid-call@{d}" for d in range(33, 90, 7)]
    assert [k for k in keys if k.startswith("late-sms@")] == [f"late-sms@{d}" for d in (95, 109, 123, 137, 151, 165)]
    assert keys[-1] == "charge-off@180"


def test_occurrences_sorted_by_dpd_then_local_time(default):
    occ = occurrences(default, Segment.MEDIUM)
    assert [(o.dpd, o.step.at) for o in occ] == sorted((o.dpd, o.step.at) for o in occ)
    # DPD 40: the file lists mid-call (15:00) before the bureau notice (09:00); time of day wins.
    at_40 = [o.step.id for o in occ if o.dpd == 40]
    assert at_40 == ["mid-bureau-report", "mid-call"]
    at_31 = [o.step.id for o in occ if o.dpd == 31]
    assert at_31 == ["mid-restrict-card", "mid-sms"]


def test_ties_keep_file_order():
    strategy = parse_strategy(
        {
            "name": "ties",
            "steps": [
                {"id": "zz-email", "dpd": 5, "action": "email", "at": "10:00"},
                {"id": "aa-sms", "dpd": 5, "action": "sms", "at": "10:00"},
                {"id": "mm-early", "dpd": 5, "action": "im", "at": "09:59"},
                {"id": "charge-off", "dpd": 180, "action": "charge_off"},
            ],
        }
    )
    assert [o.step.id for o in occurrences(strategy, Segment.LOW)] == ["mm-early", "zz-email", "aa-sms", "charge-off"]
    assert [o.order for o in occurrences(strategy, Segment.LOW)] == [2, 0, 1, 3]


# ---- local moments ---------------------------------------------------------------------


def test_local_moment_uses_the_account_zone():
    assert local_moment(DUE, 1, time(10, 0), SHANGHAI) == datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
    assert local_moment(DUE, 1, time(10, 0), "America/Los_Angeles") == datetime(2026, 3, 2, 18, 0, tzinfo=timezone.utc)
    assert local_moment(DUE, -3, time(0, 30), "UTC") == datetime(2026, 2, 26, 0, 30, tzinfo=timezone.utc)


def test_local_moment_across_new_york_spring_forward():
    # Clocks go from 02:00 EST to 03:00 EDT on 2026-03-08.
    due = date(2026, 3, 1)
    ny = "America/New_York"
    assert local_moment(due, 6, time(10, 0), ny) == datetime(2026, 3, 7, 15, 0, tzinfo=timezone.utc)  # EST
    assert local_moment(due, 7, time(10, 0), ny) == datetime(2026, 3, 8, 14, 0, tzinfo=timezone.utc)  # EDT
    assert local_moment(due, 8, time(10, 0), ny) == datetime(2026, 3, 9, 14, 0, tzinfo=timezone.utc)
    # 10:00 local on both days, 23 real hours apart.
    assert local_moment(due, 7, time(10, 0), ny) - local_moment(due, 6, time(10, 0), ny) == timedelta(hours=23)
    # A time inside the gap still lands on that local date, within the missing hour's surroundings.
    gap = local_moment(due, 7, time(2, 30), ny)
    assert gap.astimezone(ZoneInfo(ny)).date() == date(2026, 3, 8)
    assert datetime(2026, 3, 8, 7, 0, tzinfo=timezone.utc) <= gap < datetime(2026, 3, 8, 8, 0, tzinfo=timezone.utc)


# ---- initial plan ------------------------------------------------------------------------


@pytest.mark.parametrize("segment", list(Segment))
def test_plan_started_before_due_date_has_everything_and_no_catch_up(default, segment):
    start = local(-10, 8)
    plan = initial_plan(default, segment, DUE, SHANGHAI, start)
    assert [s.key for s in plan] == [o.key for o in occurrences(default, segment)]
    assert not any(s.catch_up for s in plan)
    assert all(s.due_at >= start for s in plan)
    assert [s.due_at for s in plan] == sorted(s.due_at for s in plan)
    sms = next(s for s in plan if s.key == "early-sms@8")
    assert sms.due_at == datetime(2026, 3, 9, 2, 0, tzinfo=timezone.utc)
    assert sms.action == Action.SMS and sms.template == "sms_early"
    call = next(s for s in plan if s.action == Action.CALL)
    assert call.template is None


@pytest.mark.parametrize("segment", list(Segment))
def test_late_import_at_dpd_12_catches_up_once_with_the_latest_early_reminder(default, segment):
    start = local(12, 15)
    assert days_past_due(DUE, start, SHANGHAI) == 12
    plan = initial_plan(default, segment, DUE, SHANGHAI, start)

    catch_ups = [s for s in plan if s.catch_up]
    assert [s.key for s in catch_ups] == ["early-sms@8"]
    catch_up = catch_ups[0]
    # 10:00 local has passed on DPD 12, so it goes at 10:00 on DPD 13.
    assert catch_up.due_at == local(13, 10).astimezone(UTC)
    assert catch_up.action == Action.SMS and catch_up.template == "sms_early"
    assert plan[0] == catch_up

    # Nothing else whose time has passed is pending: no replayed calls, emails or IMs.
    others = [s for s in plan if not s.catch_up]
    assert all(s.due_at >= start for s in others)
    assert min(s.dpd for s in others) >= 13
    keys = {s.key for s in plan}
    assert not keys & {"early-sms@1", "early-email@2", "early-im@5", "early-call-risky@3", "early-call-risky@10"}
    # Everything still ahead is kept.
    assert {"early-sms@15", "early-email@16", "charge-off@180"} <= keys


def test_late_import_before_the_reminder_time_catches_up_the_same_day(default):
    start = local(12, 9, 0)
    plan = initial_plan(default, Segment.LOW, DUE, SHANGHAI, start)
    catch_up = [s for s in plan if s.catch_up]
    assert [s.key for s in catch_up] == ["early-sms@8"]
    assert catch_up[0].due_at == local(12, 10).astimezone(UTC)


def test_passed_call_is_not_replayed(default):
    # DPD 10 at 15:00: the 14:00 call of that day has just passed.
    plan = initial_plan(default, Segment.HIGH, DUE, SHANGHAI, local(10, 15))
    keys = [s.key for s in plan]
    assert "early-call-risky@10" not in keys
    assert not any(s.catch_up and s.action == Action.CALL for s in plan)
    assert "early-call-risky@17" in keys


def test_late_import_in_mid_stage_catches_up_a_mid_reminder_only(default):
    start = local(40, 12)
    plan = initial_plan(default, Segment.MEDIUM, DUE, SHANGHAI, start)
    catch_ups = [s for s in plan if s.catch_up]
    assert [s.key for s in catch_ups] == ["mid-letter@35"]
    assert catch_ups[0].due_at == local(41, 9).astimezone(UTC)
    # The passed card restriction is not replayed (only reminders and charge-off are).
    assert "mid-restrict-card@31" not in {s.key for s in plan}


def test_import_after_charge_off_runs_charge_off_at_once(default):
    start = local(200, 11)
    plan = initial_plan(default, Segment.LOW, DUE, SHANGHAI, start)
    assert len(plan) == 1
    (step,) = plan
    assert step.key == "charge-off@180"
    assert step.action == Action.CHARGE_OFF
    assert step.catch_up is True
    assert step.due_at == start


def test_catch_up_dropped_when_same_step_comes_first():
    strategy = daily_sms_strategy()
    plan = initial_plan(strategy, Segment.LOW, DUE, SHANGHAI, local(5, 15))
    assert not any(s.catch_up for s in plan)
    assert plan[0].key == "sms@6"
    assert plan[0].due_at == local(6, 10).astimezone(UTC)


def test_catch_up_kept_when_same_step_comes_later():
    strategy = parse_strategy(
        {
            "name": "weekly",
            "steps": [
                {"id": "sms", "dpd": 1, "action": "sms", "at": "10:00", "repeat_every_days": 7, "until_dpd": 29},
                {"id": "charge-off", "dpd": 180, "action": "charge_off", "at": "00:00"},
            ],
        }
    )
    plan = initial_plan(strategy, Segment.LOW, DUE, SHANGHAI, local(5, 15))
    assert [(s.key, s.catch_up) for s in plan[:2]] == [("sms@1", True), ("sms@8", False)]
    assert plan[0].due_at == local(6, 10).astimezone(UTC)


def test_catch_up_never_lands_in_a_later_stage(default):
    start = local(0, 15)
    plan = initial_plan(default, Segment.HIGH, DUE, SHANGHAI, start)
    for step in plan:
        if step.catch_up and step.action != Action.CHARGE_OFF:
            sent_at_dpd = days_past_due(DUE, step.due_at, SHANGHAI)
            assert stage_for_dpd(sent_at_dpd) == stage_for_dpd(step.dpd), step.key
    at_first_sms = [s.key for s in plan if s.due_at == local(1, 10).astimezone(UTC)]
    assert at_first_sms == ["early-sms@1"]
