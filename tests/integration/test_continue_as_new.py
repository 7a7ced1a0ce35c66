"""Continue-as-new on a real dev server told to suggest it early.

The server suggests continue-as-new after a few dozen events here (instead of
thousands), so one short episode crosses several runs; the ladder must run
every step exactly once across them and carry payments and counts.
"""

import uuid
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select
from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from arrears.runtime import search_attributes as sa
from arrears.contracts.collection import EpisodeResult, PaymentInput, PaymentResult
from arrears.db.models import ContactAttempt, Episode
from arrears.config.strategies import parse_strategy
from tests.conftest import _binary
from tests.workflow.helpers import Scenario, account_row

STRATEGY = parse_strategy(
    {
        "name": "daily",
        "steps": [
            {"id": "daily-sms", "dpd": 1, "action": "sms", "at": "10:00", "repeat_every_days": 1, "until_dpd": 24},
            {"id": "co", "dpd": 25, "action": "charge_off", "at": "09:00"},
        ],
        # At 0.3 s a day, scheduling latency is hours of collection time: open the SMS window
        # all day so that the contact gate does not move steps (this test is about runs).
        "compliance": {"preset": "cn-bank", "windows": {"sms": {"start": "00:00", "end": "23:59"}}, "caps": {"sms": {"per_day": 5}}},
    }
)


async def test_episode_continues_as_new_without_repeating_or_skipping_steps(migrated_sqlite):
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=list(sa.ALL),
        dev_server_log_level="error",
        dev_server_extra_args=["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=60"],
    )
    try:
        sc = Scenario(env.client, migrated_sqlite)
        account = f"CAN{uuid.uuid4().hex[:6].upper()}"
        row = account_row(account, datetime.now(timezone.utc).date(), tz="UTC", overdue="500.00")
        async with sc.worker():
            # The episode's own threshold as well: with one marker per step a life is short enough
            # that the server's suggestion may come only after the last step.
            handle = await sc.start(row, strategy=STRATEGY, day_seconds=0.3, continue_after_events=20)
            paid = await handle.execute_update(
                "record_payment", PaymentInput(payment_id="P-1", amount=Decimal("100.00")), result_type=PaymentResult
            )
            assert paid.overdue_amount == Decimal("400.00")
            result = await env.client.get_workflow_handle(handle.id, result_type=EpisodeResult).result()
            first_run = env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
            first_history = await first_run.fetch_history()
        assert result.outcome == "charged_off"
        assert result.overdue_amount == Decimal("400.00")  # the payment was carried across runs
        # A step the worker reached only after its local day had ended is skipped by the late-import rule
        # (at 0.3 s a day a busy machine does that); each is counted, none is lost or sent twice.
        assert result.contacts_by_channel.get("sms", 0) + result.steps_skipped == 24
        assert first_history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        with sc.sessions() as s:
            keys = [c.idempotency_key.split(":", 1)[1] for c in s.scalars(select(ContactAttempt).order_by(ContactAttempt.id))]
            assert s.scalar(select(func.count()).select_from(Episode)) == 1
        # Every occurrence at most once, in order (with days this short a busy machine may run a step a
        # day late, so the check is on the step, not the DPD it ran at).
        assert len(keys) == result.contacts_by_channel["sms"] and len(set(keys)) == len(keys)
        assert keys == [k for k in (f"daily-sms@{d}" for d in range(1, 25)) if k in keys]
    finally:
        await env.shutdown()
