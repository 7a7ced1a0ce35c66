"""What the console's pages show, read from the system of record (and the workflow's live status).

Nothing here decides anything: the worklist is `arrears desk worklist`'s (arrears.desk.worklist, with the
contact gate's answer per task), scope is the API's (arrears.api.access), the timeline is
arrears.audit.timeline's, the scorecard arrears.insight's. Personal data is masked unless the page was asked to
reveal it (a logged post)."""

import functools
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.api.access import Caller, require_account, task_visible
from arrears.audit.evidence_store import for_account as evidence_for
from arrears.audit.timeline import from_record, ordered
from arrears.client.clock import known_now
from arrears.db.models import (
    Account,
    Collector,
    CollectorTask,
    Episode,
    EvidenceFile,
    LedgerPosting,
    Payment,
    PromiseToPay,
)
from arrears.desk.worklist import WorklistEntry, worklist
from arrears.domain.access import sees_collector
from arrears.domain.desk import DESK_TASKS
from arrears.domain.holds import HoldType
from arrears.domain.outcome import ContactOutcome, DelinquencyReason
from arrears.domain.strategy import Role

# Hold reasons offered on the form: chosen, never typed, so that no free text about the customer
# travels into the workflow's history (the record keeps the details, the evidence store the documents).
HOLD_REASONS = (
    "customer disputes the amount owed",
    "customer reports financial hardship",
    "customer asked that contact stop",
    "customer reports fraud on the card",
    "customer complained about collection",
    "customer is represented by an attorney",
)


def new_key() -> str:
    """A form's idempotency key: the same form submitted twice carries the same key."""
    return secrets.token_hex(8)


# ---- masking ---------------------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name.replace(" ", "")) - 1)


def mask_phone(phone: str) -> str:
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    keep = set(digits[-4:]) | set(digits[:2])
    return "".join(ch if (i in keep or not ch.isdigit()) else "*" for i, ch in enumerate(phone))


def mask_email(email: str) -> str:
    if "@" not in email:
        return "*" * len(email)
    user, domain = email.split("@", 1)
    return (user[:1] + "***@" + domain) if user else "***@" + domain


def mask_address(address: str) -> str:
    return address[:3] + "…" if address else ""


# ---- worklist --------------------------------------------------------------------------------------------


@dataclass
class WorkRow:
    entry: WorklistEntry
    masked_name: str
    timezone: str
    collection_now: datetime
    sla_left: timedelta | None  # None: no SLA; negative: breached


def _sla_left(sla_due_at: datetime | None, now: datetime) -> timedelta | None:
    return None if sla_due_at is None else sla_due_at - now


def worklist_rows(
    session: Session, who: Caller, target: str, wall_now: datetime, kind: str | None, stage: str | None
) -> tuple[list[WorkRow], list[str]]:
    """(the rows after the filters, every stage on today's list before them)."""
    entries = worklist(session, target, wall_now, on_episode_clock=True)
    stages = sorted({e.stage for e in entries})
    zones = dict(
        session.execute(
            select(Account.account_id, Account.timezone).where(Account.account_id.in_({e.account_id for e in entries}))
        ).all()
    )
    rows = []
    for e in entries:
        if (kind and e.kind != kind) or (stage and e.stage != stage):
            continue
        now = known_now(session, e.account_id, wall_now)
        rows.append(
            WorkRow(e, mask_name(e.customer_name), zones.get(e.account_id, "UTC"), now, _sla_left(e.sla_due_at, now))
        )
    return rows, stages


def team_members(session: Session, who: Caller) -> list[Collector]:
    rows = session.scalars(select(Collector).where(Collector.active.is_(True)).order_by(Collector.collector_id)).all()
    return [c for c in rows if sees_collector(who.viewer, c.collector_id, c.team)]


# ---- team queue (supervisors) ------------------------------------------------------------------------------


@dataclass
class TeamRow:
    task: CollectorTask
    account_timezone: str
    collection_now: datetime
    sla_left: timedelta | None

    @property
    def breached(self) -> bool:
        return self.sla_left is not None and self.sla_left < timedelta(0)


