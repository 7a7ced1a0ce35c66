"""Risk features, defined once (pure): per account and as-of date, from behaviour and the collection record.

Every feature uses only what was known before the as-of date: statement months
whose cut (the month's last day) is before it, and record events (episodes
started, promises and plans broken, contact outcomes, holds, payments) whose
time is before the as-of date's first moment in the account's zone. An
episode that closed on or after that moment counts as still open. The
no-leakage test checks this against histories cut off at the as-of date.

Features are statistics, not money: amounts enter as floats in ratios only.
A value that cannot be computed (no statements, no outcomes) is NaN, which
the model bins as "missing".
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from arrears.domain.months import add_months
from arrears.risk.behaviour import month_end

NAN = float("nan")
# Outcomes that mean the cardholder was reached on a call or visit.
REACHED = frozenset({"right_party_contact", "promise_made", "refused_to_pay", "dispute_raised", "hardship_claimed"})
HARDSHIP_REASONS = frozenset({"job_loss", "illness"})
CURES = frozenset({"cured", "paid_on_time", "settled"})


@dataclass(frozen=True)
class Month:
    """A statement month (arrears.risk.behaviour) as the features read it."""

    month: date  # first day
    credit_limit: float
    balance: float
    minimum_due: float
    paid: float
    cash_advance: float
    over_limit: float
    months_on_book: int
    reversals: int


@dataclass(frozen=True)
class EpisodeFact:
    episode_id: str
    due_date: date
    started_at: datetime
    closed_at: datetime | None = None
    outcome: str | None = None
    opening_overdue: float = 0.0
    trigger: str = "missed_due"


@dataclass(frozen=True)
class Event:
    """A dated fact from the record: a broken promise or plan, a contact outcome, a hold, a payment."""

    at: datetime
    kind: str  # broken_promise | broken_plan | outcome | hold | payment
    value: str = ""  # the outcome, the hold type
    reason: str = ""  # an outcome's reason for delinquency
    episode_id: str = ""
    amount: float = 0.0  # a payment's amount


@dataclass(frozen=True)
class History:
    account_id: str
    months: tuple[Month, ...] = ()
    episodes: tuple[EpisodeFact, ...] = ()
    events: tuple[Event, ...] = ()
    timezone: str | None = None  # the account's zone when the record knows it; UTC otherwise


@dataclass(frozen=True)
class Feature:
    name: str
    meaning: str
    source: str  # behaviour | record


FEATURES: tuple[Feature, ...] = (
    Feature("utilisation", "statement balance / credit limit, last statement", "behaviour"),
    Feature("utilisation_trend", "least-squares slope of utilisation per month, last 6 statements", "behaviour"),
    Feature("min_payment_only_months", "months of the last 6 paying the minimum and no more", "behaviour"),
    Feature("below_minimum_months", "months of the last 6 paying less than the minimum", "behaviour"),
    Feature("cash_advance_share", "cash advances in the last 3 statements / credit limit", "behaviour"),
    Feature("over_limit", "1 when the last statement is over the limit", "behaviour"),
    Feature("over_limit_months", "statements over the limit in the last 6", "behaviour"),
    Feature("payment_ratio", "mean of paid / previous balance, last 3 statements (capped at 2)", "behaviour"),
    Feature("payment_reversals", "payments returned unpaid in the last 6 statements", "behaviour"),
    Feature("months_on_book", "account age in months, last statement", "behaviour"),
    Feature("worst_dpd_6m", "worst days past due of earlier episodes that ended in the last 182 days", "record"),
    Feature("worst_dpd_12m", "worst days past due of earlier episodes that ended in the last 365 days", "record"),
    Feature("episodes_12m", "delinquency episodes with a due date in the last 365 days", "record"),
    Feature("broken_promises_12m", "promises to pay broken in the last 365 days", "record"),
    Feature("broken_plans_12m", "instalment plans broken in the last 365 days", "record"),
    Feature("rpc_rate", "share of call and visit outcomes that reached the cardholder, last 365 days", "record"),
    Feature("reason_hardship", "1 when a collector recorded job loss or illness in the last 365 days", "record"),
    Feature(
        "reason_unwilling", "1 when a collector recorded unwillingness or a refusal in the last 365 days", "record"
    ),
    Feature("hardship_holds_12m", "hardship holds placed in the last 365 days", "record"),
    Feature("disputes_12m", "dispute holds placed in the last 365 days", "record"),
    Feature("dpd_now", "days past due of the episode open on the as-of date (0 if none)", "record"),
    Feature("episode_paid_share", "paid into the open episode / its opening overdue (missing if none)", "record"),
)
NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
INDEX = {name: i for i, name in enumerate(NAMES)}


def cutoff(as_of: date, timezone: str | None) -> datetime:
    """The first moment of the as-of date in the account's zone: record events before it are known."""
    return datetime.combine(as_of, time(0), tzinfo=ZoneInfo(timezone or "UTC"))


def local_day(moment: datetime, timezone: str | None) -> date:
    return moment.astimezone(ZoneInfo(timezone or "UTC")).date()


def known_months(months: tuple[Month, ...], as_of: date) -> list[Month]:
    """Statement months cut before the as-of date, oldest first."""
    return sorted((m for m in months if month_end(m.month) < as_of), key=lambda m: m.month)


