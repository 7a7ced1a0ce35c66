"""What a strategy lets the desk agree and how it treats holds: promises, settlements, plans, the
desk's queues, hold reviews, restoration after cure, legal rechecks."""

from datetime import time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from arrears.domain.strategy.steps import Action, Step


class PromisePolicy(BaseModel):
    """How promises to pay are taken and judged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_horizon_days: int = Field(default=14, ge=1, le=90)
    grace_days: int = Field(default=1, ge=0, le=14)
    broken_limit: int = Field(default=2, ge=1, le=10)
    followup_at: time = time(10, 0)
    # A promise must cover at least this share of the overdue amount (0: any amount), so that a token
    # promise cannot pause escalation.
    min_share: Decimal = Field(default=Decimal(0), ge=0, le=1, max_digits=5, decimal_places=4)
    # Replacing an active promise: after this many replacements in an episode, the next needs a supervisor.
    max_replacements: int = Field(default=2, ge=0, le=10)
    # Whether each replacement also counts toward broken_limit, as a broken promise would.
    replacement_counts_as_broken: bool = False

    @field_validator("min_share", mode="before")
    @classmethod
    def _exact_share(cls, value: Any) -> Any:
        # TOML and YAML read 0.1 as a float: take its shortest decimal text, not the binary fraction.
        return Decimal(repr(value)) if isinstance(value, float) else value

    @field_validator("followup_at", mode="before")
    @classmethod
    def _parse_followup_at(cls, value: Any) -> Any:
        return Step._parse_at(value)


class Role(StrEnum):
    COLLECTOR = "collector"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"


class SettlementPolicy(BaseModel):
    """Discounted payoffs: how long an offer may stay open, and who may forgive how much."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_validity_days: int = Field(default=30, ge=1, le=180)
    # Largest share of the total balance each role may forgive, in percent.
    max_discount_percent: dict[Role, Decimal] = {
        Role.COLLECTOR: Decimal("10"),
        Role.SUPERVISOR: Decimal("30"),
        Role.MANAGER: Decimal("60"),
    }

    @field_validator("max_discount_percent")
    @classmethod
    def _percent(cls, value: dict[Role, Decimal]) -> dict[Role, Decimal]:
        for role, pct in value.items():
            if not Decimal(0) <= pct < Decimal(100):
                raise ValueError(f"{role.value}: a discount is a percentage from 0 to below 100, got {pct}")
        return value


def _role_percentages(value: dict[Role, Decimal]) -> dict[Role, Decimal]:
    for role, pct in value.items():
        if not Decimal(0) <= pct <= Decimal(100):
            raise ValueError(f"{role.value}: a percentage from 0 to 100, got {pct}")
    return value


class PlanPolicy(BaseModel):
    """Negotiated instalment plans (个性化分期): limits and who may grant what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_instalment_within_days: int = Field(default=30, ge=1, le=90)
    max_term_months: int = Field(default=60, ge=1, le=120)  # five years: the Chinese personalised-instalment limit
    grace_days: int = Field(default=3, ge=0, le=30)
    # Largest fee waiver (percent of the overdue amount) and interest-rate discount each role may grant.
    max_fee_waiver_percent: dict[Role, Decimal] = {
        Role.COLLECTOR: Decimal("0"),
        Role.SUPERVISOR: Decimal("10"),
        Role.MANAGER: Decimal("50"),
    }
    max_rate_discount_percent: dict[Role, Decimal] = {
        Role.COLLECTOR: Decimal("0"),
        Role.SUPERVISOR: Decimal("20"),
        Role.MANAGER: Decimal("50"),
    }

    _check_waiver = field_validator("max_fee_waiver_percent", "max_rate_discount_percent")(
        lambda cls, v: _role_percentages(v)
    )


class DeskPolicy(BaseModel):
    """How the ladder's call and visit tasks reach people."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Hours from a task's due time to its SLA; past it, the task goes to the team's supervisor queue.
    sla_hours: dict[Action, int] = {Action.CALL: 24, Action.VISIT: 72}
    # Accounts owing at least this much are worked by this role or above.
    senior_overdue: Decimal = Field(default=Decimal("50000"), gt=0)
    senior_role: Role = Role.SUPERVISOR

    @field_validator("sla_hours")
    @classmethod
    def _sla(cls, value: dict[Action, int]) -> dict[Action, int]:
        for action, hours in value.items():
            if action not in (Action.CALL, Action.VISIT):
                raise ValueError(f"an SLA applies to call and visit tasks, not {action.value}")
            if not 1 <= hours <= 24 * 30:
                raise ValueError(f"{action.value}: SLA hours from 1 to 720, got {hours}")
        return value


class HoldPolicy(BaseModel):
    """Defaults for holds a collector's outcome places (see arrears.domain.holds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A hardship_claimed outcome pauses escalation this long: a month covers one pay cycle
    # and the next statement, after which the customer is asked again.
    hardship_days: int = Field(default=30, ge=1, le=180)  # 180: holds.MAX_HARDSHIP_DAYS (holds imports this module)


class RestorationPolicy(BaseModel):
    """What a cure gives back besides lifting restrictions and dating the blacklist entry's end."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A thank-you in the customer's language once the account is current again; none: no message.
    courtesy_template: str | None = Field(default="sms_restored", pattern=r"^[a-z0-9_]+$")


class LegalRecheck(BaseModel):
    """How a legal step refused by the criteria is tried again."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every_days: int = Field(default=7, ge=1, le=90)
