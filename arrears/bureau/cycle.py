"""The monthly credit-bureau cycle: decide every account's status, write the file, record the reports.

``run_cycle`` reads the system of record as it stood at the end of ``as_of``
(each account's own local day): the latest episode started by then, its
payments, its charge-off, its prior notice, and the account's report for the
previous period. The decisions are pure (arrears.domain.bureau); this module
only gathers and records.

A period is reported once. The first run records one ``bureau_reports`` row
per account (all in one transaction) and writes the file from those rows; any
later run for the same period writes the same file again from the same rows,
byte for byte, and adds nothing: what was sent to the bureau stays what the
bank says it sent. A change after the run is reported in the next period.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from arrears.audit.statement import statement
from arrears.contracts.housekeeping import BureauCycleSummary
from arrears.db.models import (
    Account,
    BureauNotice,
    BureauReport,
    CollectorContact,
    CollectorTask,
    Consent,
    ContactOutcomeRecord,
    EffectiveCollection,
    Episode,
    LedgerPosting,
    Payment,
    StageEvent,
)
from arrears.domain.bureau import (
    BureauPolicy,
    BureauStatus,
    NoticeSent,
    ReportRow,
    Returned,
    decide_report,
    effective_notice,
    file_name,
    period_end,
    render_file,
    report_row,
    status_for,
)
from arrears.domain.delinquency import local_date
from arrears.domain.policy import CONVERSATION_OUTCOMES
from arrears.domain.pricing import Pricing

DEFAULT_INSTITUTION = "ARREARS"


@dataclass(frozen=True)
class CycleResult:
    period: str
    path: Path
    accounts: int
    withheld: int
    corrections: int
    created: bool  # False: the period had already been run; the file was written again from its record


def _end_of_day(day: date, timezone: str) -> datetime:
    """The first instant after ``day`` in the account's zone: everything before it counts."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(timezone))


def _row_of(record: BureauReport) -> ReportRow:
    return ReportRow(
        account_id=record.account_id,
        status=BureauStatus(record.reported_status),
        dpd=record.reported_dpd,
        bucket=record.bucket,
        overdue=record.reported_overdue,
        balance=record.total_balance,
        currency=record.currency,
        as_of=record.as_of,
        withheld=record.withheld,
        correction=record.correction,
    )


# Accounts read and decided per round trip: a handful of IN queries per chunk instead of a few
# queries per account, and the session emptied after each (the period stays one transaction).
CHUNK = 500


@dataclass
class _Chunk:
    """What the record says of a chunk of accounts, read with one query per table."""

    episodes: dict[str, list[Episode]] = field(default_factory=dict)
    charged_off: dict[str, list[datetime]] = field(default_factory=dict)
    payments: dict[str, list[Payment]] = field(default_factory=dict)
    ledgered: set[str] = field(default_factory=set)
    notices: dict[str, list[BureauNotice]] = field(default_factory=dict)
    returned: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    spoke: dict[str, list[datetime]] = field(default_factory=dict)  # episode -> conversations about the debt
    previous: dict[str, tuple[str, str]] = field(default_factory=dict)  # account -> (period, reported status)


def _read_chunk(session: Session, accounts: list[Account], period: str, priced: bool) -> _Chunk:
    ids = [a.account_id for a in accounts]
    chunk = _Chunk()
    for e in session.scalars(select(Episode).where(Episode.account_id.in_(ids))):
        chunk.episodes.setdefault(e.account_id, []).append(e)
    episode_ids = [e.episode_id for eps in chunk.episodes.values() for e in eps]
    for episode_id, at in session.execute(
        select(StageEvent.episode_id, StageEvent.occurred_at).where(
            StageEvent.episode_id.in_(episode_ids), StageEvent.stage == "charged_off"
        )
    ):
        chunk.charged_off.setdefault(episode_id, []).append(at)
    for pay in session.scalars(select(Payment).where(Payment.episode_id.in_(episode_ids))):
        chunk.payments.setdefault(pay.episode_id, []).append(pay)
    if priced:
        chunk.ledgered = set(
            session.scalars(
                select(LedgerPosting.episode_id).where(LedgerPosting.episode_id.in_(episode_ids)).distinct()
            )
        )
    for n in session.scalars(select(BureauNotice).where(BureauNotice.episode_id.in_(episode_ids))):
        chunk.notices.setdefault(n.episode_id, []).append(n)
    for account_id, address, at in session.execute(
        select(Consent.account_id, Consent.address, Consent.recorded_at).where(
            Consent.account_id.in_(ids), Consent.channel == "letter", Consent.status == "invalid"
        )
    ):
        chunk.returned.setdefault(account_id, []).append((address, at))
    for episode_id, kind, outcome, recorded_at, dialled_at in session.execute(
        select(
            ContactOutcomeRecord.episode_id,
            CollectorTask.kind,
            ContactOutcomeRecord.outcome,
            ContactOutcomeRecord.recorded_at,
            CollectorContact.started_at,
        )
        .join(CollectorTask, CollectorTask.id == ContactOutcomeRecord.task_id)
        .outerjoin(CollectorContact, CollectorContact.task_id == ContactOutcomeRecord.task_id)
        .where(ContactOutcomeRecord.episode_id.in_(episode_ids))
    ):
        if kind == "call" and outcome in CONVERSATION_OUTCOMES:
            chunk.spoke.setdefault(episode_id, []).append(dialled_at or recorded_at)
    for episode_id, at in session.execute(
        select(EffectiveCollection.episode_id, EffectiveCollection.occurred_at).where(
            EffectiveCollection.episode_id.in_(episode_ids), EffectiveCollection.kind == "visit_met"
        )
    ):
        chunk.spoke.setdefault(episode_id, []).append(at)
    for account_id, earlier, reported in session.execute(
        select(BureauReport.account_id, BureauReport.period, BureauReport.reported_status).where(
            BureauReport.account_id.in_(ids), BureauReport.period < period
        )
    ):
        if account_id not in chunk.previous or earlier > chunk.previous[account_id][0]:
            chunk.previous[account_id] = (earlier, reported)
    return chunk


