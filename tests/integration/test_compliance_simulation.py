"""A simulated portfolio on the dev server, then an audit that reads only the system of record.

A hundred and twenty accounts across six zones (China, New York, Los Angeles, London)
and every stage live twenty-five compressed days (one second each) under the cn-bank preset, with
some customers opted out of texts and some under a dispute hold. The check
(arrears.compliance_check) recomputes windows, working days, caps, holds and
opt-outs from the stored contacts and must find nothing.
"""

import asyncio
import uuid
from datetime import date, datetime, timezone

import yaml
from sqlalchemy import func, select

from arrears import PROJECT_ROOT
from arrears.compliance import record_consent
from arrears.contracts import HoldInput, HoldResult, workflow_id_for
from arrears.compliance_check import find_violations
from arrears.db.models import CollectorTask, ContactAttempt, ContactDecision, Hold
from arrears.domain.policy import Window
from arrears.domain.strategy import parse_strategy
from arrears.importer import import_file
from arrears.sample import generate_accounts, write_csv
from tests.workflow.helpers import Scenario

ACCOUNTS = 120
DAY_SECONDS = 1.0
DAYS = 25


async def test_a_simulated_portfolio_breaks_no_rule_of_its_preset(dev_env, migrated_sqlite, tmp_path):
    data = yaml.safe_load((PROJECT_ROOT / "strategies" / "demo.yaml").read_text(encoding="utf-8"))
    strategy = parse_strategy({**data, "compliance": {"preset": "cn-bank"}})
    prefix = f"SIM{uuid.uuid4().hex[:4].upper()}"
    rows = generate_accounts(ACCOUNTS, datetime.now(timezone.utc).date(), [-3, 0, 2, 5, 9, 14, 25, 33, 45, 70, 95, 118, 140], prefix=prefix)
    portfolio = tmp_path / "portfolio.csv"
    write_csv(portfolio, rows)
    sc = Scenario(dev_env.client, migrated_sqlite)
    now = datetime.now(timezone.utc)
    async with sc.worker():
        summary = await import_file(dev_env.client, sc.engine, portfolio, task_queue=sc.settings.task_queue,
                                    strategy=strategy, day_seconds=DAY_SECONDS)
        assert len(summary.started) == ACCOUNTS
        with sc.sessions.begin() as s:
            for row in rows[:20]:
                record_consent(s, row["account_id"], "sms", "opted_out", "sms reply STOP", now)
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
    print(f"sent {sent}, tasks {tasks}, decisions {verdicts}, rules {rules}")
    assert violations == [], "\n".join(map(str, violations[:20]))
    assert any(v.rule == "contact_window" and v.channel == "sms" for v in stricter)
    # The run was big enough to mean something, and the gate had to work.
    assert sent > 100 and tasks > 30
    assert verdicts.get("defer", 0) > 0 and verdicts.get("suppress", 0) > 0
    assert rules.get("opt_out", 0) > 0
    assert disputes == 15  # on record; the check above found no contact while they held
