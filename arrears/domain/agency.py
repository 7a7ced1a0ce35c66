"""Outside collection agencies: who gets a placement, what they earn, when it ends.

Plain functions over plain values; the activities hold the agencies and their
placements, the workflow waits for the end of a placement period.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from arrears.domain.money import minor_units, parse_amount

# The channel a payment reported by an agency arrives on (PaymentInput.channel).
AGENCY_CHANNEL = "agency"


class Agency(BaseModel):
    """One agency under contract, as the agencies file lists it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    agency_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    name: str = Field(min_length=1, max_length=200)
    commission_percent: Decimal
    capacity: int = Field(ge=1)
    placement_days: int = Field(ge=1, le=365)

    @field_validator("commission_percent", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("give the commission as text or Decimal, not a float")
        if isinstance(value, str):
            return parse_amount(value)
        return value

    @field_validator("commission_percent")
    @classmethod
    def _percent(cls, value: Decimal) -> Decimal:
        if not 0 < value < 100:
            raise ValueError(f"commission must be above 0 and below 100 percent, got {value}")
        return value


@dataclass(frozen=True)
class AgencyLoad:
    """An agency with the number of accounts it holds now."""

    agency: Agency
    placed: int
    active: bool = True


def choose_agency(loads: list[AgencyLoad]) -> Agency | None:
    """The agency for the next placement, or None when none has room.

    Least loaded relative to its capacity, so a large agency takes
    proportionally more; ties go to the lowest agency_id, so the same state
    always gives the same answer. Load is compared as an exact fraction.
    """
    eligible = [load for load in loads if load.active and load.placed < load.agency.capacity]
    if not eligible:
        return None
    best = min(eligible, key=lambda load: (Fraction(load.placed, load.agency.capacity), load.agency.agency_id))
    return best.agency


def commission(amount: Decimal, percent: Decimal, currency: str) -> Decimal:
    """The agency's commission on a payment, rounded half up to the currency's minor unit."""
    quantum = Decimal(1).scaleb(-minor_units(currency))
    return (amount * percent / 100).quantize(quantum, rounding=ROUND_HALF_UP)


def placement_end(start: datetime, placement_days: int, timezone: str) -> datetime:
    """``placement_days`` calendar days after ``start`` at the same local time (UTC instant).

    Calendar days in the account's zone, so a period that spans a DST change
    still ends at the hour it began.
    """
    zone = ZoneInfo(timezone)
    local = start.astimezone(zone)
    ends = datetime.combine(
        local.date() + timedelta(days=placement_days), local.timetz().replace(tzinfo=None), tzinfo=zone
    )
    return ends.astimezone(ZoneInfo("UTC"))


class PlacementRecord(BaseModel):
    """A running placement as the workflow carries it (and continues as new with it)."""

    placement_id: int
    idempotency_key: str
    agency_id: str
    agency_name: str
    commission_percent: Decimal
    placement_days: int  # as agreed when placed: a later agencies file does not change it
    placed_at: datetime
    ends_at: datetime  # end of the current period (collection time, UTC)
    status: str = "placed"  # placed | renewed | recalled | closed
    renewals: int = 0
    # Payments the agency reported in the current period: none by its end means recall.
    period_payments: int = 0
    collected: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)
