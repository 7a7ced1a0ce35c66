"""What a ledger is computed from: the opening position and the dated events (arrears.domain.ledger).

No I/O, no clock, no randomness: the workflow imports this module.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.domain.money import has_valid_scale

ZERO = Decimal(0)


class Opening(BaseModel):
    """Where the episode starts: the balance at the end of the missed due date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    episode_id: str = Field(min_length=1)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    due_date: date  # the missed due date: cycle 0
    principal: Decimal = Field(ge=0)
    interest: Decimal = Field(default=ZERO, ge=0)
    fees: Decimal = Field(default=ZERO, ge=0)
    overdue_minimum: Decimal = Field(ge=0)  # cycle 0's minimum, unpaid at the end of its due date

    @model_validator(mode="after")
    def _check(self) -> "Opening":
        for name in ("principal", "interest", "fees", "overdue_minimum"):
            if not has_valid_scale(getattr(self, name), self.currency):
                raise ValueError(f"{name}: {getattr(self, name)} has more decimals than {self.currency} allows")
        if self.overdue_minimum > self.principal + self.interest + self.fees:
            raise ValueError(f"overdue_minimum {self.overdue_minimum} is more than the balance")
        return self


class PaymentEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["payment"] = "payment"
    on: date  # the account's local date
    payment_id: str = Field(min_length=1)
    amount: Decimal = Field(gt=0)


class WaiverEvent(BaseModel):
    """Forgiving fees or interest (a plan's fee waiver, a goodwill decision)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["waiver"] = "waiver"
    on: date
    waiver_id: str = Field(min_length=1)
    amount: Decimal = Field(gt=0)
    # What it forgives, in order; principal is forgiven only by a write-off.
    components: tuple[Literal["fees", "interest"], ...] = ("fees", "interest")


class RateDiscountEvent(BaseModel):
    """A plan's penalty-rate discount from this day on; percent 0 ends it (the plan broke)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["rate_discount"] = "rate_discount"
    on: date
    plan_id: str = Field(min_length=1)
    percent: Decimal = Field(ge=0, le=100)


class ReageEvent(BaseModel):
    """Brought current by agreement: past-due minimums are no longer past due; the balance stays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["reage"] = "reage"
    on: date
    reage_id: str = Field(min_length=1)


class WriteOffEvent(BaseModel):
    """The whole remaining balance written off (charge-off, or what a paid settlement forgave)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["write_off"] = "write_off"
    on: date
    write_off_id: str = Field(min_length=1)
    reason: str = ""


class ChargeEvent(BaseModel):
    """A cost the agreement lets the bank charge to the cardholder (recoverable legal costs), posted as a fee."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["charge"] = "charge"
    on: date
    charge_id: str = Field(min_length=1)
    amount: Decimal = Field(gt=0)
    what: str = ""


LedgerEvent = Annotated[
    PaymentEvent | WaiverEvent | RateDiscountEvent | ReageEvent | WriteOffEvent | ChargeEvent,
    Field(discriminator="kind"),
]