def team_rows(session: Session, who: Caller, wall_now: datetime) -> list[TeamRow]:
    """The team's open calls and visits (a manager: every team's) the caller may see: the supervisor
    queue first, then by SLA."""
    tasks = session.scalars(
        select(CollectorTask).where(CollectorTask.status == "open", CollectorTask.kind.in_(DESK_TASKS))
    ).all()
    zones = dict(
        session.execute(
            select(Account.account_id, Account.timezone).where(Account.account_id.in_({t.account_id for t in tasks}))
        ).all()
    )
    rows = []
    for task in tasks:
        if not task_visible(session, who, task):
            continue
        now = known_now(session, task.account_id, wall_now)
        rows.append(TeamRow(task, zones.get(task.account_id, "UTC"), now, _sla_left(task.sla_due_at, now)))
    far = timedelta(days=10_000)
    return sorted(
        rows, key=lambda r: (r.task.queue != "supervisor", r.sla_left if r.sla_left is not None else far, r.task.id)
    )


# ---- the account ---------------------------------------------------------------------------------------------


@dataclass
class AccountPage:
    account: Account
    episode: Episode | None
    collection_now: datetime
    today: date
    tasks: list[CollectorTask]
    workable: list[CollectorTask]  # open tasks on the open episode the caller may act on
    promises: list[PromiseToPay]
    payments: list[Payment]
    timeline: list[Any]
    revealed: bool
    postings: list[LedgerPosting] = field(default_factory=list)  # the episode's ledger as posted (the statement)
    history_shown: bool = False  # the timeline includes the workflow histories (?history=1)
    history_problem: str = ""  # why the histories could not be read
    status: Any = None  # StatusView, when the workflow answered
    keys: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # form -> the refusal, shown beside that form
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # form -> what was entered
    evidence: list[EvidenceFile] = field(default_factory=list)  # the account's files in the evidence store
    discount_limit: Decimal | None = None  # the caller's role's settlement discount limit (configured strategy)

    @property
    def open(self) -> bool:
        return self.episode is not None and self.episode.outcome is None

    def shown(self, what: str) -> str:
        value = getattr(self.account, what) or ""
        if self.revealed:
            return value
        return {"customer_name": mask_name, "phone": mask_phone, "email": mask_email, "billing_address": mask_address}[
            what
        ](value)

    def scrub(self, text: str) -> str:
        """A record line (a contact's recipient and text, say) with the customer's details masked unless revealed."""
        if self.revealed or not text:
            return text
        for what in ("billing_address", "customer_name", "phone", "email"):
            value = (getattr(self.account, what) or "").strip()
            if len(value) >= 2:
                text = text.replace(value, self.shown(what))
        return text

    def value(self, form: str, name: str, default: Any = "") -> str:
        return self.values.get(form, {}).get(name, str(default) if default is not None else "")

    # Defaults offered on the forms, in the account's own days (its zone, its collection clock).
    def promise_date(self) -> date:
        return self.today + timedelta(days=3)

    def plan_rows(self, overdue: Decimal) -> list[tuple[date, Decimal]]:
        third = (overdue / 3).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        return [(self.today + timedelta(days=7 + 30 * i), third if i < 2 else overdue - 2 * third) for i in range(3)]

    def settlement_expiry(self) -> date:
        return self.today + timedelta(days=7)

    def callback_default(self) -> str:
        local = (self.collection_now + timedelta(hours=2)).astimezone(ZoneInfo(self.account.timezone))
        return local.strftime("%Y-%m-%dT%H:%M")

    @property
    def overdue(self) -> Decimal:
        if self.status is not None:
            return self.status.overdue_amount
        return next((t.overdue_amount for t in reversed(self.tasks) if t.overdue_amount is not None), Decimal(0))


