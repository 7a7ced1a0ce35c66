"""Legal referral: when the ``legal`` step may refer an account, and a legal case's life.

Referral criteria (``LegalCriteria``). The preset ``cn-malicious-overdraft``
follows the 2018 interpretation on credit-card crimes (法释〔2009〕19号 as
amended by 法释〔2018〕19号):

* art. 6-7: at least two effective collections, at least 30 days apart, made
  after the overdraft went past its term (after the missed due date);
* art. 6: more than three months unpaid after the second: the referral is
  possible from the day after the same day-of-month three calendar months
  after the second collection (clamped to a shorter month's end, see
  ``arrears.domain.register.unpaid_long_enough_from``);
* art. 8: the principal (本金, not interest or fees) of 50,000 yuan or more,
  "数额较大". Chinese law reads 以上 as including the number itself (Criminal
  Law art. 99), so the threshold is inclusive.

The preset ``none`` refers whenever the ladder reaches the step. A criterion
whose threshold is 0 is not checked.

This decides whether the bank's legal team receives the account, nothing more:
intent and the court's view are theirs.

A legal case moves forward only: referred -> filed -> judgment -> enforcement
-> closed, and may be closed from any state; every change is an event with a
date, and events may also carry a cost and a document without changing state.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arrears.domain.bounds import Id64, Money, Note, Ref500, SaneDate
from arrears.domain.evidence_ids import EvidenceId
from arrears.domain.register import add_months


class LegalCriteria(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: str = Field(default="custom", max_length=64)
    min_effective_collections: int = Field(default=2, ge=0, le=10)
    min_days_between: int = Field(default=30, ge=0, le=365)
    # Unpaid for *more than* this many calendar months after the last required collection.
    months_unpaid_after_last: int = Field(default=3, ge=0, le=36)
    min_principal: Decimal = Field(default=Decimal("50000"), ge=0)
    principal_currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")

    @field_validator("min_principal", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("give the amount as text or an integer, not a float")
        return value

    @model_validator(mode="after")
    def _anchor(self) -> "LegalCriteria":
        if self.months_unpaid_after_last and not self.min_effective_collections:
            raise ValueError(
                "months_unpaid_after_last counts from a collection: min_effective_collections must be at least 1"
            )
        return self


LEGAL_PRESETS: dict[str, LegalCriteria] = {
    "cn-malicious-overdraft": LegalCriteria(
        preset="cn-malicious-overdraft",
        min_effective_collections=2,
        min_days_between=30,
        months_unpaid_after_last=3,
        min_principal=Decimal("50000"),
        principal_currency="CNY",
    ),
    "none": LegalCriteria(
        preset="none",
        min_effective_collections=0,
        min_days_between=0,
        months_unpaid_after_last=0,
        min_principal=Decimal(0),
    ),
}


def legal_preset(name: str) -> LegalCriteria:
    try:
        return LEGAL_PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown legal criteria preset {name!r}; use {', '.join(sorted(LEGAL_PRESETS))}") from None


class LegalPolicy(BaseModel):
    """Legal referral and costs (a strategy section)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    criteria: LegalCriteria = LEGAL_PRESETS["cn-malicious-overdraft"]
    # Whether court and lawyers' costs are charged to the account (posted to the ledger).
    costs_recoverable: bool = False

    @field_validator("criteria", mode="before")
    @classmethod
    def _preset_by_name(cls, value: Any) -> Any:
        """``criteria = "none"`` or ``criteria = { preset = "cn-malicious-overdraft", min_principal = "100000" }``."""
        if isinstance(value, str):
            return legal_preset(value)
        if isinstance(value, dict) and "preset" in value and value["preset"] in LEGAL_PRESETS:
            return {**LEGAL_PRESETS[value["preset"]].model_dump(), **value}
        return value


@dataclass(frozen=True)
class ReferralDecision:
    allowed: bool
    reasons: tuple[str, ...]  # each unmet criterion, or what was met when allowed
    chain: tuple[date, ...] = ()  # the collections that satisfied the spacing
    unpaid_from: date | None = None  # the first day "more than N months" holds


def _chain(dates: list[date], needed: int, min_days: int) -> tuple[date, ...]:
    """The earliest collections, each at least ``min_days`` after the previous one (greedy is earliest)."""
    picked: list[date] = []
    for day in dates:
        if not picked or (day - picked[-1]).days >= min_days:
            picked.append(day)
            if len(picked) == needed:
                break
    return tuple(picked)


