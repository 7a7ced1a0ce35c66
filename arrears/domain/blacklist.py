"""The internal blacklist: who may not get a new card or a higher limit, and until when.

An entry is listed for a reason from a date. While the account is delinquent
it has no end (``listed_until`` is None); when the account cures, the entry
gets its removal date: the cure date plus the strategy's restoration period.
``listed_until`` is the first day the entry no longer applies, so an entry
listed until 1 June blocks on 31 May and not on 1 June.

Each entry names what it blocks, as the policy said when it was listed: a later
policy change does not widen or narrow an entry already on record.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class BlacklistPurpose(StrEnum):
    NEW_CARD = "new_card"
    LIMIT_INCREASE = "limit_increase"


ALL_PURPOSES: tuple[BlacklistPurpose, ...] = tuple(BlacklistPurpose)


def _distinct_purposes(value: tuple[BlacklistPurpose, ...]) -> tuple[BlacklistPurpose, ...]:
    if not value:
        raise ValueError(f"list at least one purpose ({', '.join(ALL_PURPOSES)})")
    if len(set(value)) != len(value):
        raise ValueError("a purpose is listed twice")
    return value


class BlacklistPolicy(BaseModel):
    """When an account is listed and how long after a cure it stays (a strategy section)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # M4: the account has been 90 days unpaid; listing earlier would bar customers who pay late once.
    list_at_dpd: int = Field(default=91, ge=1, le=180)
    # Days after the cure before the entry ends: the bank watches a cured account for a while.
    restoration_days: int = Field(default=180, ge=0, le=5 * 366)
    blocks: tuple[BlacklistPurpose, ...] = ALL_PURPOSES
    reason: str = Field(default="delinquency", min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")

    _check_blocks = field_validator("blocks")(lambda cls, v: _distinct_purposes(v))


class BlacklistEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(min_length=1)
    listed_from: date
    listed_until: date | None = None
    blocks: tuple[BlacklistPurpose, ...] = ALL_PURPOSES

    _check_blocks = field_validator("blocks")(lambda cls, v: _distinct_purposes(v))

    @model_validator(mode="after")
    def _order(self) -> "BlacklistEntry":
        if self.listed_until is not None and self.listed_until < self.listed_from:
            raise ValueError(f"listed_until ({self.listed_until}) is before listed_from ({self.listed_from})")
        return self

    def active_on(self, day: date) -> bool:
        return self.listed_from <= day and (self.listed_until is None or day < self.listed_until)


@dataclass(frozen=True)
class BlacklistCheck:
    blocked: bool
    reason: str | None = None
    listed_from: date | None = None
    until: date | None = None  # first day no longer blocked; None while blocked without an end


def should_list(dpd: int, policy: BlacklistPolicy) -> bool:
    return dpd >= policy.list_at_dpd


def is_blocked(entries: Iterable[BlacklistEntry], on_date: date, purpose: BlacklistPurpose | str) -> BlacklistCheck:
    """Whether ``purpose`` is blocked on ``on_date``, by the entry that blocks longest.

    The longest one is what the caller needs to know ("not before ..."); an
    entry without an end outlasts any dated one.
    """
    purpose = BlacklistPurpose(purpose)
    blocking = [e for e in entries if purpose in e.blocks and e.active_on(on_date)]
    if not blocking:
        return BlacklistCheck(blocked=False)
    longest = max(blocking, key=lambda e: (e.listed_until is None, e.listed_until or date.min, e.listed_from))
    return BlacklistCheck(
        blocked=True, reason=longest.reason, listed_from=longest.listed_from, until=longest.listed_until
    )


def removal_date(cure_date: date, policy: BlacklistPolicy) -> date:
    """The first day the entry no longer applies: the restoration period counted from the cure."""
    return cure_date + timedelta(days=policy.restoration_days)