def open_episode(history: History, as_of: date) -> EpisodeFact | None:
    """The episode running on the as-of date as the record knew it then (started, not yet closed)."""
    moment = cutoff(as_of, history.timezone)
    running = [e for e in history.episodes if e.started_at < moment and (e.closed_at is None or e.closed_at >= moment)]
    return max(running, key=lambda e: e.started_at) if running else None


def _slope(values: list[float]) -> float:
    n = len(values)
    if n < 2:
        return NAN
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def _behaviour(months: list[Month], as_of: date) -> list[float]:
    if not months:
        return [NAN] * 10
    last = months[-1]
    start6 = add_months(as_of.replace(day=1), -6)
    start3 = add_months(as_of.replace(day=1), -3)
    recent6 = [m for m in months if m.month >= start6]
    recent3 = [m for m in months if m.month >= start3]
    by_month = {m.month: m for m in months}

    def previous(m: Month) -> Month | None:
        return by_month.get(add_months(m.month, -1))

    utilisation = [min(max(m.balance / m.credit_limit, -1.0), 3.0) for m in recent6]
    min_only = below = 0
    ratios: list[float] = []
    for m in recent6:
        p = previous(m)
        if p is None or p.minimum_due <= 0:
            continue
        if m.paid < p.minimum_due * 0.99:
            below += 1
        elif m.paid <= p.minimum_due * 1.1 and p.balance > p.minimum_due * 1.1:
            min_only += 1
    for m in recent3:
        p = previous(m)
        if p is not None and p.balance > 0:
            ratios.append(min(m.paid / p.balance, 2.0))
    return [
        min(max(last.balance / last.credit_limit, -1.0), 3.0),
        _slope(utilisation) if recent6 else NAN,
        float(min_only),
        float(below),
        sum(m.cash_advance for m in recent3) / last.credit_limit,
        1.0 if last.over_limit > 0 else 0.0,
        float(sum(1 for m in recent6 if m.over_limit > 0)),
        sum(ratios) / len(ratios) if ratios else NAN,
        float(sum(m.reversals for m in recent6)),
        float(last.months_on_book),
    ]


def _record(history: History, as_of: date) -> list[float]:
    tz = history.timezone
    moment = cutoff(as_of, tz)
    known = [e for e in history.episodes if e.started_at < moment]
    worst6 = worst12 = 0
    # Earlier episodes only: the one running on the as-of date is dpd_now's, and counting it twice
    # would make the two features one.
    for e in known:
        if e.closed_at is None or e.closed_at >= moment:
            continue
        last_day = local_day(e.closed_at, tz)
        dpd = max((last_day - e.due_date).days, 0)
        if last_day >= as_of - timedelta(days=182):
            worst6 = max(worst6, dpd)
        if last_day >= as_of - timedelta(days=365):
            worst12 = max(worst12, dpd)
    episodes12 = sum(1 for e in known if as_of - timedelta(days=365) <= e.due_date < as_of)

    since = moment - timedelta(days=365)
    events = [v for v in history.events if since <= v.at < moment]
    outcomes = [v for v in events if v.kind == "outcome"]
    holds = [v for v in events if v.kind == "hold"]
    reached = sum(1 for v in outcomes if v.value in REACHED)

    current = open_episode(history, as_of)
    dpd_now = max((as_of - current.due_date).days, 0) if current else 0
    if current is not None and current.opening_overdue > 0:
        paid = sum(
            v.amount
            for v in history.events
            if v.kind == "payment" and v.episode_id == current.episode_id and v.at < moment
        )
        paid_share = min(paid / current.opening_overdue, 2.0)
    else:
        paid_share = NAN
    return [
        float(worst6),
        float(worst12),
        float(episodes12),
        float(sum(1 for v in events if v.kind == "broken_promise")),
        float(sum(1 for v in events if v.kind == "broken_plan")),
        reached / len(outcomes) if outcomes else NAN,
        1.0 if any(v.reason in HARDSHIP_REASONS for v in outcomes) else 0.0,
        1.0 if any(v.reason == "unwilling" or v.value == "refused_to_pay" for v in outcomes) else 0.0,
        float(sum(1 for v in holds if v.value == "hardship")),
        float(sum(1 for v in holds if v.value == "dispute")),
        float(dpd_now),
        paid_share,
    ]


def feature_vector(history: History, as_of: date) -> list[float]:
    """The features in NAMES order; NaN where a value cannot be computed."""
    return _behaviour(known_months(history.months, as_of), as_of) + _record(history, as_of)


def features(history: History, as_of: date) -> dict[str, float | None]:
    """The features by name; None where a value cannot be computed."""
    return {name: (None if math.isnan(v) else v) for name, v in zip(NAMES, feature_vector(history, as_of), strict=True)}


@dataclass
class HistoryBuilder:
    """Collects one account's facts (from the record or the generator) into a History."""

    account_id: str
    timezone: str | None = None
    months: list[Month] = field(default_factory=list)
    episodes: list[EpisodeFact] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def build(self) -> History:
        return History(self.account_id, tuple(self.months), tuple(self.episodes), tuple(self.events), self.timezone)
