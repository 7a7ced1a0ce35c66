"""How a delinquent balance grows: a strategy file's ``[pricing]`` section.

Defaults follow common practice at Chinese card issuers, whose terms the
default strategy is written for:

- penalty interest of 0.05% a day (日息万分之五), the rate most issuers
  still charge; it was the regulated ceiling until 2021;
- interest compounds (unpaid interest bears interest from the next posting),
  as card agreements there say (按月计收复利);
- no interest on fees: the People's Bank forbids interest on late fees and
  service fees (银发〔2016〕111号);
- a late fee (违约金) of 5% of the unpaid part of the minimum payment,
  which replaced the old 滞纳金 in 2017; no floor or cap, as amounts
  depend on the currency and the issuer (set them per portfolio);
- a minimum payment of 10% of the balance each cycle.

This module must not import :mod:`arrears.domain.strategy`: the strategy
imports it.
"""

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from arrears.domain.money import minor_units

Component = Literal["fees", "interest", "principal"]
COMPONENTS: tuple[Component, ...] = ("fees", "interest", "principal")

_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}

# Re-age limits by preset. US interagency retail credit policy (2000): the
# borrower shows willingness and ability to pay with three consecutive minimum
# monthly payments (or the equivalent cumulative amount); an account is re-aged
# at most once in twelve months and twice in five years.
REAGE_PRESETS: dict[str, dict[str, Any]] = {
    "us-interagency": {
        "min_consecutive_payments": 3,
        "allow_cumulative": True,
        "max_per_12_months": 1,
        "max_per_5_years": 2,
    },
}


class ReagePolicy(BaseModel):
    """When an account may be brought current by agreement rather than by payment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A preset's values are the base; fields given next to it override them.
    preset: Literal["us-interagency"] | None = "us-interagency"
    min_consecutive_payments: int = Field(default=3, ge=1, le=12)
    # "Three consecutive minimum payments or the equivalent cumulative amount":
    # a short month made up by a larger next one still counts when True.
    allow_cumulative: bool = True
    max_per_12_months: int = Field(default=1, ge=0, le=12)
    max_per_5_years: int = Field(default=2, ge=0, le=60)

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset") in REAGE_PRESETS:
            return {**REAGE_PRESETS[data["preset"]], **data}
        return data

    @model_validator(mode="after")
    def _check_limits(self) -> "ReagePolicy":
        if self.max_per_5_years < self.max_per_12_months:
            raise ValueError(
                f"max_per_5_years ({self.max_per_5_years}) cannot be below max_per_12_months ({self.max_per_12_months})"
            )
        return self


class Pricing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Penalty interest on the outstanding balance, in percent per day or per year.
    penalty_rate: Decimal = Field(default=Decimal("0.05"), ge=0, le=100)
    rate_basis: Literal["daily", "annual"] = "daily"
    # Days in the year an annual rate is divided by (ignored for a daily rate).
    day_count: Literal[360, 365] = 365
    # Whether posted, unpaid interest bears interest ("compound") or only principal
    # (and fees, if allowed) does ("simple").
    compounding: Literal["simple", "compound"] = "compound"
    # Whether fees bear interest; False forbids it, whatever the compounding.
    interest_on_fees: bool = False
    # Late fee per missed cycle: a percentage of the minimum left unpaid at the end
    # of the due date, then raised to the floor and lowered to the cap (account currency).
    late_fee_percent: Decimal = Field(default=Decimal("5"), ge=0, le=100)
    late_fee_floor: Decimal = Field(default=Decimal("0"), ge=0)
    late_fee_cap: Decimal | None = Field(default=None, ge=0)
    # Minimum due each new cycle: a percentage of the balance, at least the floor,
    # never more than what is owed.
    minimum_payment_percent: Decimal = Field(default=Decimal("10"), gt=0, le=100)
    minimum_payment_floor: Decimal = Field(default=Decimal("0"), ge=0)
    # Applied at every posting, to the currency's minor units.
    rounding: Literal["half_up", "half_even", "down"] = "half_up"
    # Which part of the balance a payment pays first.
    allocation: tuple[Component, Component, Component] = ("fees", "interest", "principal")
    reage: ReagePolicy = ReagePolicy()

    @field_validator(
        "penalty_rate",
        "late_fee_percent",
        "late_fee_floor",
        "late_fee_cap",
        "minimum_payment_percent",
        "minimum_payment_floor",
        mode="before",
    )
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        # TOML reads 0.05 as a binary float; "0.05" (a string) or an integer is exact.
        if isinstance(value, float):
            raise ValueError(f'write money and rates as strings, e.g. "{value}", so they stay exact')
        return value

    @field_validator("late_fee_cap")
    @classmethod
    def _cap_above_floor(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        floor = info.data.get("late_fee_floor")
        if value is not None and floor is not None and value < floor:
            raise ValueError(f"the cap ({value}) must not be below late_fee_floor ({floor})")
        return value

    @field_validator("allocation")
    @classmethod
    def _permutation(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if sorted(value) != sorted(COMPONENTS):
            raise ValueError(
                f"list fees, interest and principal once each, in the order payments pay them; got {list(value)}"
            )
        return value

    def daily_rate(self) -> Decimal:
        """The penalty rate per day as a fraction (0.05% a day -> 0.0005)."""
        if self.rate_basis == "daily":
            return self.penalty_rate / 100
        return self.penalty_rate / 100 / self.day_count

    def rate_text(self) -> str:
        if self.rate_basis == "daily":
            return f"{self.penalty_rate}%"
        return f"{self.penalty_rate}%/{self.day_count}"

    def round(self, amount: Decimal, currency: str) -> Decimal:
        return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=_ROUNDING[self.rounding])


class PricingError(ValueError):
    """A pricing section that cannot be used; the message names the field."""


def parse_pricing(data: Any, source: str = "pricing") -> Pricing:
    """Validate a ``[pricing]`` table, naming each bad field (``pricing.late_fee_cap: ...``)."""
    if not isinstance(data, dict):
        raise PricingError(f"{source}: expected a table of settings")
    try:
        return Pricing.model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            where = ".".join(str(part) for part in (source, *e["loc"]))
            problems.append(f"{where}: {e['msg'].removeprefix('Value error, ')}")
        raise PricingError("; ".join(problems)) from None
