"""Insight end to end on the real Temporal dev server.

Two collectors of known, different behaviour work real episodes through the workflow's own updates:
c-good reaches every customer, takes a promise and the customer pays it; c-poor's calls go unanswered
and draw a complaint. The scorecard ranks them the expected way, with targets and bands as configured.
Then an import with a champion/challenger strategy records each episode's arm and sets ExperimentArm."""

import asyncio
import uuid
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from arrears.contracts.collection import OutcomeInput, PromiseInput
from arrears.db.models import CollectorTask, ExperimentAssignment, PromiseToPay
from arrears.desk.assign import reassign_task
from arrears.desk.roster import import_roster
from arrears.config.strategies import load_strategy, parse_strategy
from arrears.intake.importer import import_file
from arrears.insight import feedback
from arrears.insight.scorecard import load_scorecard
from arrears.insight.scorecard_report import scorecard_report
from arrears.client.operations import log_contact_outcome, promise_to_pay, record_payment
from arrears.intake.sample import generate_accounts, write_csv
from arrears.runtime.search_attributes import EXPERIMENT_ARM
from arrears import PROJECT_ROOT
from tests.workflow.helpers import Scenario, account_row

ROSTER = (
    "collector_id,name,team,role,languages,regions,daily_capacity\n"
    "c-good,Good,east,collector,zh-CN;en,,50\n"
    "c-poor,Poor,east,collector,zh-CN;en,,50\n"
    "s1,Sup,east,supervisor,zh-CN;en,,5\n"
)
ZONES = ["Asia/Shanghai", "Europe/London", "America/New_York", "America/Los_Angeles"]


def _midday_zone(now: datetime) -> str:
    """A zone where it is now between 09:00 and 17:59: calls are allowed, and no day or month ends
    during the test, whatever the hour it runs."""
    return next(z for z in ZONES if 9 <= now.astimezone(ZoneInfo(z)).hour <= 17)


def _strategy(call_at: time):
    return parse_strategy({"name": "insight-e2e", "steps": [
        {"id": "e2e-call", "dpd": 3, "action": "call", "at": call_at.strftime("%H:%M")},
        {"id": "charge-off", "dpd": 180, "action": "charge_off"},
    ]})


async def _task(sc: Scenario, account_id: str, timeout: float = 240) -> CollectorTask:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with sc.sessions() as s:
            task = s.scalar(select(CollectorTask).where(CollectorTask.account_id == account_id, CollectorTask.kind == "call"))
        if task is not None:
            return task
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no call task for {account_id} within {timeout} s")
        await asyncio.sleep(0.5)


def _promise_status(sc: Scenario, promise_id: str) -> str | None:
    with sc.sessions() as s:
        return s.scalar(select(PromiseToPay.status).where(PromiseToPay.promise_id == promise_id))


async def _until(check, timeout: float = 60):
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.3)


