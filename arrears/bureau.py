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
from decimal import Decimal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from arrears.contracts import BureauCycleSummary
from arrears.db.models import (
    Account,
    BureauNotice,
    BureauReport,
    Consent,
    Episode,
    LedgerPosting,
    Payment,
    StageEvent,
)
from arrears.domain.pricing import Pricing
from arrears.statement import statement
from arrears.domain.bureau import (
    BureauPolicy,
    BureauStatus,
    NoticeSent,
    ReportRow,
    decide_report,
    effective_notice,
    file_name,
    period_end,
    render_file,
    report_row,
    status_for,
)

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
        account_id=record.account_id, status=BureauStatus(record.reported_status), dpd=record.reported_dpd,
        bucket=record.bucket, overdue=record.reported_overdue, balance=record.total_balance,
        currency=record.currency, as_of=record.as_of, withheld=record.withheld, correction=record.correction,
    )


def _decide(session: Session, account: Account, period: str, as_of: date, policy: BureauPolicy,
            name: str, now: datetime, pricing: Pricing | None = None) -> BureauReport | None:
    cutoff = _end_of_day(as_of, account.timezone)
    episode = session.scalar(
        select(Episode).where(Episode.account_id == account.account_id, Episode.started_at < cutoff)
        .order_by(Episode.started_at.desc(), Episode.episode_id.desc()).limit(1)
    )
    if episode is None:
        return None
    ended = episode.outcome is not None and episode.closed_at is not None and episode.closed_at < cutoff
    charged_off = session.scalar(select(StageEvent.id).where(
        StageEvent.episode_id == episode.episode_id, StageEvent.stage == "charged_off", StageEvent.occurred_at < cutoff
    ).limit(1)) is not None
    if ended:
        outcome, dpd = episode.outcome, episode.closing_dpd or 0
        overdue, balance = episode.closing_overdue, episode.closing_balance
    else:
        outcome, dpd = ("charged_off" if charged_off else None), (as_of - episode.due_date).days
        last = session.scalar(
            select(Payment).where(Payment.episode_id == episode.episode_id, Payment.paid_at < cutoff)
            .order_by(Payment.paid_at.desc(), Payment.id.desc()).limit(1)
        )
        overdue, balance = (last.overdue_after, last.total_after) if last else (episode.opening_overdue, episode.opening_balance)
        if pricing is not None and as_of >= episode.due_date and session.scalar(
                select(LedgerPosting.id).where(LedgerPosting.episode_id == episode.episode_id).limit(1)) is not None:
            # A priced episode: the ledger's overdue, balance and DPD (re-anchored to the oldest unpaid cycle).
            ledger = statement(session, account.account_id, as_of, pricing, episode.episode_id).ledger
            overdue = sum((c.unpaid for c in ledger.cycles if c.due_date <= as_of), Decimal(0))
            balance, dpd = ledger.balances.total, ledger.days_past_due
    status = status_for(outcome=outcome, dpd=dpd, overdue=overdue, balance=balance)
    notices = [NoticeSent(sent_on=n.sent_on, recipient=n.recipient, result=n.result) for n in session.scalars(
        select(BureauNotice).where(BureauNotice.episode_id == episode.episode_id, BureauNotice.sent_at < cutoff))]
    returned = session.scalars(select(Consent.address).where(
        Consent.account_id == account.account_id, Consent.channel == "letter", Consent.status == "invalid",
        Consent.recorded_at < cutoff))
    notice_on, notice_problem = effective_notice(notices, returned)
    previous = session.scalar(
        select(BureauReport.reported_status).where(BureauReport.account_id == account.account_id, BureauReport.period < period)
        .order_by(BureauReport.period.desc()).limit(1)
    )
    decision = decide_report(status, dpd, notice_sent_on=notice_on, notice_problem=notice_problem,
                             previous_reported=BureauStatus(previous) if previous else None, as_of=as_of, policy=policy)
    row = report_row(account.account_id, decision, dpd=dpd, overdue=overdue, balance=balance, currency=episode.currency,
                     as_of=as_of)
    return BureauReport(
        account_id=account.account_id, period=period, episode_id=episode.episode_id, as_of=as_of,
        status=status.value, reported_status=row.status.value, dpd=dpd, reported_dpd=row.dpd, bucket=row.bucket,
        overdue_amount=overdue, reported_overdue=row.overdue, total_balance=balance, currency=episode.currency,
        withheld=decision.withheld, correction=decision.correction, reason=decision.reason, file_name=name,
        created_at=now,
    )


def _recorded(sessions: sessionmaker[Session], period: str) -> list[BureauReport]:
    with sessions() as session:
        return list(session.scalars(select(BureauReport).where(BureauReport.period == period).order_by(BureauReport.account_id)))


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
    records = _recorded(sessions, period)
    if not records:
        name = file_name(institution, period)
        try:
            with sessions.begin() as session:
                for account in session.scalars(select(Account).order_by(Account.account_id)):
                    record = _decide(session, account, period, as_of, policy, name, now, pricing)
                    if record is not None:
                        session.add(record)
            created = True
        except IntegrityError:
            pass  # another run of the same period committed first: write its record
        records = _recorded(sessions, period)
    name = records[0].file_name if records else file_name(institution, period)
    file_as_of = records[0].as_of if records else as_of
    header_institution = name.rsplit("_", 1)[0]
    path = Path(out_dir) / name
    _write(path, render_file(header_institution, period, file_as_of, [_row_of(r) for r in records]))
    return CycleResult(
        period=period, path=path, accounts=len(records), withheld=sum(r.withheld for r in records),
        corrections=sum(r.correction for r in records), created=created and bool(records),
    )


def summary_of(result: CycleResult) -> BureauCycleSummary:
    return BureauCycleSummary(period=result.period, accounts=result.accounts, withheld=result.withheld,
                              corrections=result.corrections, file=str(result.path), created=result.created)


def configured(strategy_path: Path) -> tuple[BureauPolicy, Pricing | None]:
    """The prior-notice policy and pricing of the configured strategy: the ones its episodes send
    notices and post ledgers by. A strategy file that does not load raises (StrategyError)."""
    from arrears.domain.strategy import load_strategy

    strategy = load_strategy(strategy_path)
    return strategy.bureau, strategy.pricing


def reports_for(sessions: sessionmaker[Session], account_id: str) -> list[BureauReport]:
    with sessions() as session:
        return list(session.scalars(
            select(BureauReport).where(BureauReport.account_id == account_id).order_by(BureauReport.period)
        ))