def _decide(
    session: Session,
    account: Account,
    chunk: _Chunk,
    period: str,
    as_of: date,
    policy: BureauPolicy,
    name: str,
    now: datetime,
    pricing: Pricing | None = None,
) -> BureauReport | None:
    """The account's report for the period, from the record as it stood at the end of ``as_of`` in its zone."""
    cutoff = _end_of_day(as_of, account.timezone)
    started = [e for e in chunk.episodes.get(account.account_id, []) if e.started_at < cutoff]
    if not started:
        return None
    episode = max(started, key=lambda e: (e.started_at, e.episode_id))  # the latest started by then
    ended = episode.outcome is not None and episode.closed_at is not None and episode.closed_at < cutoff
    charged_off = any(at < cutoff for at in chunk.charged_off.get(episode.episode_id, []))
    if ended:
        outcome, dpd = episode.outcome, episode.closing_dpd or 0
        # An ended episode records its closing amounts; one closed without them reports what it opened with.
        overdue = episode.closing_overdue if episode.closing_overdue is not None else episode.opening_overdue
        balance = episode.closing_balance if episode.closing_balance is not None else episode.opening_balance
    else:
        outcome, dpd = ("charged_off" if charged_off else None), (as_of - episode.due_date).days
        paid = [p for p in chunk.payments.get(episode.episode_id, []) if p.paid_at < cutoff]
        last = max(paid, key=lambda p: (p.paid_at, p.id), default=None)
        overdue, balance = (
            (last.overdue_after, last.total_after) if last else (episode.opening_overdue, episode.opening_balance)
        )
        if pricing is not None and as_of >= episode.due_date and episode.episode_id in chunk.ledgered:
            # A priced episode: the ledger's overdue, balance and DPD (re-anchored to the oldest unpaid cycle).
            ledger = statement(session, account.account_id, as_of, pricing, episode.episode_id).ledger
            overdue = sum((c.unpaid for c in ledger.cycles if c.due_date <= as_of), Decimal(0))
            balance, dpd = ledger.balances.total, ledger.days_past_due
    status = status_for(outcome=outcome, dpd=dpd, overdue=overdue, balance=balance)
    notices = [
        NoticeSent(sent_on=n.sent_on, recipient=n.recipient, result=n.result)
        for n in chunk.notices.get(episode.episode_id, [])
        if n.sent_at < cutoff
    ]
    returned = [
        Returned(address, local_date(at, account.timezone))
        for address, at in chunk.returned.get(account.account_id, [])
        if at < cutoff
    ]
    notice_on, notice_problem = effective_notice(notices, returned, policy.notice_days)
    spoke = [local_date(at, account.timezone) for at in chunk.spoke.get(episode.episode_id, []) if at < cutoff]
    previous = chunk.previous.get(account.account_id)
    decision = decide_report(
        status,
        dpd,
        notice_sent_on=notice_on,
        notice_problem=notice_problem,
        previous_reported=BureauStatus(previous[1]) if previous else None,
        as_of=as_of,
        policy=policy,
        spoke_on=min(spoke, default=None),
    )
    row = report_row(
        account.account_id, decision, dpd=dpd, overdue=overdue, balance=balance, currency=episode.currency, as_of=as_of
    )
    return BureauReport(
        account_id=account.account_id,
        period=period,
        episode_id=episode.episode_id,
        as_of=as_of,
        status=status.value,
        reported_status=row.status.value,
        dpd=dpd,
        reported_dpd=row.dpd,
        bucket=row.bucket,
        overdue_amount=overdue,
        reported_overdue=row.overdue,
        total_balance=balance,
        currency=episode.currency,
        withheld=decision.withheld,
        correction=decision.correction,
        reason=decision.reason,
        file_name=name,
        created_at=now,
    )


