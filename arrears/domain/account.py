"""One row of an operator's import file: an overdue account, validated."""

from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arrears.domain.money import has_valid_scale, parse_amount
from arrears.domain.strategy import Segment

LANGUAGES = ("zh-CN", "en")


class AccountRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    customer_name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=5, max_length=32, pattern=r"^\+?[0-9][0-9 \-]{3,30}$")
    email: str = Field(default="", max_length=254)
    billing_address: str = Field(min_length=1, max_length=500)
    language: str
    timezone: str
    risk_segment: Segment
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    overdue_amount: Decimal
    total_balance: Decimal
    due_date: date
    # Free-form extra contacts (guarantor, employer...) kept for later issues.
    contacts: Any = None
    # Field-visit territory (branch or district code) that routes visits to collectors covering it.
    region: str | None = Field(default=None, max_length=64)

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> Any:
        return value or None  # an empty CSV cell means "not known"

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and ("@" not in value or value.startswith("@") or value.endswith("@")):
            raise ValueError(f"not an email address: {value!r}")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("overdue_amount", "total_balance", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Decimal:
        if isinstance(value, float):
            # JSON numbers arrive as float; their text is what the file said.
            value = repr(value)
        return parse_amount(value)

    @model_validator(mode="after")
    def _amounts(self) -> "AccountRow":
        if self.overdue_amount <= 0:
            raise ValueError("overdue_amount must be positive (an account with nothing overdue is not in arrears)")
        if self.total_balance < self.overdue_amount:
            raise ValueError("total_balance must be at least overdue_amount")
        for name in ("overdue_amount", "total_balance"):
            if not has_valid_scale(getattr(self, name), self.currency):
                raise ValueError(f"{name} has more decimals than {self.currency} allows")
        return self
