"""The demo's legal story on the time-skipping server, where no machine load can make it miss:
`strategies/demo-legal.yaml` takes a large balance reached twice by a collector to a legal case,
refuses a small one for its principal, and the demo's summary says both."""

import re
from datetime import date, timedelta
from decimal import Decimal

from rich.console import Console
from sqlalchemy import select

from arrears.contracts.collection import OutcomeInput, StatusView
from arrears.db.models import CollectorTask
from arrears.demo.legal import COURT_FEE, LEGAL_STRATEGY, print_legal_summary, refusals
from arrears.domain.legal import LegalEvent, LegalState
from arrears.config.strategies import load_strategy
from arrears.client.operations import log_contact_outcome, update_legal_case
from tests.workflow.helpers import Scenario, account_row, days
from tests.workflow.test_lifecycle import _today

TZ = "Asia/Shanghai"
STRATEGY = load_strategy(LEGAL_STRATEGY)


async def _status(env, handle) -> StatusView:
    return (await handle.query("status", result_type=StatusView)).at(await env.get_current_time())


async def _reach(env, sc, account: str) -> int:
    """The collector reaches the cardholder on the account's oldest open call."""
    with sc.sessions() as s:
        task = s.scalars(select(CollectorTask).where(
            CollectorTask.account_id == account, CollectorTask.kind == "call", CollectorTask.status == "open",
        ).order_by(CollectorTask.id)).first()
    assert task is not None, f"no open call for {account}"
    await log_contact_outcome(env.client, account, OutcomeInput(
        task_id=task.id, outcome="right_party_contact", duration_seconds=300, collector_id="c-li"))
    return task.dpd


async def test_the_large_balance_reaches_a_filed_case_and_the_small_one_is_refused_by_reason(time_env, migrated_sqlite):
    sc = Scenario(time_env.client, migrated_sqlite)
    due = await _today(time_env, TZ) - timedelta(days=1)
    large = account_row("LEGAL1", due, segment="high", overdue="6800.00", balance="68000.00")
    small = account_row("LEGAL2", due, segment="high", overdue="800.00", balance="8000.00")
    async with sc.worker():
        handles = [await sc.start(row, STRATEGY, now=await time_env.get_current_time()) for row in (large, small)]
        await sc.wait_for_task(time_env, "LEGAL1", "call")
        assert await _reach(time_env, sc, "LEGAL1") == 2  # the early call
        await time_env.sleep(days(32))  # DPD ~34: the first mid-stage call (DPD 33) is open
        assert await _reach(time_env, sc, "LEGAL1") == 33
        await time_env.sleep(days(88))  # DPD ~122: the legal step ran at DPD 120
        status = await _status(time_env, handles[0])
        assert status.legal is not None and status.legal.status == "refused", status.legal
        assert any(r.startswith("unpaid more than 3 months after the collection of") and "not before" in r
                   for r in status.legal.reasons), status.legal.reasons
        await time_env.sleep(days(8))  # past three months after the second collection: the recheck refers
        status = await _status(time_env, handles[0])
        assert status.legal.status == "referred" and status.legal.case_id is not None, status.legal
        assert 124 <= status.dpd <= 131
        today = await _today(time_env, TZ)
        filed = await update_legal_case(time_env.client, "LEGAL1", LegalEvent(
            event_id="filed", on=today, by="legal-team", new_state=LegalState.FILED,
            cost=COURT_FEE))
        assert filed.state == LegalState.FILED and filed.recoverable_costs == COURT_FEE

        refused = await refusals(time_env.client, sc.sessions, STRATEGY.legal.criteria,
                                 now=await time_env.get_current_time())
        assert [r.account_id for r in refused] == ["LEGAL2"]
        console = Console(width=80, record=True, file=open("/dev/null", "w"))
        print_legal_summary(console, sc.sessions, refused, STRATEGY.legal.criteria)
        text = console.export_text()
        for h in handles:
            await h.execute_update("close", {"reason": "test done", "operator_id": "pytest"})
    flat = " ".join(text.split())
    assert "legal cases referred: 1 (criteria cn-malicious-overdraft)" in flat
    case_row = next(line for line in text.splitlines() if "LEGAL1" in line)
    assert "filed" in case_row and "68000.00 CNY" in case_row and f"{COURT_FEE} CNY" in case_row
    assert "legal step refused: 1 account(s)" in flat
    assert "│ principal under 50000 CNY │ 1 │ not by waiting │" in flat
    # Reached today and 30 days later, then more than three months unpaid: about 4 months from now.
    met_from = re.search(r"│ fewer than 2 effective collections │ 1 │ (\d{4}-\d\d-\d\d) \(LEGAL2\) │", flat)
    assert met_from, text
    assert 120 <= (date.fromisoformat(met_from.group(1)) - today).days <= 125
    assert "none of the 1 running could be referred by waiting: the principal must be 50000 CNY or more" in flat
    assert Decimal(filed.costs) == COURT_FEE