def _account_chunks(session: Session) -> Iterator[list[Account]]:
    """Every account, CHUNK at a time, in account order (keyset pages: no OFFSET scans)."""
    after = ""
    while True:
        accounts = list(
            session.scalars(select(Account).where(Account.account_id > after).order_by(Account.account_id).limit(CHUNK))
        )
        if not accounts:
            return
        yield accounts
        after = accounts[-1].account_id


@dataclass(frozen=True)
class _Recorded:
    """A period's record as the file carries it, read in pages (ORM rows for a whole portfolio do not fit)."""

    name: str
    as_of: date
    rows: list[ReportRow]


def _recorded(sessions: sessionmaker[Session], period: str) -> _Recorded | None:
    with sessions() as session:
        first = session.execute(
            select(BureauReport.file_name, BureauReport.as_of).where(BureauReport.period == period).limit(1)
        ).first()
        if first is None:
            return None
        rows = [
            _row_of(r)
            for r in session.scalars(
                select(BureauReport)
                .where(BureauReport.period == period)
                .order_by(BureauReport.account_id)
                .execution_options(yield_per=CHUNK)
            )
        ]
        return _Recorded(name=first.file_name, as_of=first.as_of, rows=rows)


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: the bureau never picks up half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8", newline="\n")
    os.replace(partial, path)


def run_cycle(
    sessions: sessionmaker[Session],
    period: str,
    out_dir: Path,
    policy: BureauPolicy,
    *,
    now: datetime,
    as_of: date | None = None,
    institution: str = DEFAULT_INSTITUTION,
    pricing: Pricing | None = None,
) -> CycleResult:
    """Report ``period`` (YYYY-MM) as of ``as_of`` (default: the month's last day); see the module docstring."""
    as_of = as_of or period_end(period)
    if as_of > period_end(period) or as_of.strftime("%Y-%m") != period:
        raise ValueError(f"as_of {as_of} is not in the period {period}")
    created = False
    recorded = _recorded(sessions, period)
    if recorded is None:
        name = file_name(institution, period)
        try:
            with sessions.begin() as session:
                for accounts in _account_chunks(session):
                    chunk = _read_chunk(session, accounts, period, priced=pricing is not None)
                    for account in accounts:
                        record = _decide(session, account, chunk, period, as_of, policy, name, now, pricing)
                        if record is not None:
                            session.add(record)
                    session.flush()
                    session.expunge_all()  # written, and no longer needed: memory stays one chunk's worth
            created = True
        except IntegrityError:
            pass  # another run of the same period committed first: write its record
        recorded = _recorded(sessions, period)
    if recorded is None:  # nobody to report: an empty file, and nothing recorded
        recorded = _Recorded(name=file_name(institution, period), as_of=as_of, rows=[])
    header_institution = recorded.name.rsplit("_", 1)[0]
    path = Path(out_dir) / recorded.name
    rows = recorded.rows
    _write(path, render_file(header_institution, period, recorded.as_of, rows))
    return CycleResult(
        period=period,
        path=path,
        accounts=len(rows),
        withheld=sum(r.withheld for r in rows),
        corrections=sum(r.correction for r in rows),
        created=created and bool(rows),
    )


def summary_of(result: CycleResult) -> BureauCycleSummary:
    return BureauCycleSummary(
        period=result.period,
        accounts=result.accounts,
        withheld=result.withheld,
        corrections=result.corrections,
        file=str(result.path),
        created=result.created,
    )


def configured(strategy_path: Path) -> tuple[BureauPolicy, Pricing | None]:
    """The prior-notice policy and pricing of the configured strategy: the ones its episodes send
    notices and post ledgers by. A strategy file that does not load raises (StrategyError)."""
    from arrears.config.strategies import load_strategy

    strategy = load_strategy(strategy_path)
    return strategy.bureau, strategy.pricing


def reports_for(sessions: sessionmaker[Session], account_id: str) -> list[BureauReport]:
    with sessions() as session:
        return list(
            session.scalars(
                select(BureauReport).where(BureauReport.account_id == account_id).order_by(BureauReport.period)
            )
        )
