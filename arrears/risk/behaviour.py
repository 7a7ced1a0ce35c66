"""One statement month of a card account's behaviour, validated (pure).

The statement is cut on the month's last day: balance, minimum due, limit,
cash advances and the amount over the limit are as of that cut; ``amount_paid``
is what the account received during the month (paying the previous statement)
and ``payment_reversals`` the payments returned unpaid in it.
"""

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arrears.domain.bounds import AccountId, Count, CurrencyCode, Money, SaneDate
from arrears.domain.money import has_valid_scale, parse_amount

REQUIRED_COLUMNS = (
    "account_id",
    "statement_month",
    "credit_limit",
    "statement_balance",
    "minimum_due",
    "amount_paid",
    "cash_advance",
    "over_limit_amount",
    "months_on_book",
    "payment_reversals",
)
OPTIONAL_COLUMNS = ("currency", "payment_due_date")
AMOUNTS = ("credit_limit", "statement_balance", "minimum_due", "amount_paid", "cash_advance", "over_limit_amount")
# Without a currency the record's own precision (NUMERIC(20, 4)) is the limit.
MAX_PLACES = 4


def month_end(month: date) -> date:
    """The statement date of a statement month: its last day."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def known_from(month: date) -> date:
    """The first day a statement month's figures can be used: the day after its cut."""
    return month_end(month) + timedelta(days=1)


class BehaviourRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account_id: AccountId = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    statement_month: SaneDate
    credit_limit: Money
    statement_balance: Money
    minimum_due: Money
    amount_paid: Money
    cash_advance: Money
    over_limit_amount: Money
    months_on_book: Count = Field(ge=0, le=1200)
    payment_reversals: Count = Field(ge=0, le=100)
    currency: CurrencyCode | None = None
    payment_due_date: SaneDate | None = None

    @field_validator("statement_month", mode="before")
    @classmethod
    def _month(cls, value: Any) -> Any:
        # "2026-10" or "2026-10-01" (the month's first day); any other day is a mistake to point out.
        if isinstance(value, str):
            text = value.strip()
            try:
                parsed = date.fromisoformat(text + "-01" if len(text) == 7 else text)
            except ValueError:
                raise ValueError(f"give the month as YYYY-MM, got {value!r}") from None
            if parsed.day != 1:
                raise ValueError(f"give the month as YYYY-MM (or its first day), got {value!r}")
            return parsed
        return value

    @field_validator("currency", "payment_due_date", mode="before")
    @classmethod
    def _optional(cls, value: Any) -> Any:
        return value or None  # an empty CSV cell: not given

    @field_validator(*AMOUNTS, mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Decimal:
        if isinstance(value, float):
            value = repr(value)  # a JSON number: its text is what the file said
        return parse_amount(value)

    @model_validator(mode="after")
    def _consistent(self) -> "BehaviourRow":
        for name in AMOUNTS:
            amount = getattr(self, name)
            if self.currency and not has_valid_scale(amount, self.currency):
                raise ValueError(f"{name} has more decimals than {self.currency} allows")
            exponent = amount.normalize().as_tuple().exponent
            if isinstance(exponent, int) and -exponent > MAX_PLACES:
                raise ValueError(f"{name} has more than {MAX_PLACES} decimals")
            if name != "statement_balance" and amount < 0:
                raise ValueError(f"{name} must not be negative, got {amount}")
        if self.credit_limit <= 0:
            raise ValueError("credit_limit must be positive")
        if self.over_limit_amount > max(self.statement_balance, Decimal(0)):
            raise ValueError(
                f"over_limit_amount ({self.over_limit_amount}) exceeds the statement balance ({self.statement_balance})"
            )
        if self.minimum_due > max(self.statement_balance, Decimal(0)):
            raise ValueError(
                f"minimum_due ({self.minimum_due}) exceeds the statement balance ({self.statement_balance})"
            )
        if self.payment_due_date is not None and self.payment_due_date <= month_end(self.statement_month):
            raise ValueError(
                f"payment_due_date {self.payment_due_date} must be after the statement date "
                f"{month_end(self.statement_month)}"
            )
        return self