async def test_two_collectors_of_known_behaviour_are_ranked_the_expected_way(dev_env, migrated_sqlite, tmp_path):
    sc = Scenario(dev_env.client, migrated_sqlite)
    now = datetime.now(timezone.utc)
    tz = _midday_zone(now)
    local = now.astimezone(ZoneInfo(tz))
    # The call step fires 30 to 90 seconds from now, at DPD 3 in the account's zone.
    call_at = (local + timedelta(seconds=90)).time().replace(second=0, microsecond=0)
    strategy = _strategy(call_at)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    import_roster(sc.sessions, roster, now)
    tag = uuid.uuid4().hex[:6].upper()
    plan = {f"G{tag}{i}": "c-good" for i in range(3)} | {f"P{tag}{i}": "c-poor" for i in range(3)}
    async with sc.worker():
        for account_id in plan:
            await sc.start(account_row(account_id, local.date() - timedelta(days=3), tz=tz, overdue="500.00",
                                       language="en" if "America" in tz or "Europe" in tz else "zh-CN"),
                           strategy=strategy, now=now)
        for account_id, who in plan.items():
            task = await _task(sc, account_id)
            if task.assigned_to != who:  # the desk balances load; the supervisor gives each its collector
                reassign_task(sc.sessions, task.id, who, "s1", "test: known collector per account", datetime.now(timezone.utc))
            if who == "c-good":
                promised = local.date() + timedelta(days=3)
                await promise_to_pay(dev_env.client, account_id, PromiseInput(
                    promise_id=f"PTP-{account_id}", amount=Decimal("300.00"), promised_date=promised, collector_id=who))
                await log_contact_outcome(dev_env.client, account_id, OutcomeInput(
                    task_id=task.id, outcome="promise_made", duration_seconds=240, collector_id=who))
                # The promised 300 (kept at once), then the rest, which cures the episode.
                kept = await record_payment(dev_env.client, account_id, f"PAY-{account_id}", Decimal("300.00"))
                assert kept.accepted and kept.outcome is None
                await _until(lambda: _promise_status(sc, f"PTP-{account_id}") == "kept")
                rest = await record_payment(dev_env.client, account_id, f"PAY2-{account_id}", Decimal("200.00"))
                assert rest.accepted and rest.outcome is not None  # cured
            else:
                await log_contact_outcome(dev_env.client, account_id, OutcomeInput(
                    task_id=task.id, outcome="no_answer", collector_id=who))


    # A supervisor reviews one call of each; a customer of c-poor complains about the calls.
    card = load_scorecard(PROJECT_ROOT / "scorecards" / "default.toml")
    card = card.model_copy(update={"timezone": tz, "targets": card.targets.model_copy(update={
        "collector_default": Decimal("1000"), "collectors": (), "teams": ()})})
    with sc.sessions() as s:
        tasks = {t.account_id: t.id for t in s.scalars(select(CollectorTask))}
    good_call, poor_call = tasks[f"G{tag}0"], tasks[f"P{tag}0"]
    feedback.record_review(sc.sessions, card.rubric, good_call, "s1",
                           {"communication": 5, "disclosures": 5, "problem_solving": 5, "courtesy": 5}, "", now)
    feedback.record_review(sc.sessions, card.rubric, poor_call, "s1",
                           {"communication": 2, "disclosures": 3, "problem_solving": 1, "courtesy": 3}, "", now)
    feedback.record_complaint(sc.sessions, card.complaints, account_id=f"P{tag}1", complaint_id="K1", channel="call",
                              category="contact_hours", recorded_by="s1", received_at=datetime.now(timezone.utc),
                              now=datetime.now(timezone.utc), collector_id="c-poor")

    with sc.sessions() as s:
        report = scorecard_report(s, card, f"{local:%Y-%m}")
    rows = {r["collector"]: r for r in report.table("collectors").records()}
    good, poor = rows["c-good"], rows["c-poor"]
    assert (good["rank"], poor["rank"]) == (1, 2)
    assert good["score"] > poor["score"]
    # c-good: three conversations, three promises kept, 1,500 recovered against a 1,000 target.
    assert (good["contact_rate"], good["promise_kept_rate"], good["recovered"]) == (Decimal(1), Decimal(1), Decimal("1500.0000"))
    assert good["recovery_rate"] == Decimal(1) and good["quality_score"] == Decimal("100.00")
    assert (good["target"], good["attainment"]) == (Decimal("1000"), Decimal("1.5000"))
    # c-poor: nobody reached, nothing recovered, a complaint: attainment 0 and the bottom band.
    assert (poor["contact_rate"], poor["recovered"], poor["attainment"]) == (Decimal(0), Decimal(0), Decimal(0))
    assert poor["complaints_per_1000"] == Decimal("333.3333")
    # Bands as configured: 150 % attainment with a score of at least 75 is A; 0 % is D.
    assert good["score"] >= 75 and (good["band"], poor["band"]) == ("A", "D")
    bands = {r["band"]: r["people"] for r in report.table("bands").records()}
    assert bands == {"A": 1, "B": 0, "C": 0, "D": 1}
    assert "attribution: the agency holding the account" in report.subtitle[1]


async def test_an_experiment_import_records_arms_and_sets_the_search_attribute(dev_env, migrated_sqlite, tmp_path):
    sc = Scenario(dev_env.client, migrated_sqlite)
    strategy = load_strategy(Path(__file__).parents[1] / "insight" / "strategies" / "experiment.toml")
    prefix = f"EX{uuid.uuid4().hex[:6].upper()}"
    rows = generate_accounts(12, datetime.now(timezone.utc).date(), dpds=[4], prefix=prefix)
    file = tmp_path / "accounts.csv"
    write_csv(file, rows)
    summary = await import_file(dev_env.client, sc.engine, file, task_queue=sc.settings.task_queue, strategy=strategy)
    assert len(summary.started) == 12 and not summary.failed
    with sc.sessions() as s:
        arms = {a.account_id: a for a in s.scalars(select(ExperimentAssignment))}
    assert set(arms) == {r["account_id"] for r in rows}
    try:
        for account_id, assignment in arms.items():
            handle = dev_env.client.get_workflow_handle(f"arrears-{account_id}")
            described = await handle.describe()
            assert described.typed_search_attributes.get(EXPERIMENT_ARM) == f"early-call-2027:{assignment.arm}"
            # The episode runs its arm's strategy (no experiment section in the workflow's input).
            expected = strategy.experiment.arm(assignment.arm).loaded
            assert assignment.strategy_hash == expected.content_hash()
        champions = [a for a, x in arms.items() if x.arm == "champion"]
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            listed = [wf.id async for wf in dev_env.client.list_workflows(
                f'WorkflowId STARTS_WITH "arrears-{prefix}" AND ExperimentArm="early-call-2027:champion"')]
            if len(listed) == len(champions) or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.3)
        assert sorted(listed) == sorted(f"arrears-{a}" for a in champions)
        # A second import of the same file starts nothing and keeps every arm.
        again = await import_file(dev_env.client, sc.engine, file, task_queue=sc.settings.task_queue, strategy=strategy)
        assert len(again.already_running) == 12
        with sc.sessions() as s:
            assert {a.account_id: a.arm for a in s.scalars(select(ExperimentAssignment))} == {k: v.arm for k, v in arms.items()}
    finally:
        for account_id in arms:
            try:
                await dev_env.client.get_workflow_handle(f"arrears-{account_id}").terminate("test over")
            except Exception:  # noqa: BLE001 - already ended
                pass
