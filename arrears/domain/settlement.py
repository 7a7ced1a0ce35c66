"""Settlements: a discounted payoff, offered until a date, within the approver's limit."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from pydantic import BaseModel

from arrears.domain.ladder import local_moment
from arrears.domain.strategy import Role, SettlementPolicy


class SettlementOffer(BaseModel):
    offer_id: str
    amount: Decimal
    expires_on: date  # last day to pay, in the account's time zone
    approved_by: str
    approver_role: Role
    balance_at_offer: Decimal
    paid_before: Decimal  # payments already made when the offer was given
    made_at: datetime
    expires_at: datetime
    status: str = "open"  # open | paid | expired | replaced

    def same_terms(self, amount: Decimal, expires_on: date, approved_by: str, approver_role: Role) -> bool:
        return (self.amount, self.expires_on, self.approved_by, self.approver_role) == (
            amount,
            expires_on,
            approved_by,
            approver_role,
        )


def offer_expiry(expires_on: date, timezone: str) -> datetime:
    """The end of the last day to pay, in the account's zone (UTC instant)."""
    return local_moment(expires_on, 1, time(0, 0), timezone)


def discount_percent(amount: Decimal, balance: Decimal) -> Decimal:
    return (balance - amount) * 100 / balance


def settlement_refusal(
    *,
    offer_id: str,
    amount: Decimal,
    expires_on: date,
    approved_by: str,
    approver_role: Role,
    replace: bool,
    today: date,
    balance: Decimal,
    existing: SettlementOffer | None,
    open_offer: SettlementOffer | None,
    ended: str | None,
    policy: SettlementPolicy,
) -> str | None:
    """Why this offer cannot be made, or None. A same-terms repeat is not refused."""
    if existing is not None:
        if existing.same_terms(amount, expires_on, approved_by, approver_role):
            return None
        return f"offer_id {offer_id} was already used with different terms"
    if ended:
        return f"the episode has ended ({ended}); no settlement can be offered"
    if amount <= 0:
        return f"settlement amount must be positive, got {amount}"
    if amount >= balance:
        return f"a settlement must be below the balance {balance}, got {amount}"
    if expires_on < today:
        return f"expiry date {expires_on} is in the past (today is {today} in the account's time zone)"
    if expires_on > today + timedelta(days=policy.max_validity_days):
        return f"expiry date {expires_on} is beyond the {policy.max_validity_days}-day limit for an offer"
    if not approved_by.strip():
        return "approved_by is required"
    limit = policy.max_discount_percent.get(approver_role, Decimal(0))
    discount = discount_percent(amount, balance)
    if discount > limit:
        return (
            f"a {discount:.2f}% discount is above the {approver_role.value} limit of {limit}%: "
            "a higher role must approve"
        )
    if open_offer is not None and not replace:
        return f"offer {open_offer.offer_id} is still open; send replace=true to replace it"
    return None


def settled(offer: SettlementOffer, paid_total: Decimal) -> bool:
    return paid_total - offer.paid_before >= offer.amount
