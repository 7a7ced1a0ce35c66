"""`arrears risk watchlist`: accounts not yet delinquent that the rules or the score flag, kept in the record.

The list for a date is written once per account (a rerun adds nothing and
returns the same entries). A strategy with ``[early_warning] limit_review``
asks the card system, through the outbox, to review each listed account's
limit. With ``start`` an episode is opened for listed accounts whose contact
details the record holds: trigger ``over_limit`` for an account over its limit
(DPD 0 is the statement that showed it, the overdue amount is the part over
the limit), trigger ``early_warning`` for the others whose next due date is
ahead (the strategy's pre-due steps run before it).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from arrears.contracts import keys
from arrears.db.models import Account, AccountBehaviour, Episode, OutboxMessage, WatchlistEntry
from arrears.domain.months import add_months
from arrears.domain.strategy import EARLY_WARNING, OVER_LIMIT, Segment, Strategy
from arrears.risk.behaviour import month_end
from arrears.risk.early_warning import Flag, WatchRules, flags
from arrears.risk.features import feature_vector, open_episode
from arrears.risk.history import batches, load_histories
from arrears.risk.registry import active_model

EARLY_WARNING_TARGET = "delinquent_90d"


@dataclass
class Listed:
    account_id: str
    flags: list[Flag]
    score: float | None = None
    segment: str | None = None  # the score's segment when a model is active


@dataclass
class Watchlist:
    as_of: date
    entries: list[Listed] = field(default_factory=list)
    checked: int = 0
    model_version: str | None = None
    written: int = 0  # entries new to the record (a rerun writes none)
    limit_reviews: int = 0  # outbox requests new to the record


def candidates(engine: Engine, as_of: date) -> list[str]:
    """Accounts with a statement cut in the two months before the as-of date."""
    first = add_months(as_of.replace(day=1), -2)
    with engine.connect() as conn:
        rows = conn.execute(
            select(AccountBehaviour.account_id)
            .where(AccountBehaviour.statement_month >= first, AccountBehaviour.statement_month < as_of)
            .distinct()
        )
        return sorted(r[0] for r in rows)


def compute(
    engine: Engine,
    sessions: sessionmaker[Session],
    as_of: date,
    rules: WatchRules = WatchRules(),
    progress: Callable[[int], None] | None = None,
) -> Watchlist:
    with sessions() as session:
        model = active_model(session, EARLY_WARNING_TARGET)
    result = Watchlist(as_of, model_version=model.version if model else None)
    for batch in batches(candidates(engine, as_of)):
        histories = load_histories(engine, batch, since=as_of)
        fired = {a: flags(histories[a], as_of, rules) for a in batch}
        scores: dict[str, tuple[float, str]] = {}
        if model is not None:
            # An account already in an episode is collections' business, not early warning's.
            current = [a for a in batch if open_episode(histories[a], as_of) is None]
            if current:
                matrix = np.asarray([feature_vector(histories[a], as_of) for a in current], dtype=float)
                risk = model.risk(matrix)
                segments = model.segments(risk)
                scores = {a: (float(risk[i]), segments[i]) for i, a in enumerate(current)}
        for account_id in batch:
            found = list(fired[account_id])
            score = scores.get(account_id)
            if score and model is not None and score[1] == Segment.HIGH.value:
                found.append(
                    Flag(
                        "score",
                        f"{EARLY_WARNING_TARGET} risk {score[0]:.1%} is in the high segment "
                        f"(from {model.thresholds[1]:.1%}, model {model.version})",
                    )
                )
            if found:
                result.entries.append(
                    Listed(account_id, found, score[0] if score else None, score[1] if score else None)
                )
        result.checked += len(batch)
        if progress:
            progress(len(batch))
    return result


def save(
    sessions: sessionmaker[Session], watchlist: Watchlist, now: datetime, strategy: Strategy | None = None
) -> None:
    """Write the entries once per (date, account), and the limit-review requests the strategy asks for."""
    review = bool(strategy and strategy.early_warning and strategy.early_warning.limit_review)
    for chunk in batches([e.account_id for e in watchlist.entries], 1000):
        wanted = set(chunk)
        with sessions.begin() as session:
            have = set(
                session.scalars(
                    select(WatchlistEntry.account_id).where(
                        WatchlistEntry.as_of == watchlist.as_of, WatchlistEntry.account_id.in_(chunk)
                    )
                )
            )
            review_keys = {keys.limit_review_key(watchlist.as_of, a) for a in chunk}
            asked = set(
                session.scalars(
                    select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(review_keys))
                )
            )
            for e in (e for e in watchlist.entries if e.account_id in wanted):
                if e.account_id not in have:
                    session.add(
                        WatchlistEntry(
                            as_of=watchlist.as_of,
                            account_id=e.account_id,
                            flags=[f.name for f in e.flags],
                            reasons=[f.reason for f in e.flags],
                            score=e.score,
                            model_version=watchlist.model_version,
                            listed_at=now,
                        )
                    )
                    watchlist.written += 1
                key = keys.limit_review_key(watchlist.as_of, e.account_id)
                if review and key not in asked:
                    session.add(
                        OutboxMessage(
                            idempotency_key=key,
                            topic="card",
                            account_id=e.account_id,
                            created_at=now,
                            payload={
                                "type": "limit_review",
                                "account_id": e.account_id,
                                "as_of": watchlist.as_of.isoformat(),
                                "flags": [f.name for f in e.flags],
                                "reasons": [f.reason for f in e.flags],
                            },
                        )
                    )
                    watchlist.limit_reviews += 1


# ---- opening episodes for listed accounts ---------------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """What an episode for a listed account would start with (before the record's contact details)."""

    account_id: str
    trigger: str
    due_date: date
    overdue_amount: Decimal
    total_balance: Decimal
    currency: str | None
    segment: str | None


@dataclass
class Started:
    started: list[tuple[str, str]] = field(default_factory=list)  # (account, trigger)
    already_running: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (account, why)


def opening_for(entry: Listed, last: AccountBehaviour, as_of: date) -> Opening | str:
    """The episode a listed account opens, or why it opens none."""
    names = {f.name for f in entry.flags}
    if "over_limit" in names and last.over_limit_amount > 0:
        return Opening(
            entry.account_id,
            OVER_LIMIT,
            month_end(last.statement_month),
            last.over_limit_amount,
            last.statement_balance,
            last.currency,
            entry.segment,
        )
    if last.payment_due_date is None:
        return "the behaviour file gives no payment_due_date for its last statement"
    if last.payment_due_date <= as_of:
        return f"its due date {last.payment_due_date} is not ahead of {as_of}: a missed due date opens a missed_due episode"
    if last.minimum_due <= 0:
        return "nothing is due on its last statement"
    return Opening(
        entry.account_id,
        EARLY_WARNING,
        last.payment_due_date,
        last.minimum_due,
        last.statement_balance,
        last.currency,
        entry.segment,
    )


def openings(
    sessions: sessionmaker[Session], watchlist: Watchlist
) -> tuple[list[tuple[Opening, Account]], list[tuple[str, str]]]:
    """The listed accounts that can open an episode (with their record), and why the others cannot."""
    ready: list[tuple[Opening, Account]] = []
    skipped: list[tuple[str, str]] = []
    with sessions() as session:
        for chunk in batches([e.account_id for e in watchlist.entries], 1000):
            accounts = {a.account_id: a for a in session.scalars(select(Account).where(Account.account_id.in_(chunk)))}
            running = set(
                session.scalars(
                    select(Episode.account_id).where(Episode.account_id.in_(chunk), Episode.outcome.is_(None))
                )
            )
            latest: dict[str, AccountBehaviour] = {}
            for row in session.scalars(
                select(AccountBehaviour).where(
                    AccountBehaviour.account_id.in_(chunk), AccountBehaviour.statement_month < watchlist.as_of
                )
            ):
                if month_end(row.statement_month) < watchlist.as_of and (
                    row.account_id not in latest or row.statement_month > latest[row.account_id].statement_month
                ):
                    latest[row.account_id] = row
            for entry in (e for e in watchlist.entries if e.account_id in set(chunk)):
                account = accounts.get(entry.account_id)
                if account is None:
                    skipped.append(
                        (entry.account_id, "no account record with contact details: import the account first")
                    )
                    continue
                if entry.account_id in running:
                    skipped.append((entry.account_id, "an episode is running"))
                    continue
                opening = opening_for(entry, latest[entry.account_id], watchlist.as_of)
                if isinstance(opening, str):
                    skipped.append((entry.account_id, opening))
                    continue
                if opening.currency and opening.currency != account.currency:
                    skipped.append(
                        (entry.account_id, f"behaviour in {opening.currency}, account in {account.currency}")
                    )
                    continue
                ready.append((opening, account))
    return ready, skipped


async def start_episodes(
    client,
    engine: Engine,
    sessions: sessionmaker[Session],
    watchlist: Watchlist,
    task_queue: str,
    strategy: Strategy,
    day_seconds: float,
    now: datetime,
) -> Started:
    """Open an over_limit or early_warning episode for each listed account that can have one."""
    from arrears.domain.account import AccountRow
    from arrears.intake.importer import episode_input, start_episode

    result = Started()
    ready, result.skipped = openings(sessions, watchlist)
    digest = strategy.content_hash()
    for opening, account in ready:
        row = AccountRow.model_validate(
            {
                "account_id": account.account_id,
                "customer_name": account.customer_name,
                "phone": account.phone,
                "email": account.email,
                "billing_address": account.billing_address,
                "language": account.language,
                "timezone": account.timezone,
                "risk_segment": opening.segment or account.risk_segment,
                "currency": account.currency,
                "overdue_amount": opening.overdue_amount,
                "total_balance": max(opening.total_balance, opening.overdue_amount),
                "due_date": opening.due_date,
                "region": account.region,
            }
        )
        inp = episode_input(row, strategy, digest, day_seconds).model_copy(update={"trigger": opening.trigger})
        if await start_episode(client, task_queue, row, inp, now):
            result.started.append((account.account_id, opening.trigger))
        else:
            result.already_running.append(account.account_id)
    return result
