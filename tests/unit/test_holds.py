"""Holds: what each type stops, the place/release refusals with reasons, a hardship's end."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from arrears.domain.holds import (
    DISPUTE_RESOLUTIONS,
    HOLD_RULES,
    HOLD_TASKS,
    MAX_HARDSHIP_DAYS,
    ContactEffect,
    HoldRecord,
    HoldType,
    hold_days,
    hold_expiry,
    hold_refusal,
    release_refusal,
)
from arrears.domain.desk import DESK_TASKS
from arrears.domain.strategy import HoldPolicy

PLACED = datetime(2026, 11, 23, 6, tzinfo=timezone.utc)


def hold(**over) -> HoldRecord:
    base = dict(hold_id="H1", hold_type=HoldType.DISPUTE, reason="amount disputed", evidence_ref="DOC-1",
                placed_by="c-1", placed_at=PLACED)
    return HoldRecord(**{**base, **over})


def refusal(**over) -> str | None:
    args = dict(hold_id="H1", hold_type=HoldType.DISPUTE, reason="amount disputed", evidence_ref="DOC-1",
                placed_by="c-1", channel=None, days=None, existing=None, ended=None)
    return hold_refusal(**{**args, **over})


def test_every_hold_type_has_a_rule_and_only_fraud_blocks_the_charge_off():
    assert set(HOLD_RULES) == set(HoldType)
    assert {t for t, r in HOLD_RULES.items() if r.blocks_charge_off} == {HoldType.FRAUD_CLAIM}
    pausing = {t for t, r in HOLD_RULES.items() if r.pauses_escalation}
    assert pausing == {HoldType.DISPUTE, HoldType.HARDSHIP, HoldType.BANKRUPTCY, HoldType.DECEASED, HoldType.FRAUD_CLAIM}
    assert HOLD_RULES[HoldType.BANKRUPTCY].contact == ContactEffect.NONE
    assert HOLD_RULES[HoldType.ATTORNEY_REPRESENTED].contact == ContactEffect.ATTORNEY_ONLY


def test_specialist_tasks_never_go_through_the_desk():
    assert HOLD_TASKS == {HoldType.DECEASED: "estate", HoldType.ATTORNEY_REPRESENTED: "attorney"}
    assert not set(HOLD_TASKS.values()) & DESK_TASKS


def test_a_well_formed_hold_is_accepted():
    assert refusal() is None
    assert refusal(hold_type=HoldType.COMPLAINT, channel="sms") is None
    assert refusal(hold_type=HoldType.HARDSHIP, days=1) is None
    assert refusal(hold_type=HoldType.HARDSHIP, days=MAX_HARDSHIP_DAYS) is None


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"ended": "cured"}, "the episode has ended (cured)"),
        ({"reason": "  "}, "a reason is required"),
        ({"placed_by": ""}, "placed_by (who places the hold) is required"),
        ({"hold_type": HoldType.COMPLAINT}, "a complaint hold needs the channel"),
        ({"hold_type": HoldType.COMPLAINT, "channel": "fax"}, "channel must be one of"),
        ({"channel": "sms"}, "channel goes only with a complaint hold"),
        ({"hold_type": HoldType.HARDSHIP, "days": 0}, "a hardship hold lasts 1 to 180 days, got 0"),
        ({"hold_type": HoldType.HARDSHIP, "days": MAX_HARDSHIP_DAYS + 1}, "lasts 1 to 180 days, got 181"),
        ({"hold_type": HoldType.HARDSHIP, "days": None}, "lasts 1 to 180 days, got None"),
        ({"days": 10}, "days go only with a hardship hold"),
    ],
)
def test_refusals_name_the_reason(over, reason):
    found = refusal(**over)
    assert found is not None and reason in found


def test_a_repeated_id_is_accepted_with_the_same_content_only():
    existing = hold()
    assert refusal(existing=existing) is None
    assert refusal(existing=existing, reason="  amount disputed ") is None  # stored stripped
    assert refusal(existing=existing, ended="closed") is None  # a repeat still gets its answer
    different = refusal(existing=existing, hold_type=HoldType.BANKRUPTCY)
    assert different == "hold_id H1 was already used with different content (dispute by c-1)"
    assert "different content" in refusal(existing=existing, evidence_ref="DOC-2")


def test_hardship_days_default_from_the_strategy():
    assert HoldPolicy().hardship_days == 30
    assert hold_days(HoldType.HARDSHIP, None, 30) == 30
    assert hold_days(HoldType.HARDSHIP, 7, 30) == 7
    assert hold_days(HoldType.DISPUTE, None, 30) is None


def test_policy_limit_matches_the_hold_limit():
    with pytest.raises(ValueError):
        HoldPolicy(hardship_days=MAX_HARDSHIP_DAYS + 1)
    assert HoldPolicy(hardship_days=MAX_HARDSHIP_DAYS).hardship_days == MAX_HARDSHIP_DAYS


def test_hardship_ends_at_the_same_local_hour_across_a_dst_change():
    tz = "America/New_York"
    placed = datetime(2026, 10, 20, 14, tzinfo=timezone.utc)  # 10:00 EDT
    ends = hold_expiry(placed, 30, tz)
    assert ends.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") == "2026-11-19 10:00"  # EST by then
    assert ends == datetime(2026, 11, 19, 15, tzinfo=timezone.utc)  # 30 days and one hour later in UTC


def test_release_refusals():
    active = hold()

    def release(**over):
        args = dict(hold_id="H1", released_by="sup-1", resolution="verified", hold=active, ended=None)
        return release_refusal(**{**args, **over})

    assert release() is None
    assert "no hold H9" in release(hold_id="H9", hold=None)
    assert "the episode has ended (charged_off)" in release(ended="charged_off")
    assert "released_by" in release(released_by=" ")
    for resolution in DISPUTE_RESOLUTIONS:
        assert release(resolution=resolution) is None
    assert "one of verified, withdrawn, upheld, got None" in release(resolution=None)
    assert "got 'paid'" in release(resolution="paid")
    assert release(hold=hold(hold_type=HoldType.BANKRUPTCY), resolution=None) is None
    released = hold(status="released", resolution="verified")
    assert release(hold=released) == "hold H1 was already released (verified)"
    assert release(hold=hold(hold_type=HoldType.HARDSHIP, status="expired")) == "hold H1 was already expired"
