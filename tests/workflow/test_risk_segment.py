"""Re-segmenting a running episode (set_risk_segment) on the time-skipping server.

The handler belongs to the agenda rewrite of AccountCollection (the lead's;
docs/handoff/risk.md says exactly what it must do). Until it lands this test
is expected to fail; once it passes, drop the mark.
"""

import pytest
from sqlalchemy import select

from arrears.runtime import search_attributes as sa
from arrears.contracts.collection import RiskSegmentInput, RiskSegmentResult, StatusView
from arrears.contracts.names import SET_RISK_SEGMENT
from arrears.db.models import Episode, RiskSegmentChange
from arrears.config.strategies import parse_strategy
from arrears.audit.timeline import from_record
from tests.workflow.helpers import Scenario, account_row, days
from tests.workflow.test_lifecycle import _today

TZ = "Asia/Shanghai"
MODEL = "roll_forward_60d-0123456789ab"
# Medium and high ladders that differ, in texts only (no weekday rules in the way).
LADDERS = parse_strategy({"name": "two-ladders", "steps": [
    {"id": "m-sms", "dpd": 5, "action": "sms", "at": "10:00", "template": "sms_early", "segments": ["low", "medium"],
     "repeat_every_days": 10, "until_dpd": 35},
    {"id": "h-sms-early", "dpd": 10, "action": "sms", "at": "10:00", "template": "sms_early", "segments": ["high"]},
    {"id": "h-sms", "dpd": 22, "action": "sms", "at": "10:00", "template": "sms_early", "segments": ["high"],
     "repeat_every_days": 4, "until_dpd": 34},
    {"id": "co", "dpd": 60, "action": "charge_off", "at": "09:00"}]})


def model_request(request_id: str, segment: str) -> RiskSegmentInput:
    return RiskSegmentInput(request_id=request_id, segment=segment, source="model", model_version=MODEL,
                            reasons=["broken_promises_12m=2 (+0.93)", "rpc_rate=0.1 (+0.61)"], set_by="risk-rescore")


async def test_a_medium_episode_moved_to_high_at_dpd_20_follows_the_high_ladder_from_there(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("RESEG1", today, segment="medium", tz=TZ)
    async with sc.worker():
        handle = await sc.start(row, strategy=LADDERS, now=await time_env.get_current_time())
        await time_env.sleep(days(20))  # DPD 20: m-sms@5 and m-sms@15 have run
        before = {key for _, _, _, key in sc.actions("RESEG1")}
        assert before == {"m-sms@5", "m-sms@15"}

        moved = await handle.execute_update(SET_RISK_SEGMENT, model_request("rescore:2026-11:RESEG1", "high"),
                                            result_type=RiskSegmentResult)
        assert (moved.previous.value, moved.segment.value, moved.changed, moved.overridden) == ("medium", "high", True, False)
        again = await handle.execute_update(SET_RISK_SEGMENT, model_request("rescore:2026-11:RESEG1", "high"),
                                            result_type=RiskSegmentResult)
        assert again.duplicate and again.segment.value == "high"

        status = await handle.query("status", result_type=StatusView)
        assert status.risk_segment.value == "high"
        assert (status.risk.source, status.risk.model_version, status.risk.override_by) == ("model", MODEL, None)
        assert status.risk.reasons[0].startswith("broken_promises_12m")
        assert (await handle.describe()).typed_search_attributes.get(sa.RISK_SEGMENT) == "high"

        await time_env.sleep(days(16))  # DPD 36
        after = {key for _, _, _, key in sc.actions("RESEG1")} - before
        # The high ladder from DPD 20 on; its DPD-10 step is not replayed, the medium steps left are dropped.
        assert after == {"h-sms@22", "h-sms@26", "h-sms@30", "h-sms@34"}

        # A supervisor's override wins over a later rescore until released.
        held = await handle.execute_update(SET_RISK_SEGMENT, RiskSegmentInput(
            request_id="sup-1", segment="medium", source="supervisor", reasons=["agreed a salary date"], set_by="sup-2",
            override=True), result_type=RiskSegmentResult)
        assert (held.segment.value, held.changed) == ("medium", True)
        later = await handle.execute_update(SET_RISK_SEGMENT, model_request("rescore:2026-12:RESEG1", "high"),
                                            result_type=RiskSegmentResult)
        assert (later.segment.value, later.changed, later.overridden) == ("medium", False, True)
        status = await handle.query("status", result_type=StatusView)
        assert status.risk_segment.value == "medium" and status.risk.override_by == "sup-2"
        assert (await handle.describe()).typed_search_attributes.get(sa.RISK_SEGMENT) == "medium"
        released = await handle.execute_update(SET_RISK_SEGMENT, RiskSegmentInput(
            request_id="sup-2", segment=None, source="supervisor", reasons=["plan fell through"], set_by="sup-2",
            release_override=True), result_type=RiskSegmentResult)
        assert (released.segment.value, released.changed) == ("high", True), "the model's latest applies again"

    with sc.sessions() as s:
        changes = s.scalars(select(RiskSegmentChange).where(RiskSegmentChange.account_id == "RESEG1")
                            .order_by(RiskSegmentChange.id)).all()
        assert [(c.request_id, c.previous, c.segment, c.changed, c.overridden) for c in changes] == [
            ("rescore:2026-11:RESEG1", "medium", "high", True, False),
            ("sup-1", "high", "medium", True, False),
            ("rescore:2026-12:RESEG1", "medium", "medium", False, True),
            ("sup-2", "medium", "high", True, False),
        ]
        assert [c.dpd for c in changes][:1] == [20]
        assert s.scalars(select(Episode.risk_model_version).where(Episode.account_id == "RESEG1")).one() == MODEL
        timeline = [e for e in from_record(s, "RESEG1") if e.kind == "risk:segment"]
        assert timeline[0].what == "medium -> high" and timeline[0].cause.startswith(f"model {MODEL}")
        assert timeline[2].what == "stays medium: a supervisor's override holds"
