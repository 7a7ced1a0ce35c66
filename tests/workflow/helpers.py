"""Helpers for running AccountCollection against a real (test or dev) server."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.worker import Worker

from activities.collection import CollectionActivities
from arrears import PROJECT_ROOT
from arrears.channels.render import Renderer
from arrears.contracts.collection import CloseInput, EpisodeInput, EpisodeResult
from arrears.contracts.names import WORKFLOW_ID_PREFIX, workflow_id_for
from arrears.contracts.names import RECOVERY_ID_PREFIX
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.models import AccountAction, BureauNotice, CardRestriction, CollectorTask, ContactAttempt
from arrears.domain.account import AccountRow
from arrears.domain.delinquency import local_date
from arrears.domain.strategy import Segment, Strategy
from arrears.config.strategies import load_strategy
from arrears.intake.importer import episode_input, initial_search_attributes, upsert_accounts
from arrears.runtime.worker import build_worker
from arrears.config.settings import load_settings

# The production default strategy, with its pricing.
PRICED = load_strategy(PROJECT_ROOT / "strategies" / "default.toml")
# The same ladder with the imported balance standing still: tests of the ladder, promises,
# plans, agencies and holds reason about round amounts; pricing has its own tests.
DEFAULT = PRICED.model_copy(update={"pricing": None})


def account_row(
    account_id: str, due_date: date, segment: str = "medium", tz: str = "Asia/Shanghai", language: str = "zh-CN",
    overdue: str = "1000.00", balance: str = "5000.00", currency: str = "CNY",
) -> AccountRow:
    return AccountRow(
        account_id=account_id, customer_name="测试 客户" if language == "zh-CN" else "Test Customer",
        phone=_phone_for(tz), email=f"{account_id.lower()}@example.com",
        billing_address="上海市浦东新区世纪大道1号", language=language, timezone=tz,
        risk_segment=Segment(segment), currency=currency, overdue_amount=Decimal(overdue),
        total_balance=Decimal(balance), due_date=due_date,
    )


def _phone_for(tz: str) -> str:
    """A number from the account's own zone: a mismatch would make the location ambiguous
    and narrow the contact window to the hours both zones allow (tested on its own)."""
    if tz == "America/New_York":
        return "+1 212 555 0100"
    if tz == "America/Los_Angeles":
        return "+1 415 555 0100"
    if tz.startswith("America/") or tz == "UTC":
        return "+1 000 555 0100"  # no known area: the account's zone stands alone
    if tz == "Europe/London":
        return "+44 20 7946 0100"
    return "+86 138 0000 0000"


async def server_today(client_time: datetime, tz: str) -> date:
    return local_date(client_time, tz)


class Scenario:
    """A worker on a unique task queue, with its own migrated SQLite database."""

    def __init__(self, client: Client, database_url: str, activities: CollectionActivities | None = None) -> None:
        self.client = client
        self.settings = load_settings(task_queue=f"tq-{uuid.uuid4()}", database_url=database_url)
        self.engine = make_engine(database_url)
        self.sessions = make_sessionmaker(self.engine)
        self.activities = activities or CollectionActivities(self.sessions, Renderer(PROJECT_ROOT / "templates"))
        self.started: list[WorkflowHandle] = []

    @asynccontextmanager
    async def worker(self, **kwargs) -> AsyncIterator[Worker]:
        """A running worker; on the way out, episodes the test left running are closed.

        A workflow left running holds the shared time-skipping server's clock and
        every later test would time out: a failing assertion must not cascade.
        """
        async with build_worker(self.client, self.settings, self.activities) as worker:
            try:
                yield worker
            finally:
                for handle in self.started:
                    await _close_if_running(handle)
                # A charged-off episode leaves its recovery running; with no worker on this queue its
                # activities would wait for ever and stop the shared server's clock.
                for handle in list(self.started):
                    if handle.id.startswith(WORKFLOW_ID_PREFIX) and not handle.id.startswith(RECOVERY_ID_PREFIX):
                        await _terminate_if_running(self.client.get_workflow_handle(
                            RECOVERY_ID_PREFIX + handle.id.removeprefix(WORKFLOW_ID_PREFIX)))

    async def wait_for_task(self, env, account_id: str, kind: str, limit: timedelta = timedelta(days=3)) -> CollectorTask:
        """Skip time in two-hour steps until the account has a task of this kind.

        Tests start at whatever time of day the shared server's clock has reached,
        so a fixed sleep may stop just short of a step's local time.
        """
        waited = timedelta(0)
        while waited <= limit:
            with self.sessions() as s:
                task = s.scalars(
                    select(CollectorTask).where(CollectorTask.account_id == account_id, CollectorTask.kind == kind)
                    .order_by(CollectorTask.id)
                ).first()
            if task is not None:
                return task
            await env.sleep(timedelta(hours=2))
            waited += timedelta(hours=2)
        raise AssertionError(f"no {kind} task for {account_id} within {limit}")

    async def start(
        self, row: AccountRow, strategy: Strategy = DEFAULT, day_seconds: float = 86_400, now: datetime | None = None,
        **overrides,
    ) -> WorkflowHandle:
        """Start the account's episode; ``overrides`` set other EpisodeInput fields (bounds, thresholds)."""
        upsert_accounts(self.engine, [row], datetime.now(timezone.utc))
        inp: EpisodeInput = episode_input(row, strategy, strategy.content_hash(), day_seconds)
        if overrides:
            inp = inp.model_copy(update=overrides)
        handle = await self.client.start_workflow(
            "AccountCollection", inp, id=workflow_id_for(row.account_id), task_queue=self.settings.task_queue,
            search_attributes=initial_search_attributes(row, now or datetime.now(timezone.utc)),
            result_type=EpisodeResult,
        )
        self.started.append(handle)
        return handle

    async def settle(self, handle: WorkflowHandle, timeout: float = 30) -> None:
        """Wait, in real time, until the episode has run its first workflow task and every activity
        it scheduled has finished. The time-skipping clock stays put meanwhile (it only moves while
        the test sleeps or awaits a result), so what the opening catch-up does lands before the test
        places a hold or a plan, not at a moment that depends on the machine's load."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            raw = (await handle.describe()).raw_description
            started = raw.workflow_execution_info.history_length > 3
            if started and not raw.pending_activities and not raw.HasField("pending_workflow_task"):
                return
            if loop.time() > deadline:
                raise AssertionError(f"{handle.id} did not settle within {timeout} s: {len(raw.pending_activities)} "
                                     "activities pending")
            await asyncio.sleep(0.05)

    def actions(self, account_id: str) -> list[tuple[datetime, str, int, str]]:
        """Every executed step as (collection time, action, DPD, step key), in time order."""
        with self.sessions() as s:
            rows: list[tuple[datetime, str, int, str]] = []
            for c in s.scalars(select(ContactAttempt).where(ContactAttempt.account_id == account_id)):
                rows.append((c.attempted_at, c.channel, c.dpd, c.idempotency_key.split(":", 1)[1]))
            for t in s.scalars(select(CollectorTask).where(CollectorTask.account_id == account_id)):
                rows.append((t.due_at, t.kind, t.dpd, t.idempotency_key.split(":", 1)[1]))
            for a in s.scalars(select(AccountAction).where(AccountAction.account_id == account_id)):
                rows.append((a.executed_at, a.action, a.dpd, a.idempotency_key.split(":", 1)[1]))
            # Episodes with account economics: each restriction level and the bureau's prior notice.
            for r in s.scalars(select(CardRestriction).where(CardRestriction.account_id == account_id)):
                rows.append((r.applied_at, "restrict_card", r.dpd, f"{r.step_id}@{r.dpd}:{r.level}"))
            for n in s.scalars(select(BureauNotice).where(BureauNotice.account_id == account_id)):
                rows.append((n.sent_at, "bureau_report", n.dpd, f"{n.step_id}@{n.dpd}"))
        return sorted((_aware(r[0]), *r[1:]) for r in rows)


async def _terminate_if_running(handle: WorkflowHandle) -> None:
    try:
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate("test ended")
    except Exception:  # noqa: BLE001 - none was started, or it has ended
        pass


async def _close_if_running(handle: WorkflowHandle) -> None:
    try:
        described = await handle.describe()
        if described.status != WorkflowExecutionStatus.RUNNING:
            return
        await handle.execute_update("close", CloseInput(reason="test ended", operator_id="pytest"))
        await asyncio.wait_for(handle.result(), timeout=30)
    except Exception:  # noqa: BLE001 - best effort: the test's own failure is what matters
        pass


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def expected_ladder(strategy: Strategy, segment: str) -> list[tuple[int, str, str, str]]:
    """(DPD, local HH:MM, action, step id) expanded straight from the file's steps."""
    out = []
    for order, step in enumerate(strategy.steps):
        if segment not in {s.value for s in step.segments}:
            continue
        last = step.until_dpd if step.until_dpd is not None else step.dpd
        every = step.repeat_every_days or 1
        for dpd in range(step.dpd, last + 1, every):
            out.append((dpd, step.at.strftime("%H:%M"), order, step.action.value, step.id))
    return [(d, at, action, sid) for d, at, _, action, sid in sorted(out)]


def days(n: float) -> timedelta:
    return timedelta(days=n)