def referral_decision(
    collections: Iterable[date],
    *,
    due_date: date,
    still_unpaid: bool,
    principal: Decimal,
    currency: str,
    as_of: date,
    criteria: LegalCriteria,
) -> ReferralDecision:
    """Whether the ``legal`` step may refer the account on ``as_of``, naming every unmet criterion."""
    unmet: list[str] = []
    counted = sorted(d for d in collections if due_date < d <= as_of)
    chain: tuple[date, ...] = ()
    unpaid_from: date | None = None
    need = criteria.min_effective_collections
    if need:
        chain = _chain(counted, need, criteria.min_days_between)
        if len(counted) < need:
            unmet.append(f"effective collections: {len(counted)} after the due date, {need} required")
        elif len(chain) < need:
            unmet.append(
                f"effective collections: {len(counted)}, but not {need} at least {criteria.min_days_between} days apart"
            )
    if criteria.months_unpaid_after_last:
        if not still_unpaid:
            unmet.append("nothing is unpaid any more")
        elif len(chain) == need:
            unpaid_from = add_months(chain[-1], criteria.months_unpaid_after_last) + timedelta(days=1)
            if as_of < unpaid_from:
                unmet.append(
                    f"unpaid more than {criteria.months_unpaid_after_last} months after the collection of {chain[-1]}: "
                    f"not before {unpaid_from}"
                )
    if criteria.min_principal:
        if currency != criteria.principal_currency:
            unmet.append(f"principal is in {currency}; the threshold is in {criteria.principal_currency}")
        elif principal < criteria.min_principal:
            unmet.append(f"principal {principal} {currency} is under the threshold {criteria.min_principal}")
    if unmet:
        return ReferralDecision(False, tuple(unmet), chain, unpaid_from)
    met = f"criteria {criteria.preset} met"
    if chain:
        met += f": collections {', '.join(d.isoformat() for d in chain)}"
    return ReferralDecision(True, (met,), chain, unpaid_from)


# ---- the legal case --------------------------------------------------------------------


class LegalState(StrEnum):
    REFERRED = "referred"
    FILED = "filed"
    JUDGMENT = "judgment"
    ENFORCEMENT = "enforcement"
    CLOSED = "closed"


_NEXT = {
    LegalState.REFERRED: LegalState.FILED,
    LegalState.FILED: LegalState.JUDGMENT,
    LegalState.JUDGMENT: LegalState.ENFORCEMENT,
    LegalState.ENFORCEMENT: LegalState.CLOSED,
}


class InvalidTransition(ValueError):
    pass


def transition_refusal(current: LegalState, new: LegalState) -> str | None:
    """Why a case in ``current`` cannot move to ``new``, or None."""
    if current == LegalState.CLOSED:
        return "the case is closed; nothing follows"
    if new == LegalState.CLOSED or _NEXT[current] == new:
        return None
    if new == current:
        return f"the case is already {current.value}"
    return f"a case {current.value} moves to {_NEXT[current].value} or closed, not {new.value}"


class LegalEvent(BaseModel):
    """An update to a case: a state change, a cost, a document, or several at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Id64 = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    on: SaneDate
    by: Id64 = Field(min_length=1, max_length=64)
    new_state: LegalState | None = None
    cost: Money = Field(default=Decimal(0), ge=0)
    document_id: EvidenceId | None = None  # the document uploaded to the evidence store first
    # Before the evidence store a path was given and read; kept only so that old histories load: must be empty.
    document_path: Ref500 | None = Field(default=None, max_length=500)
    note: Note = Field(default="", max_length=2000)

    @field_validator("document_path")
    @classmethod
    def _no_paths(cls, value: str | None) -> str | None:
        if value:
            raise ValueError(
                "a document is no longer named by path: upload it to the evidence store "
                "(`arrears evidence add`) and give its document_id"
            )
        return value

    @field_validator("cost", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("give the cost as text or Decimal, not a float")
        return value

    @model_validator(mode="after")
    def _something(self) -> "LegalEvent":
        if self.new_state is None and not self.cost and not self.document_id and not self.note.strip():
            raise ValueError("an event changes the state or records a cost, a document or a note")
        return self


class LegalCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    state: LegalState = LegalState.REFERRED
    referred_on: date
    last_event_on: date
    costs: Decimal = Decimal(0)
    recoverable_costs: Decimal = Decimal(0)

    def apply(self, event: LegalEvent, policy: LegalPolicy) -> "LegalCase":
        """The case after ``event``; InvalidTransition names what is wrong."""
        refusal = event_refusal(self, event)
        if refusal:
            raise InvalidTransition(refusal)
        recoverable = event.cost if policy.costs_recoverable else Decimal(0)
        return self.model_copy(
            update={
                "state": event.new_state or self.state,
                "last_event_on": event.on,
                "costs": self.costs + event.cost,
                "recoverable_costs": self.recoverable_costs + recoverable,
            }
        )


def event_refusal(case: LegalCase, event: LegalEvent) -> str | None:
    if event.on < case.last_event_on:
        return f"event dated {event.on} is before the case's last event ({case.last_event_on})"
    if event.new_state is not None:
        return transition_refusal(case.state, event.new_state)
    if case.state == LegalState.CLOSED:
        return "the case is closed; nothing follows"
    return None
