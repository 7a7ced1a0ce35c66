"""Early warning end to end: over-limit and minimum-payment-only accounts reach the watch list with their
reasons, and `--start` opens an over_limit episode for the over-limit one (and an early_warning episode
for an account whose due date is ahead)."""

from datetime import date, timedelta, timezone

import pytest
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType

from arrears.contracts.collection import EpisodeInput
from arrears.contracts.names import workflow_id_for
from arrears.db.models import CollectorTask, ContactAttempt, Episode
from arrears.domain.months import add_months
from arrears.intake.importer import upsert_accounts
from arrears.risk.behaviour import month_end
from arrears.risk.behaviour_import import import_behaviour
from arrears.risk.watchlist import compute, save, start_episodes
from tests.workflow.helpers import PRICED, Scenario, account_row, days

TZ = "Asia/Shanghai"
HEADER = ("account_id,statement_month,credit_limit,statement_balance,minimum_due,amount_paid,cash_advance,"
          "over_limit_amount,months_on_book,payment_reversals,currency,payment_due_date")


def statements(as_of: date) -> str:
    """Four statements before as_of's month for three accounts: one going over its limit, one paying only
    the minimum, one paying in full; due dates 25 days after each cut."""
    rows = [HEADER]
    for i in range(4):
        m = add_months(as_of.replace(day=1), i - 4)
        due = month_end(m) + timedelta(days=25 if i < 3 else 60)  # the last statement's due date is ahead
        over = 8000 + i * 1000
        rows.append(f"EW-OVER,{m:%Y-%m},10000,{over:.2f},{over / 10:.2f},{over:.2f},0,{max(over - 10000, 0):.2f},30,0,CNY,{due}")
        rows.append(f"EW-MIN,{m:%Y-%m},10000,5000.00,500.00,{500 if i else 5000:.2f},0,0.00,30,0,CNY,{due}")
        rows.append(f"EW-FINE,{m:%Y-%m},10000,1000.00,100.00,1000.00,0,0.00,30,0,CNY,{due}")
    return "\n".join(rows) + "\n"


async def first_input(handle) -> EpisodeInput:
    history = await handle.fetch_history()
    started = next(e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    payloads = started.workflow_execution_started_event_attributes.input.payloads
    return (await handle._client.data_converter.decode(payloads, [EpisodeInput]))[0]


async def test_the_watch_list_names_over_limit_and_minimum_payers_and_opens_an_over_limit_episode(time_env, migrated_sqlite, tmp_path):
    sc = Scenario(time_env.client, migrated_sqlite)
    now = await time_env.get_current_time()
    as_of = now.astimezone(timezone.utc).date()
    path = tmp_path / "behaviour.csv"
    path.write_text(statements(as_of), encoding="utf-8")
    assert import_behaviour(sc.engine, path, now).rejected_total == 0
    upsert_accounts(sc.engine, [account_row(a, as_of, tz=TZ) for a in ("EW-OVER", "EW-MIN")], now)

    listed = compute(sc.engine, sc.sessions, as_of)
    reasons = {e.account_id: {f.name: f.reason for f in e.flags} for e in listed.entries}
    assert set(reasons) == {"EW-OVER", "EW-MIN"}, "the account paying in full is not listed"
    last = add_months(as_of.replace(day=1), -1)
    assert reasons["EW-OVER"]["over_limit"] == f"statement {last:%Y-%m} is 1,000.00 over the limit (110% used)"
    assert reasons["EW-MIN"] == {"min_payment_streak": "paid only the minimum 3 statements running"}
    save(sc.sessions, listed, now, PRICED)

    async with sc.worker():
        started = await start_episodes(time_env.client, sc.engine, sc.sessions, listed, sc.settings.task_queue, PRICED,
                                       86_400, now)
        assert sorted(started.started) == [("EW-MIN", "early_warning"), ("EW-OVER", "over_limit")]
        handle = time_env.client.get_workflow_handle(workflow_id_for("EW-OVER"))
        sc.started += [handle, time_env.client.get_workflow_handle(workflow_id_for("EW-MIN"))]
        opened = await first_input(handle)
        assert (opened.trigger, opened.due_date, str(opened.overdue_amount), str(opened.total_balance)) == (
            "over_limit", month_end(last), "1000.00", "11000.00")
        warned = await first_input(time_env.client.get_workflow_handle(workflow_id_for("EW-MIN")))
        assert warned.trigger == "early_warning" and warned.due_date > as_of
        again = await start_episodes(time_env.client, sc.engine, sc.sessions, listed, sc.settings.task_queue, PRICED,
                                     86_400, now)
        # Left alone: the record shows the episode running, or (before it does) Temporal refuses a second one.
        assert again.started == [] and len(again.skipped) + len(again.already_running) == 2


async def test_an_over_limit_episode_runs_the_over_limit_ladder(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    now = await time_env.get_current_time()
    today = now.astimezone(timezone.utc).date()
    row = account_row("OL1", today - timedelta(days=1), tz=TZ, overdue="1000.00", balance="11000.00")
    async with sc.worker():
        from arrears.intake.importer import episode_input, start_episode

        inp = episode_input(row, PRICED, PRICED.content_hash(), 86_400).model_copy(update={"trigger": "over_limit"})
        upsert_accounts(sc.engine, [row], now)
        assert await start_episode(time_env.client, sc.settings.task_queue, row, inp, now)
        sc.started.append(time_env.client.get_workflow_handle(workflow_id_for("OL1")))
        await time_env.sleep(days(12))
    with sc.sessions() as s:
        assert s.scalars(select(Episode.trigger).where(Episode.account_id == "OL1")).one() == "over_limit"
        texts = [c.template for c in s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == "OL1"))]
        assert texts and set(texts) == {"sms_over_limit"}, "the over-limit variant's texts, not the missed-due ones"
        tasks = [t.step_id for t in s.scalars(select(CollectorTask).where(CollectorTask.account_id == "OL1"))]
        assert "early-call-risky" not in tasks
