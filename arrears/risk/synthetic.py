"""Synthetic populations with known truth: behaviour, a collection record, and what happened next.

Never real people. The generative model, per account (all draws from one seeded
random generator, so a seed gives the same population):

1. A latent financial stress ``z ~ Normal(shift, 1)`` (``shift`` moves the whole
   population: the drift the evaluation must notice) and a credit limit of
   5,000, 10,000, 20,000 or 50,000 CNY.
2. Twelve statement months before the observation date ``T`` (a month's first
   day). Utilisation starts at ``0.45 + 0.22 z`` plus noise and drifts by a
   per-account trend ``0.01 z`` plus noise a month; the balance is utilisation
   times the limit, the amount over the limit is what exceeds it, the minimum
   due is 10 % of the balance (at least 100). Each month's payment (toward the
   previous statement) is the full balance, the minimum only, something in
   between or less than the minimum, with odds that worsen as ``z`` rises; a
   cash advance (5-30 % of the limit) comes with probability
   ``sigmoid(-2.2 + 0.9 z)``, a payment reversal with ``sigmoid(-4 + 0.8 z)``.
3. The record before ``T``: with probability ``sigmoid(-2.5 + z)`` a past
   episode in the last year, cured after 3-45 days, with call outcomes
   (reaching the cardholder less often as ``z`` rises), perhaps a broken
   promise, a recorded reason and a hardship hold. With probability
   ``sigmoid(-1.0 + 0.9 z)`` the account is in an episode on ``T``, 3-45 days
   past due, with outcomes, broken promises, a reason and perhaps a payment.
4. The truth: on ``T`` the features (arrears.risk.features, as of ``T``) set the
   probability of the target by a logistic law with the coefficients in
   ``TRUTH`` below (the drivers and their effects; every other feature has
   none). An account not in arrears misses a due date within 90 days with
   probability ``p`` (target delinquent_90d): the episode starts 5-85 days
   after ``T``. An account in arrears rolls on with probability ``p`` (target
   roll_forward_60d): it is cured 61-120 days after ``T``, else within 59 days.

Because the truth is a function of the very features a model sees, the best
achievable AUC is the AUC of the true probabilities themselves
(``Population.truth_auc``): a model can only approach it. ``signal=False``
sets every effect to zero (labels are coin flips with the base rate): no model
should beat an AUC of 0.5 there.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np

from arrears.domain.months import add_months
from arrears.risk.behaviour import month_end
from arrears.risk.features import EpisodeFact, Event, History, Month, features
from arrears.risk.metrics import auc

TZ = "Asia/Shanghai"
CURRENCY = "CNY"
LIMITS = (5_000, 10_000, 20_000, 50_000)

# The drivers and their known effects on the log odds, per target (features at their own scale).
TRUTH: dict[str, tuple[float, dict[str, float]]] = {
    "delinquent_90d": (
        -3.4,
        {
            "utilisation": 2.2,
            "min_payment_only_months": 0.35,
            "cash_advance_share": 3.0,
            "over_limit": 0.9,
            "payment_ratio": -1.0,
            "payment_reversals": 0.8,
            "worst_dpd_12m": 0.02,
        },
    ),
    "roll_forward_60d": (
        -1.2,
        {
            "dpd_now": 0.04,
            "broken_promises_12m": 0.7,
            "rpc_rate": -1.8,
            "reason_hardship": 1.2,
            "utilisation": 1.0,
            "episode_paid_share": -2.0,
        },
    ),
}
DRIVERS = {t: tuple(effects) for t, (_, effects) in TRUTH.items()}
NO_SIGNAL_RATE = {"delinquent_90d": 0.15, "roll_forward_60d": 0.35}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _money(value: float) -> Decimal:
    return Decimal(str(round(max(value, 0.0), 2))).quantize(Decimal("0.01"))


@dataclass
class SyntheticAccount:
    account_id: str
    z: float
    credit_limit: Decimal
    months: list[dict] = field(default_factory=list)  # behaviour rows, Decimal amounts
    episodes: list[dict] = field(default_factory=list)  # episode rows
    outcomes: list[dict] = field(default_factory=list)  # {episode_id, at, outcome, reason}
    broken_promises: list[dict] = field(default_factory=list)  # {episode_id, at, amount}
    holds: list[dict] = field(default_factory=list)  # {episode_id, at, hold_type}
    payments: list[dict] = field(default_factory=list)  # {episode_id, at, amount}
    target: str = ""
    probability: float = 0.0  # the true probability of the label on T
    label: int = 0

    def history(self) -> History:
        months = tuple(
            Month(
                m["statement_month"],
                float(m["credit_limit"]),
                float(m["statement_balance"]),
                float(m["minimum_due"]),
                float(m["amount_paid"]),
                float(m["cash_advance"]),
                float(m["over_limit_amount"]),
                m["months_on_book"],
                m["payment_reversals"],
            )
            for m in self.months
        )
        episodes = tuple(
            EpisodeFact(
                e["episode_id"],
                e["due_date"],
                e["started_at"],
                e["closed_at"],
                e["outcome"],
                float(e["opening_overdue"]),
            )
            for e in self.episodes
        )
        events = (
            [Event(o["at"], "outcome", o["outcome"], o["reason"] or "") for o in self.outcomes]
            + [Event(b["at"], "broken_promise") for b in self.broken_promises]
            + [Event(h["at"], "hold", h["hold_type"]) for h in self.holds]
            + [Event(p["at"], "payment", episode_id=p["episode_id"], amount=float(p["amount"])) for p in self.payments]
        )
        return History(self.account_id, months, episodes, tuple(events), TZ)


@dataclass
class Population:
    observed_on: date
    accounts: list[SyntheticAccount]
    signal: bool
    shift: float
    seed: int

    @property
    def label_end(self) -> date:
        """The day by which every label's horizon is over (outcomes are written up to 120 days on)."""
        return self.observed_on + timedelta(days=121)

    def of_target(self, target: str) -> list[SyntheticAccount]:
        return [a for a in self.accounts if a.target == target]

    def truth_auc(self, target: str, accounts: set[str] | None = None) -> float:
        """The AUC of the true probabilities: the most any model can reach on these accounts."""
        chosen = [a for a in self.of_target(target) if accounts is None or a.account_id in accounts]
        return auc([a.probability for a in chosen], [a.label for a in chosen])


