"""A running episode moves to another strategy only through apply_strategy: recorded, from now on."""

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from arrears.contracts.collection import ApplyStrategyInput, ApplyStrategyResult, StatusView
from arrears.db.models import ContactAttempt, Episode, StrategyChange
from arrears.config.strategies import parse_strategy
from tests.workflow.helpers import Scenario, account_row, days
from tests.workflow.test_lifecycle import _today

TZ = "Asia/Shanghai"
OLD = parse_strategy({"name": "old", "steps": [
    {"id": "old-sms-1", "dpd": 1, "action": "sms", "at": "10:00", "template": "sms_early"},
    {"id": "old-sms-6", "dpd": 6, "action": "sms", "at": "10:00", "template": "sms_early"},
    {"id": "co", "dpd": 60, "action": "charge_off", "at": "09:00"}]})
NEW = parse_strategy({"name": "new", "steps": [
    {"id": "new-email-2", "dpd": 2, "action": "email", "at": "10:00", "template": "email_early"},
    {"id": "new-sms-5", "dpd": 5, "action": "sms", "at": "11:00", "template": "sms_early"},
    {"id": "co", "dpd": 60, "action": "charge_off", "at": "09:00"}]})


async def test_apply_strategy_replans_from_now_and_is_recorded(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    today = await _today(time_env, TZ)
    row = account_row("STRAT1", today, segment="low")
    async with sc.worker():
        handle = await sc.start(row, strategy=OLD, now=await time_env.get_current_time())
        await time_env.sleep(days(2.6))  # the DPD 1 SMS has gone; it is DPD 2 or 3, past the new DPD 2 email
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("apply_strategy", ApplyStrategyInput(strategy=NEW, applied_by="", reason="x"),
                                        result_type=ApplyStrategyResult)
        assert "required" in str(refused.value.cause)
        applied = await handle.execute_update(
            "apply_strategy", ApplyStrategyInput(strategy=NEW, applied_by="risk-7", reason="portfolio review 2026-11"),
            result_type=ApplyStrategyResult)
        assert (applied.previous_name, applied.strategy_name) == ("old", "new")
        assert applied.strategy_hash == NEW.content_hash() and applied.previous_hash == OLD.content_hash()
        with pytest.raises(WorkflowUpdateFailedError) as again:
            await handle.execute_update("apply_strategy", ApplyStrategyInput(strategy=NEW, applied_by="risk-7", reason="y"),
                                        result_type=ApplyStrategyResult)
        assert "already runs strategy new" in str(again.value.cause)
        status = await handle.query("status", result_type=StatusView)
        assert (status.strategy_name, status.strategy_hash) == ("new", NEW.content_hash())
        await time_env.sleep(days(6))
        await handle.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
        await handle.result()
    with sc.sessions() as s:
        steps = [c.step_id for c in s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == "STRAT1")
                                             .order_by(ContactAttempt.attempted_at))]
        change = s.scalars(select(StrategyChange)).one()
        episode = s.scalars(select(Episode).where(Episode.account_id == "STRAT1")).one()
    # The old DPD 1 SMS ran; the new DPD 2 email had passed and is not replayed; the old DPD 6 SMS is gone.
    assert steps == ["old-sms-1", "new-sms-5"]
    assert (change.from_name, change.to_name, change.applied_by, change.reason) == ("old", "new", "risk-7", "portfolio review 2026-11")
    assert change.dpd in (2, 3)
    assert (episode.strategy_name, episode.strategy_hash) == ("new", NEW.content_hash())


def test_new_episodes_pin_their_strategy_hash():
    assert OLD.content_hash() != NEW.content_hash()
    assert parse_strategy(OLD.model_dump(mode="json")).content_hash() == OLD.content_hash()
