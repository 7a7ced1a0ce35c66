"""A simulated portfolio on the dev server, then an audit that reads only the system of record.

A hundred and twenty accounts across six zones (China, New York, Los Angeles, London)
and every stage live twenty-five compressed days (one second each) under the cn-bank preset, with
some customers opted out of texts, some who said "stop calling" (every number), some who consented
to calls, some under a dispute hold, contact persons approached to locate cardholders whose phone is
wrong, and guarantors asked to pay (art. 68). The check (arrears.audit.record_check) recomputes
windows, working days, caps, holds, opt-outs and what third parties were told from the stored
contacts and must find nothing; a corrupted copy (an email at 21:30 in the phone's zone, a debt text
to a contact person) is found out with the rules. The us-regf run is test_one_gate_simulation.py.
"""

import asyncio
import json
import uuid
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import func, select

from arrears import PROJECT_ROOT
from arrears.client.clock import collection_now
from arrears.compliance.consent_record import record_consent
from arrears.contracts.collection import HoldInput, HoldResult
from arrears.contracts.names import workflow_id_for
from arrears.audit.record_check import find_violations
from arrears.db.models import Account, CollectorTask, ContactAttempt, ContactDecision, Episode, Hold
from arrears.domain.policy import Window
from arrears.config.strategies import parse_strategy
from arrears.intake.importer import import_file
from arrears.intake.sample import generate_accounts, write_csv
from tests.workflow.helpers import Scenario

ACCOUNTS = 120
DAY_SECONDS = 1.0
DAYS = 25


async def test_a_simulated_portfolio_breaks_no_rule_of_its_preset(dev_env, migrated_sqlite, tmp_path):
    data = yaml.safe_load((PROJECT_ROOT / "strategies" / "demo.yaml").read_text(encoding="utf-8"))
    steps = list(data["steps"])
    steps.insert(3, {"id": "locate-10", "dpd": 10, "action": "locate", "at": "11:00", "template": "sms_locate"})
    steps.insert(4, {"id": "guarantor-12", "dpd": 12, "action": "guarantor", "at": "11:00", "template": "sms_guarantor"})
    strategy = parse_strategy({**data, "steps": steps, "compliance": {"preset": "cn-bank"}})
    prefix = f"SIM{uuid.uuid4().hex[:4].upper()}"
    rows = generate_accounts(ACCOUNTS, datetime.now(timezone.utc).date(), [-3, 0, 2, 5, 9, 14, 25, 33, 45, 70, 95, 118, 140], prefix=prefix)
    for n, row in enumerate(rows):
        if n % 3 == 0:  # a guarantor and a friend; someone unrelated is never approached
            row["contacts"] = json.dumps([
                {"name": "王强", "relationship": "guarantor", "phone": f"+86 135 {n:04d} 0001"},
                {"name": "张伟", "relationship": "friend", "phone": f"+86 136 {n:04d} 0002"},
                {"name": "陌生人", "relationship": "unrelated", "phone": f"+86 137 {n:04d} 0003"}], ensure_ascii=False)
    portfolio = tmp_path / "portfolio.csv"
    write_csv(portfolio, rows)
    sc = Scenario(dev_env.client, migrated_sqlite)
    now = datetime.now(timezone.utc)
    async with sc.worker():
        summary = await import_file(dev_env.client, sc.engine, portfolio, task_queue=sc.settings.task_queue,
                                    strategy=strategy, day_seconds=DAY_SECONDS)
        assert len(summary.started) == ACCOUNTS
        for n, row in enumerate(rows[:40]):
            account_id = row["account_id"]
            # Stamped with each episode's own clock (issue 22 item 7): the wall clock would be days off.
            at = await collection_now(dev_env.client, sc.sessions, account_id, datetime.now(timezone.utc))
            with sc.sessions.begin() as s:
                if n < 20:
                    record_consent(s, account_id, "sms", "opted_out", "sms reply STOP", at)
                elif n < 30:
                    record_consent(s, account_id, "call", "opted_out", "said: stop calling me", at, medium=True)
                else:
                    record_consent(s, account_id, "call", "consented", "asked to be called about a plan", at)
        with sc.sessions.begin() as s:
            for n, row in enumerate(rows):  # a collector's wrong_number outcome, as recorded: locating begins
                if n >= 40 and n % 3 == 0 and n % 13 in (2, 3, 4):  # contact persons, and DPD 10 still ahead
                    s.get(Account, row["account_id"]).phone_invalid = True
        # Disputes placed through the workflow, as a collector's desk would: the hold's time is the
        # episode's own (collection) time, the one the gate and the check compare contacts with.
        await asyncio.gather(*(
            dev_env.client.get_workflow_handle(workflow_id_for(row["account_id"])).execute_update(
                "place_hold", HoldInput(hold_id="D-1", hold_type="dispute", reason="customer disputes the balance",
                                        placed_by="pytest"), result_type=HoldResult)
            for row in rows[20:35]
        ))
        await asyncio.sleep(DAYS * DAY_SECONDS)
    with sc.sessions() as s:
        violations = find_violations(s, strategy.compliance)
        # Guard: the check is live; judged by a narrower window the same record breaks it.
        narrower = strategy.compliance.model_copy(update={"windows": {**strategy.compliance.windows,
                                                                       "sms": Window(start="12:00", end="13:00")}})
        stricter = find_violations(s, narrower)
        sent = s.scalar(select(func.count()).select_from(ContactAttempt).where(ContactAttempt.result == "queued"))
        tasks = s.scalar(select(func.count()).select_from(CollectorTask))
        verdicts = dict(s.execute(select(ContactDecision.verdict, func.count()).group_by(ContactDecision.verdict)).all())
        rules = dict(s.execute(select(ContactDecision.rule, func.count()).group_by(ContactDecision.rule)).all())
        disputes = s.scalar(select(func.count()).select_from(Hold).where(Hold.hold_type == "dispute", Hold.status == "active"))
        persons = dict(s.execute(select(ContactAttempt.channel, func.count()).where(
            ContactAttempt.channel.in_(("locate", "guarantor")), ContactAttempt.result == "queued")
            .group_by(ContactAttempt.channel)).all())
    print(f"sent {sent}, tasks {tasks}, decisions {verdicts}, rules {rules}")
    assert violations == [], "\n".join(map(str, violations[:20]))
    assert any(v.rule == "contact_window" and v.channel == "sms" for v in stricter)
    # The run was big enough to mean something, and the gate had to work.
    assert sent > 100 and tasks > 30
    assert verdicts.get("defer", 0) > 0 and verdicts.get("suppress", 0) > 0
    assert rules.get("opt_out", 0) > 0
    assert disputes == 15  # on record; the check above found no contact while they held
    assert persons.get("locate", 0) > 0 and persons.get("guarantor", 0) > 0
    # Issue 15's corrupted record is found out, each with its rule.
    found = _corrupted(sc, strategy, rows)
    assert {(v.channel, v.rule) for v in found} == {("email", "contact_window"), ("sms:third_party", "third_party_content")}