def _at(day: date, hour: int = 2) -> datetime:
    """``hour``:00 on a local day in the synthetic accounts' zone."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(TZ))


def _months(rng: random.Random, account: SyntheticAccount, observed_on: date) -> None:
    z, limit = account.z, float(account.credit_limit)
    level = min(max(0.45 + 0.22 * z + rng.gauss(0, 0.15), 0.02), 1.15)
    trend = rng.gauss(0, 0.015) + 0.01 * z
    on_book = rng.randint(1, 120)
    previous: dict | None = None
    for k in range(12):
        month = add_months(observed_on, k - 12)
        utilisation = min(max(level + trend * (k - 11) + rng.gauss(0, 0.04), 0.0), 1.3)
        balance = _money(utilisation * limit)
        minimum = min(balance, max(_money(float(balance) * 0.1), Decimal("100.00")))
        if previous is None or previous["minimum_due"] <= 0:
            paid = Decimal("0.00")
        else:
            pb, pm = float(previous["statement_balance"]), float(previous["minimum_due"])
            draw = rng.random()
            full, minimum_only, below = _sigmoid(0.5 - 1.2 * z), _sigmoid(-1.5 + 0.9 * z), _sigmoid(-3.5 + 0.8 * z)
            total = full + minimum_only + below + 0.5
            if draw < full / total:
                paid = _money(pb)
            elif draw < (full + minimum_only) / total:
                paid = _money(pm)
            elif draw < (full + minimum_only + below) / total:
                paid = _money(rng.uniform(0, 0.9) * pm)
            else:
                paid = _money(rng.uniform(min(pm * 1.2, pb), pb))
        cash = _money(rng.uniform(0.05, 0.3) * limit) if rng.random() < _sigmoid(-2.2 + 0.9 * z) else Decimal("0.00")
        row = {
            "account_id": account.account_id,
            "statement_month": month,
            "credit_limit": account.credit_limit,
            "statement_balance": balance,
            "minimum_due": minimum,
            "amount_paid": paid,
            "cash_advance": cash,
            "over_limit_amount": max(balance - account.credit_limit, Decimal("0.00")),
            "months_on_book": on_book + k,
            "payment_reversals": 1 if rng.random() < _sigmoid(-4 + 0.8 * z) else 0,
            "currency": CURRENCY,
            "payment_due_date": month_end(month) + timedelta(days=25),
        }
        account.months.append(row)
        previous = row


def _episode(account: SyntheticAccount, n: int, due: date, overdue: Decimal, balance: Decimal) -> dict:
    episode = {
        "episode_id": f"syn-{account.account_id}-{n}",
        "account_id": account.account_id,
        "workflow_id": "synthetic",
        "run_id": "synthetic",
        "started_at": _at(due + timedelta(days=1)),
        "due_date": due,
        "dpd_at_start": 1,
        "currency": CURRENCY,
        "opening_overdue": overdue,
        "opening_balance": balance,
        "risk_segment": "medium",
        "strategy_name": "synthetic-history",
        "strategy_hash": "0" * 64,
        "outcome": None,
        "outcome_reason": None,
        "closed_by": None,
        "closed_at": None,
        "closing_dpd": None,
        "closing_overdue": None,
        "closing_balance": None,
        "trigger": "missed_due",
    }
    account.episodes.append(episode)
    return episode


def _close(episode: dict, day: date, outcome: str) -> None:
    episode.update(
        outcome=outcome,
        outcome_reason="synthetic history",
        closed_by="synthetic",
        closed_at=_at(day, 12),
        closing_dpd=(day - episode["due_date"]).days,
        closing_overdue=Decimal("0.00"),
        closing_balance=episode["opening_balance"],
    )


def _collect(
    rng: random.Random,
    account: SyntheticAccount,
    episode: dict,
    first: date,
    last: date,
    calls: int,
    reach: float,
    broken: int,
    reason: str | None,
) -> None:
    """Call outcomes, broken promises and a recorded reason inside an episode's known days."""
    span = max((last - first).days, 1)
    for _ in range(calls):
        day = first + timedelta(days=rng.randrange(span))
        outcome = "right_party_contact" if rng.random() < reach else rng.choice(("no_answer", "busy", "voicemail"))
        account.outcomes.append(
            {
                "episode_id": episode["episode_id"],
                "at": _at(day, 6),
                "outcome": outcome,
                "reason": reason if outcome == "right_party_contact" else None,
            }
        )
    if reason and not any(o["reason"] for o in account.outcomes if o["episode_id"] == episode["episode_id"]):
        account.outcomes.append(
            {
                "episode_id": episode["episode_id"],
                "at": _at(first, 7),
                "outcome": "right_party_contact",
                "reason": reason,
            }
        )
    for _ in range(broken):
        account.broken_promises.append(
            {
                "episode_id": episode["episode_id"],
                "at": _at(first + timedelta(days=rng.randrange(span)), 9),
                "amount": episode["opening_overdue"],
            }
        )
    if reason in ("job_loss", "illness") and rng.random() < 0.5:
        account.holds.append({"episode_id": episode["episode_id"], "at": _at(last, 5), "hold_type": "hardship"})


