"""Re-aging: bringing a delinquent account current by agreement, within limits.

A re-age hides delinquency, so the US interagency retail credit policy allows
it only after the borrower has shown willingness and ability to pay (three
consecutive minimum monthly payments, or the equivalent cumulative amount) and
at most once in twelve months and twice in five years. The limits come from
:class:`arrears.domain.pricing.ReagePolicy`; past re-ages are the account's,
across episodes.

Pure: the workflow and the recording activity both call it.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from arrears.domain.ledger import Cycle, add_months
from arrears.domain.pricing import ReagePolicy


def reage_counts(on: date, past: Sequence[date]) -> tuple[int, int]:
    """Re-ages in the twelve months and in the five years up to and including ``on``."""
    year, five = add_months(on, -12), add_months(on, -60)
    return sum(1 for d in past if year < d <= on), sum(1 for d in past if five < d <= on)


def reage_refusal(on: date, cycles: Sequence[Cycle], past: Sequence[date], policy: ReagePolicy) -> str | None:
    """Why the account cannot be re-aged on ``on``, or None.

    ``cycles`` are the ledger's cycles as of ``on`` (each with what was received
    in its period); ``past`` the dates of the account's earlier re-ages.
    """
    if not any(c.due_date < on and c.unpaid > 0 for c in cycles):
        return "the account is not past due: there is nothing to re-age"
    in_year, in_five = reage_counts(on, past)
    earlier = sorted(d for d in past if d <= on)
    if in_year >= policy.max_per_12_months:
        last = earlier[-1] if earlier else None
        when = f" (last on {last}; next possible after {add_months(last, 12)})" if last else ""
        return f"at most {policy.max_per_12_months} re-age(s) in 12 months, {in_year} already{when}"
    if in_five >= policy.max_per_5_years:
        return f"at most {policy.max_per_5_years} re-age(s) in 5 years, {in_five} already (since {earlier[-in_five]})"
    n = policy.min_consecutive_payments
    # Only periods that began after the last re-age show behaviour since then.
    since = earlier[-1] if earlier else None
    done = [c for c in cycles if c.due_date <= on and (since is None or c.due_date > since)]
    if len(done) < n:
        return f"{n} consecutive minimum payments are needed first; only {len(done)} cycle(s) have fallen due"
    recent = done[-n:]
    short = [c for c in recent if c.received < c.minimum]
    if not short:
        return None
    due = sum((c.minimum for c in recent), Decimal(0))
    got = sum((c.received for c in recent), Decimal(0))
    if policy.allow_cumulative and got >= due:
        return None
    first = short[0]
    return (
        f"{n} consecutive minimum payments are needed first: the minimum of {first.minimum} due {first.due_date} "
        f"got {first.received}" + (f" (the last {n} cycles got {got} of {due})" if policy.allow_cumulative else "")
    )