def _corrupted(sc: Scenario, strategy, rows) -> list:
    """An email at 21:30 in the phone's zone and a debt text to a contact person, on an account of their
    own (a Shanghai address, a New York mobile) with a validation-free preset's episode."""
    account_id = rows[0]["account_id"] + "X"
    with sc.sessions.begin() as s:
        template = s.get(Account, rows[0]["account_id"])
        episode = s.scalar(select(Episode).where(Episode.account_id == template.account_id))
        s.add(Account(account_id=account_id, customer_name="测试", phone="+1 212 555 0199", email="x@example.com",
                      billing_address="上海", language="zh-CN", timezone="Asia/Shanghai", risk_segment="low",
                      currency="CNY", contacts=None, created_at=episode.started_at, updated_at=episode.started_at))
        s.flush()
        s.add(Episode(episode_id=f"{episode.episode_id}-X", account_id=account_id, workflow_id="corrupt", run_id="x",
                      started_at=episode.started_at, due_date=episode.due_date, dpd_at_start=episode.dpd_at_start,
                      currency="CNY", opening_overdue=episode.opening_overdue, opening_balance=episode.opening_balance,
                      risk_segment="low", strategy_name="x", strategy_hash="0" * 64))
        s.flush()
        new_york = ZoneInfo("America/New_York")
        evening = datetime.combine(datetime.now(new_york).date() + timedelta(days=400), time(21, 30), tzinfo=new_york)
        while evening.astimezone(ZoneInfo("Asia/Shanghai")).weekday() > 4:
            evening += timedelta(days=1)
        for key, channel, template_name, recipient, at in (
                ("email", "email", "email_early", "x@example.com", evening),
                ("locate#0", "locate", "sms_late", "+86 136 0000 0002", evening + timedelta(hours=1))):
            s.add(ContactAttempt(
                idempotency_key=f"{account_id}:{key}", episode_id=f"{episode.episode_id}-X", account_id=account_id,
                step_id="corrupt", channel=channel, template=template_name, language="zh-CN", recipient=recipient,
                subject=None, rendered_text="...", dpd=50, stage="mid", catch_up=False, scheduled_for=at,
                attempted_at=at, result="queued", adapter="outbox"))
    with sc.sessions() as s:
        return [v for v in find_violations(s, strategy.compliance) if v.account_id == account_id]
