"""Why the legal step refused an account, and the first date it could refer it.

``arrears.domain.legal.referral_decision`` says, on one date, whether the
legal step may refer the account and names each unmet criterion in words.
This module reads those words back as criteria (to count refusals by reason)
and looks forward: assuming every effective collection still needed is made as
early as the criteria allow (the first one today, each next one
``min_days_between`` later) and nothing is paid, the first date on which the
decision would allow the referral. Criteria that waiting cannot meet (a
principal under the threshold or in another currency, nothing unpaid) give no
date.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from arrears.domain.legal import LegalCriteria
from arrears.domain.months import add_months


class Criterion(StrEnum):
    COLLECTIONS = "collections"  # fewer effective collections after the due date than required
    SPACING = "spacing"  # enough of them, but not far enough apart
    UNPAID_MONTHS = "unpaid_months"  # not yet unpaid long enough after the last required collection
    NOTHING_UNPAID = "nothing_unpaid"
    PRINCIPAL_CURRENCY = "principal_currency"  # the threshold is in another currency
    PRINCIPAL_AMOUNT = "principal_amount"  # under the threshold

    @property
    def waiting_helps(self) -> bool:
        """Whether the criterion can come to hold with time and collection work alone."""
        return self in (Criterion.COLLECTIONS, Criterion.SPACING, Criterion.UNPAID_MONTHS)


# The opening words of each unmet reason in referral_decision (tests pin them to that function).
_OPENINGS = (
    ("effective collections: ", None),
    ("unpaid more than ", Criterion.UNPAID_MONTHS),
    ("nothing is unpaid", Criterion.NOTHING_UNPAID),
    ("principal is in ", Criterion.PRINCIPAL_CURRENCY),
    ("principal ", Criterion.PRINCIPAL_AMOUNT),
)


def unmet_criterion(reason: str) -> Criterion | None:
    """The criterion an unmet reason of ``referral_decision`` names; None for a reason it does not give."""
    for opening, criterion in _OPENINGS:
        if reason.startswith(opening):
            if (
                criterion is None
            ):  # "effective collections: 1 after the due date, 2 required" / "..., but not 2 at least 30 days apart"
                return Criterion.SPACING if "days apart" in reason else Criterion.COLLECTIONS
            return criterion
    return None


def _chain(days: list[date], needed: int, min_days: int) -> list[date]:
    """The earliest collections each at least ``min_days`` after the previous (greedy is earliest)."""
    picked: list[date] = []
    for day in days:
        if len(picked) == needed:
            break
        if not picked or (day - picked[-1]).days >= min_days:
            picked.append(day)
    return picked


def collections_needed(
    collections: Iterable[date], *, due_date: date, as_of: date, criteria: LegalCriteria
) -> list[date]:
    """The dates of the collections still to make, each as early as allowed, for the spacing to hold."""
    counted = sorted(d for d in collections if due_date < d <= as_of)
    chain = _chain(counted, criteria.min_effective_collections, criteria.min_days_between)
    future: list[date] = []
    while len(chain) + len(future) < criteria.min_effective_collections:
        last = (future or chain)[-1] if (future or chain) else None
        earliest = max(as_of, due_date + timedelta(days=1))
        future.append(earliest if last is None else max(earliest, last + timedelta(days=criteria.min_days_between)))
    return future


def earliest_referral(
    collections: Iterable[date],
    *,
    due_date: date,
    still_unpaid: bool,
    principal: Decimal,
    currency: str,
    as_of: date,
    criteria: LegalCriteria,
) -> date | None:
    """The first date from ``as_of`` on which the legal step could refer the account, or None when waiting
    cannot make the criteria hold (principal under the threshold or in another currency, nothing unpaid)."""
    if criteria.min_principal and (currency != criteria.principal_currency or principal < criteria.min_principal):
        return None
    if criteria.months_unpaid_after_last and not still_unpaid:
        return None
    known = sorted(d for d in collections if due_date < d <= as_of)
    future = collections_needed(known, due_date=due_date, as_of=as_of, criteria=criteria)
    if not criteria.min_effective_collections:
        return as_of
    chain = _chain(known, criteria.min_effective_collections, criteria.min_days_between) + future
    last = chain[-1]
    if not criteria.months_unpaid_after_last:
        return max(as_of, last)
    return max(as_of, add_months(last, criteria.months_unpaid_after_last) + timedelta(days=1))