def account_page(
    session: Session, who: Caller, account_id: str, wall_now: datetime, revealed: bool = False
) -> AccountPage:
    require_account(session, who, account_id)  # 404 unless in scope, exactly as for an unknown account
    account = session.get(Account, account_id)
    assert account is not None  # require_account answered 404 otherwise
    episode = session.scalar(
        select(Episode).where(Episode.account_id == account_id).order_by(Episode.started_at.desc()).limit(1)
    )
    now = known_now(session, account_id, wall_now)
    tasks = list(
        session.scalars(
            select(CollectorTask).where(CollectorTask.account_id == account_id).order_by(CollectorTask.due_at)
        )
    )
    workable = [
        t
        for t in tasks
        if episode is not None
        and episode.outcome is None
        and t.status == "open"
        and t.episode_id == episode.episode_id
        and t.kind in DESK_TASKS
        and task_visible(session, who, t)
    ]
    promises = list(
        session.scalars(
            select(PromiseToPay).where(PromiseToPay.account_id == account_id).order_by(PromiseToPay.made_at)
        )
    )
    payments = list(session.scalars(select(Payment).where(Payment.account_id == account_id).order_by(Payment.paid_at)))
    timeline = list(reversed(ordered(from_record(session, account_id))))
    postings = (
        []
        if episode is None
        else list(
            session.scalars(
                select(LedgerPosting)
                .where(LedgerPosting.episode_id == episode.episode_id)
                .order_by(LedgerPosting.posted_on, LedgerPosting.id)
            )
        )
    )
    return AccountPage(
        account=account,
        episode=episode,
        collection_now=now,
        today=now.astimezone(ZoneInfo(account.timezone)).date(),
        tasks=tasks,
        workable=workable,
        promises=promises,
        payments=payments,
        timeline=timeline,
        revealed=revealed,
        postings=postings,
        evidence=evidence_for(session, account_id),
        keys={name: new_key() for name in ("outcome", "promise", "plan", "hold", "callback", "settlement")},
    )


@functools.lru_cache(maxsize=8)
def _strategy_limits(path: str) -> dict[Role, Decimal]:
    from arrears.config.strategies import load_strategy

    return dict(load_strategy(path).settlements.max_discount_percent)


def discount_limit(strategy_path: Any, role: Role) -> Decimal | None:
    """The role's settlement discount limit in the configured strategy, shown as a hint beside the form; the
    episode's own strategy (in the workflow's validator) decides. None when the file cannot be read."""
    try:
        return _strategy_limits(str(strategy_path)).get(role, Decimal(0))
    except Exception:  # noqa: BLE001 - a hint only: the validator still answers
        return None


# ---- the workflow's half of the timeline (on request) ----------------------------------------------------


@dataclass
class Runs:
    """What the record knows of an account's workflow runs: the archived histories, and the episodes whose
    runs are still to be read from the server (arrears.audit.history_source.for_account, with its database part
    here so that it runs on a worker thread)."""

    archived: list[Any]
    known_runs: set[str]
    on_server: list[tuple[str, str | None]]  # (workflow id, first run id) of episodes not archived


def archived_runs(session: Session, account_id: str) -> Runs:
    from arrears.audit.archive import archived_rows, unpack

    rows = archived_rows(session, account_id=account_id)
    archived_episodes = {r.episode_id for r in rows}
    episodes = session.execute(
        select(Episode.episode_id, Episode.workflow_id, Episode.run_id)
        .where(Episode.account_id == account_id)
        .order_by(Episode.started_at)
    ).all()
    return Runs(
        [unpack(r) for r in rows],
        {r.run_id for r in rows},
        [(w, first) for e, w, first in episodes if e not in archived_episodes],
    )


def with_history(page: AccountPage, histories: list[Any]) -> None:
    """The timeline with the histories' updates, timers and runs beside the record, and the code behind each step."""
    from arrears.audit.timeline import from_history, with_code

    entries = list(page.timeline)
    for history in histories:
        entries += from_history(history)
    page.timeline = list(reversed(ordered(with_code(entries, histories))))
    page.history_shown = True


OUTCOMES = [o.value for o in ContactOutcome if o != ContactOutcome.CALLBACK_REQUESTED]
REASONS = [r.value for r in DelinquencyReason]
HOLD_TYPES = [h.value for h in HoldType]
SUPERVISING = {Role.SUPERVISOR, Role.MANAGER}
