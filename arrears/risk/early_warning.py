"""The early-warning rules: what flags an account not yet in arrears (pure).

Each rule reads the statement months known on the as-of date (cut before it)
and, when it fires, says why with the figures behind it. A score from an
active delinquent_90d model can flag an account too (arrears.risk.watchlist).
"""

from dataclasses import dataclass
from datetime import date

from arrears.domain.months import add_months
from arrears.risk.features import History, known_months, open_episode


@dataclass(frozen=True)
class WatchRules:
    min_payment_streak: int = 3  # consecutive statements paid at the minimum and no more
    utilisation_jump: float = 0.30  # rise in utilisation over three statements
    cash_advance_share: float = 0.20  # cash advances in the last statement, as a share of the limit ...
    cash_advance_multiple: float = 3.0  # ... and this many times the average of the five before
    reversal_months: int = 3  # a payment returned unpaid within this many statements


@dataclass(frozen=True)
class Flag:
    name: str  # over_limit | min_payment_streak | utilisation_jump | cash_advance_spike | payment_reversal | score
    reason: str


def _pct(x: float) -> str:
    return f"{x:.0%}"


def flags(history: History, as_of: date, rules: WatchRules = WatchRules()) -> list[Flag]:
    """The rules an account fires on the as-of date; none for an account already in an episode."""
    if open_episode(history, as_of) is not None:
        return []
    months = known_months(history.months, as_of)
    if not months or months[-1].month < add_months(as_of.replace(day=1), -2):
        return []  # no statement in the last two months: the account is not active
    out: list[Flag] = []
    last = months[-1]
    if last.over_limit > 0:
        out.append(
            Flag(
                "over_limit",
                f"statement {last.month:%Y-%m} is {last.over_limit:,.2f} over the limit "
                f"({_pct(last.balance / last.credit_limit)} used)",
            )
        )
    by_month = {m.month: m for m in months}
    streak = 0
    for m in reversed(months):
        p = by_month.get(add_months(m.month, -1))
        if (
            p is None
            or p.minimum_due <= 0
            or not (p.minimum_due * 0.99 <= m.paid <= p.minimum_due * 1.1)
            or p.balance <= p.minimum_due * 1.1
        ):
            break
        streak += 1
    if streak >= rules.min_payment_streak:
        out.append(Flag("min_payment_streak", f"paid only the minimum {streak} statements running"))
    earlier = by_month.get(add_months(last.month, -3))
    if earlier is not None:
        jump = last.balance / last.credit_limit - earlier.balance / earlier.credit_limit
        if jump >= rules.utilisation_jump:
            out.append(
                Flag(
                    "utilisation_jump",
                    f"utilisation rose {_pct(jump)} in three statements "
                    f"({_pct(earlier.balance / earlier.credit_limit)} to "
                    f"{_pct(last.balance / last.credit_limit)})",
                )
            )
    before = [by_month[k] for k in (add_months(last.month, -i) for i in range(1, 6)) if k in by_month]
    average = sum(m.cash_advance for m in before) / len(before) if before else 0.0
    if (
        last.cash_advance >= rules.cash_advance_share * last.credit_limit
        and last.cash_advance >= rules.cash_advance_multiple * average
    ):
        out.append(
            Flag(
                "cash_advance_spike",
                f"cash advances {last.cash_advance:,.2f} in {last.month:%Y-%m} "
                f"({_pct(last.cash_advance / last.credit_limit)} of the limit; "
                f"{average:,.2f} a month before)",
            )
        )
    recent = [m for m in months if m.month > add_months(last.month, -rules.reversal_months)]
    reversals = sum(m.reversals for m in recent)
    if reversals:
        out.append(
            Flag(
                "payment_reversal",
                f"{reversals} payment(s) returned unpaid in the last {rules.reversal_months} statements",
            )
        )
    return out