def _reason(rng: random.Random, z: float) -> str | None:
    draw = rng.random()
    if draw < _sigmoid(-2.0 + 0.6 * z):
        return rng.choice(("job_loss", "illness"))
    if draw < _sigmoid(-2.0 + 0.6 * z) + 0.1:
        return "unwilling"
    return rng.choice(("forgot", "cash_flow", None))


def _account(rng: random.Random, account_id: str, observed_on: date, shift: float, signal: bool) -> SyntheticAccount:
    z = rng.gauss(shift, 1.0)
    account = SyntheticAccount(account_id, z, Decimal(rng.choice(LIMITS)).quantize(Decimal("0.01")))
    _months(rng, account, observed_on)
    last = account.months[-1]
    n = 0
    if rng.random() < _sigmoid(-2.5 + z):  # a past episode in the last year, cured
        n += 1
        due = observed_on - timedelta(days=rng.randint(60, 330))
        episode = _episode(account, n, due, last["minimum_due"] or Decimal("100.00"), last["statement_balance"])
        cured = due + timedelta(days=rng.randint(3, 45))
        _collect(
            rng,
            account,
            episode,
            due + timedelta(days=1),
            cured,
            rng.randint(1, 4),
            _sigmoid(0.5 - 0.6 * z),
            1 if rng.random() < _sigmoid(-1 + 0.8 * z) else 0,
            _reason(rng, z),
        )
        _close(episode, cured, "cured")
    delinquent = rng.random() < _sigmoid(-1.0 + 0.9 * z)
    current: dict | None = None
    if delinquent:
        n += 1
        due = observed_on - timedelta(days=rng.randint(3, 45))
        current = _episode(account, n, due, last["minimum_due"] or Decimal("100.00"), last["statement_balance"])
        broken = sum(1 for _ in range(2) if rng.random() < _sigmoid(-1.2 + 0.8 * z))
        _collect(
            rng,
            account,
            current,
            due + timedelta(days=1),
            observed_on - timedelta(days=1),
            rng.randint(1, 3),
            min(max(_sigmoid(0.6 - 0.7 * z) + rng.gauss(0, 0.15), 0.02), 0.98),
            broken,
            _reason(rng, z),
        )
        if rng.random() < 0.4:  # a part payment since the due date
            day = min(due + timedelta(days=rng.randint(1, (observed_on - due).days)), observed_on - timedelta(days=1))
            account.payments.append(
                {
                    "episode_id": current["episode_id"],
                    "at": _at(day, 4),
                    "amount": _money(float(current["opening_overdue"]) * rng.uniform(0.05, 0.5)),
                }
            )

    # The truth on T, from the features as of T.
    account.target = "roll_forward_60d" if delinquent else "delinquent_90d"
    intercept, effects = TRUTH[account.target]
    seen = features(account.history(), observed_on)
    if signal:
        account.probability = _sigmoid(intercept + sum(b * (seen[name] or 0.0) for name, b in effects.items()))
    else:  # about the base rate the signal gives, and nothing else
        account.probability = NO_SIGNAL_RATE[account.target]
    account.label = 1 if rng.random() < account.probability else 0

    if current is not None:
        days = rng.randint(61, 120) if account.label else rng.randint(1, 59)
        _close(current, observed_on + timedelta(days=days), "cured")
    elif account.label:
        n += 1
        due = observed_on + timedelta(days=rng.randint(5, 85))
        episode = _episode(account, n, due, last["minimum_due"] or Decimal("100.00"), last["statement_balance"])
        _close(episode, due + timedelta(days=rng.randint(3, 30)), "cured")
    return account


def generate(
    count: int, observed_on: date, seed: int = 7, shift: float = 0.0, signal: bool = True, prefix: str = "SYN"
) -> Population:
    """``count`` synthetic accounts observed on ``observed_on`` (a month's first day)."""
    if observed_on.day != 1:
        raise ValueError(f"observed_on must be a month's first day, got {observed_on}")
    rng = random.Random(seed)
    accounts = [_account(rng, f"{prefix}{i + 1:06d}", observed_on, shift, signal) for i in range(count)]
    return Population(observed_on, accounts, signal, shift, seed)


def probabilities(population: Population, target: str) -> tuple[np.ndarray, np.ndarray]:
    chosen = population.of_target(target)
    return np.asarray([a.probability for a in chosen]), np.asarray([a.label for a in chosen])
