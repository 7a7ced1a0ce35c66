"""The effective-collection register and the malicious-overdraft test it feeds.

《最高人民法院、最高人民检察院关于办理妨害信用卡管理刑事案件具体应用法律若干问题的解释》
(法释〔2009〕19号, as amended by 法释〔2018〕19号):

* art. 6: a cardholder who overdraws beyond the limit or the term and, **after two
  effective collections by the issuer, has not repaid for more than three
  months** (经发卡银行两次有效催收后超过三个月仍不归还) commits malicious overdraft
  (恶意透支) if the overdraft was with intent to possess illegally;
* art. 7: a collection is effective when it is made after the overdraft went
  past its limit or term, in a way that confirms the cardholder received it,
  lawfully, and **the two collections are at least 30 days apart**.

What this module computes, exactly (dates are the account's local calendar dates):

1. Only collections on a date after the missed due date count (art. 7: after
   the overdraft went past its term); ``count`` is how many there are.
2. The qualifying pair is the earliest possible one: the *later* collection is
   the first one at least 30 days after the first counted collection (an
   earlier first collection can only make the gap larger, so the first counted
   one is always the best partner).
3. "More than three months" after the later collection: the day after the
   same day-of-month three calendar months later (clamped to the month's end:
   30 November + 3 months = 28/29 February, so the earliest date is 1 March).
4. ``earliest`` is that date when a pair exists. Without a pair it is where
   the future could put it: the second collection no earlier than the first
   counted one + 30 days and no earlier than ``today`` (a collection cannot be
   made in the past), then rule 3. With no collection at all there is no date.
5. Nothing is owed any more (``unpaid`` false): no date; the test cannot be met.

This is an indicator for the bank's legal team, not a finding: intent (art. 6
para. 2) and the amounts (art. 8) are for them and the court.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from arrears.domain.months import add_months

MIN_DAYS_APART = 30
UNPAID_MONTHS = 3


@dataclass(frozen=True)
class RegisterView:
    count: int  # effective collections counted (those after the due date)
    first: date | None
    qualifying_pair: tuple[date, date] | None  # the earliest pair at least 30 days apart, if any
    earliest: date | None  # the earliest date the art. 6 criteria could be met
    met: bool  # earliest has come while still unpaid


def unpaid_long_enough_from(later_collection: date) -> date:
    """The first date that is *more than* three months after the later collection."""
    return add_months(later_collection, UNPAID_MONTHS) + timedelta(days=1)


def malicious_overdraft_register(
    collections: Iterable[date], *, due_date: date, unpaid: bool, today: date
) -> RegisterView:
    counted = sorted(d for d in collections if d > due_date)
    first = counted[0] if counted else None
    pair: tuple[date, date] | None = None
    if first is not None:
        later = next((d for d in counted if (d - first).days >= MIN_DAYS_APART), None)
        if later is not None:
            pair = (first, later)
    if not unpaid or first is None:
        earliest = None
    elif pair is not None:
        earliest = unpaid_long_enough_from(pair[1])
    else:
        earliest = unpaid_long_enough_from(max(first + timedelta(days=MIN_DAYS_APART), today))
    return RegisterView(
        count=len(counted),
        first=first,
        qualifying_pair=pair,
        earliest=earliest,
        met=pair is not None and earliest is not None and earliest <= today,
    )
