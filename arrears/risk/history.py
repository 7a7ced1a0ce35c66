"""Accounts' histories from the record, a batch of accounts at a time (reads only).

One query per table per batch: behaviour months, episodes, broken promises and
plans, contact outcomes, holds and payments. The feature module decides what
of it was known on an as-of date; ``since`` only trims what is certainly too
old to matter (more than a year and a month before the earliest as-of date).
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, select, union

from arrears.db.models import (
    Account,
    AccountBehaviour,
    ContactOutcomeRecord,
    Episode,
    Hold,
    Payment,
    Plan,
    PromiseToPay,
)
from arrears.domain.months import add_months
from arrears.risk.features import EpisodeFact, Event, History, HistoryBuilder, Month

BATCH = 2000


def _f(value) -> float:
    return float(value) if value is not None else 0.0


def load_histories(engine: Engine, account_ids: list[str], since: date | None = None) -> dict[str, History]:
    """Histories of these accounts, with months from ``since``'s month minus 13 and events from a year before it."""
    builders = {a: HistoryBuilder(a) for a in account_ids}
    if not account_ids:
        return {}
    first_month = add_months(since.replace(day=1), -13) if since else None
    first_event = datetime.combine(since - timedelta(days=400), time(0), tzinfo=UTC) if since else None
    with engine.connect() as conn:
        for account_id, tz in conn.execute(
            select(Account.account_id, Account.timezone).where(Account.account_id.in_(account_ids))
        ):
            builders[account_id].timezone = tz
        b = AccountBehaviour
        query = select(
            b.account_id,
            b.statement_month,
            b.credit_limit,
            b.statement_balance,
            b.minimum_due,
            b.amount_paid,
            b.cash_advance,
            b.over_limit_amount,
            b.months_on_book,
            b.payment_reversals,
        ).where(b.account_id.in_(account_ids))
        if first_month:
            query = query.where(b.statement_month >= first_month)
        for r in conn.execute(query):
            builders[r[0]].months.append(
                Month(r[1], _f(r[2]), _f(r[3]), _f(r[4]), _f(r[5]), _f(r[6]), _f(r[7]), r[8], r[9])
            )
        e = Episode
        for ep in conn.execute(
            select(
                e.account_id,
                e.episode_id,
                e.due_date,
                e.started_at,
                e.closed_at,
                e.outcome,
                e.opening_overdue,
                e.trigger,
            ).where(e.account_id.in_(account_ids))
        ):
            builders[ep[0]].episodes.append(
                EpisodeFact(ep[1], ep[2], ep[3], ep[4], ep[5], _f(ep[6]), ep[7] or "missed_due")
            )

        def events(query, build) -> None:
            for r in conn.execute(query):
                if r[1] is not None and (first_event is None or r[1] >= first_event):
                    builders[r[0]].events.append(build(r))

        events(
            select(PromiseToPay.account_id, PromiseToPay.resolved_at).where(
                PromiseToPay.account_id.in_(account_ids), PromiseToPay.status == "broken"
            ),
            lambda r: Event(r[1], "broken_promise"),
        )
        events(
            select(Plan.account_id, Plan.resolved_at).where(Plan.account_id.in_(account_ids), Plan.status == "broken"),
            lambda r: Event(r[1], "broken_plan"),
        )
        events(
            select(
                ContactOutcomeRecord.account_id,
                ContactOutcomeRecord.recorded_at,
                ContactOutcomeRecord.outcome,
                ContactOutcomeRecord.reason_for_delinquency,
            ).where(ContactOutcomeRecord.account_id.in_(account_ids)),
            lambda r: Event(r[1], "outcome", r[2], r[3] or ""),
        )
        events(
            select(Hold.account_id, Hold.placed_at, Hold.hold_type).where(Hold.account_id.in_(account_ids)),
            lambda r: Event(r[1], "hold", r[2]),
        )
        events(
            select(Payment.account_id, Payment.paid_at, Payment.episode_id, Payment.amount).where(
                Payment.account_id.in_(account_ids)
            ),
            lambda r: Event(r[1], "payment", episode_id=r[2], amount=_f(r[3])),
        )
    return {a: builder.build() for a, builder in builders.items()}


def all_accounts(engine: Engine) -> list[str]:
    """Every account the record knows behaviour or an episode of, in id order."""
    query = union(select(AccountBehaviour.account_id), select(Episode.account_id))
    with engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(query))


def batches(items: Iterable[str], size: int = BATCH) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
