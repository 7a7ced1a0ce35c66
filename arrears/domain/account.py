"""One row of an operator's import file: an overdue account, validated.

Every field carries the bound of the column it is stored in (arrears.domain.bounds),
so a row that validates is a row the record can hold.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from arrears.domain.bounds import (
    AccountId,
    CurrencyCode,
    Line8,
    Line64,
    Line254,
    Money,
    Name200Given,
    Paragraph500Given,
    PhoneLine,
    SaneDate,
    TimeZoneName,
    due_date_problem,
    tender_on,
)
from arrears.domain.money import has_valid_scale, minor_units, parse_amount
from arrears.domain.strategy import Segment

LANGUAGES = ("zh-CN", "en")
# contacts: a short list of small objects. Deeper nesting is refused before it can exhaust the stack.
MAX_CONTACTS = 20
MAX_CONTACT_DEPTH = 3
MAX_CONTACT_FIELD = 500


class AccountRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account_id: AccountId
    customer_name: Name200Given
    phone: PhoneLine = Field(pattern=r"^\+?[0-9][0-9 \-]{3,30}$")
    email: Line254 = ""
    billing_address: Paragraph500Given  # registered letters go here; may span lines
    language: Line8
    timezone: TimeZoneName
    risk_segment: Segment
    currency: CurrencyCode
    overdue_amount: Money
    total_balance: Money
    due_date: SaneDate
    # Contact persons (guarantor, employer...): a JSON list of objects, approached only to locate the cardholder.
    contacts: list[dict[str, Any]] | None = None
    # Field-visit territory (branch or district code) that routes visits to collectors covering it.
    region: Line64 | None = None

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> Any:
        return value or None  # an empty CSV cell means "not known"

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and ("@" not in value or value.startswith("@") or value.endswith("@")):
            # The address itself stays out of the message: reject lines must not carry personal data.
            raise ValueError("not an email address (no local part, @ and domain)")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {value!r}")
        return value

    @field_validator("currency")
    @classmethod
    def _tender_today(cls, value: str, info: ValidationInfo) -> str:
        today = _today(info)
        if value not in tender_on(today):
            raise ValueError(f"{value} is no longer legal tender anywhere (as of {today})")
        return value

    @field_validator("due_date")
    @classmethod
    def _due(cls, value: date, info: ValidationInfo) -> date:
        problem = due_date_problem(value, _today(info))
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("contacts", mode="before")
    @classmethod
    def _contacts(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if not isinstance(value, list):
            raise ValueError(f"contacts must be a JSON list of objects, got {type(value).__name__}")
        if len(value) > MAX_CONTACTS:
            raise ValueError(f"at most {MAX_CONTACTS} contact persons, got {len(value)}")
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise ValueError(f"contacts[{index}] must be an object, got {type(entry).__name__}")
            _check_contact(entry, f"contacts[{index}]", 2)
        return value

    @field_validator("overdue_amount", "total_balance", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Decimal:
        if isinstance(value, float):
            # JSON numbers arrive as float; their text is what the file said.
            value = repr(value)
        return parse_amount(value, exponent=False)

    @model_validator(mode="after")
    def _amounts(self) -> "AccountRow":
        if self.overdue_amount <= 0:
            raise ValueError("overdue_amount must be positive (an account with nothing overdue is not in arrears)")
        if self.total_balance < self.overdue_amount:
            raise ValueError("total_balance must be at least overdue_amount")
        for name in ("overdue_amount", "total_balance"):
            if not has_valid_scale(getattr(self, name), self.currency):
                raise ValueError(f"{name} has more decimals than {self.currency} allows ({minor_units(self.currency)})")
        return self


def _today(info: ValidationInfo) -> date:
    """The import's today (UTC): tests and back-dated runs pass ``context={"today": ...}``."""
    given = (info.context or {}).get("today") if info.context else None
    return given or datetime.now(UTC).date()


def _check_contact(value: Any, where: str, depth: int) -> None:
    """Contact entries are flat: a few short strings (name, relationship, phone), nothing nested deeply."""
    if depth > MAX_CONTACT_DEPTH:
        raise ValueError(f"{where} is nested deeper than {MAX_CONTACT_DEPTH} levels")
    if isinstance(value, dict):
        for key, inner in value.items():
            _check_contact(inner, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_contact(inner, f"{where}[{index}]", depth + 1)
    elif isinstance(value, str) and (len(value) > MAX_CONTACT_FIELD or "\x00" in value):
        raise ValueError(f"{where} is longer than {MAX_CONTACT_FIELD} characters or holds a NUL byte")
