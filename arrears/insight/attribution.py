"""Who gets the credit for a payment: one documented, configurable rule.

A payment is attributed by trying the rule's sources in order; the first
that applies wins:

- ``agency``: the account was placed with an agency when it was paid
  (placed_at <= paid_at <= ended_at, or still placed): the agency.
- ``open_task``: a call or visit task of the payment's episode was open and
  assigned when it was paid (due no more than ``open_task_days`` before the
  payment, and its outcome not yet recorded): the task's holder.
- ``last_rpc``: the latest right-party contact (a conversation on a call, or
  a visit that met the cardholder) of the episode within ``rpc_days`` before
  the payment: the collector who recorded it.
- ``last_contact``: the latest automatic contact that reached a channel
  (not suppressed, no invalid number, an address on file) of the episode
  within ``contact_days`` before the payment: the strategy step and its channel.

A payment no source claims is attributed to ``none`` (paid with no recent
contact: a self-cure). A promise does not carry credit by itself: a payment
after a broken promise goes to the collector only if their conversation is
within ``rpc_days``. The SQL in ``arrears.insight.queries.attributed_payments``
implements exactly this function (a property test compares the two).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from arrears.domain.policy import CONVERSATION_OUTCOMES

# Contacts that never reached the customer's channel (arrears.compliance.gate_record.NOT_ATTEMPTED_PREFIXES).
UNDELIVERED_PREFIXES = ("suppressed", "no_address", "invalid_number")


class Source(StrEnum):
    AGENCY = "agency"
    OPEN_TASK = "open_task"
    LAST_RPC = "last_rpc"
    LAST_CONTACT = "last_contact"


class AttributionRule(BaseModel):
    """The ``[attribution]`` table of a scorecard file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order: tuple[Source, ...] = (Source.AGENCY, Source.OPEN_TASK, Source.LAST_RPC, Source.LAST_CONTACT)
    open_task_days: int = Field(default=7, ge=0, le=90)
    rpc_days: int = Field(default=14, ge=0, le=180)
    contact_days: int = Field(default=7, ge=0, le=90)

    @field_validator("order")
    @classmethod
    def _order(cls, value: tuple[Source, ...]) -> tuple[Source, ...]:
        if not value:
            raise ValueError("name at least one source: agency, open_task, last_rpc, last_contact")
        if len(set(value)) != len(value):
            raise ValueError("a source is listed twice")
        return value

    def describe(self) -> str:
        """The sentence every report prints, so a reader knows how credit was given."""
        words = {
            Source.AGENCY: "the agency holding the account when it was paid",
            Source.OPEN_TASK: f"else the holder of the call or visit task open when paid (due within {self.open_task_days} d)",
            Source.LAST_RPC: f"else the collector of the last right-party contact within {self.rpc_days} d",
            Source.LAST_CONTACT: f"else the strategy step of the last delivered contact within {self.contact_days} d",
        }
        parts = [words[s] for s in self.order]
        parts[0] = parts[0].removeprefix("else ")
        return "attribution: " + "; ".join(parts) + "; else none (no recent contact)"


# ---- the rule on plain facts (the reference the SQL is tested against) -----------------------


@dataclass(frozen=True)
class Placement:
    agency_id: str
    placed_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class Task:
    task_id: int
    kind: str  # call | visit
    assigned_to: str | None
    due_at: datetime
    outcome: str | None = None
    outcome_at: datetime | None = None
    outcome_by: str | None = None
    met_cardholder: bool = False


@dataclass(frozen=True)
class Contact:
    contact_id: int
    step_id: str
    channel: str
    at: datetime
    result: str


@dataclass(frozen=True)
class Attribution:
    source: str  # a Source value, or "none"
    collector_id: str | None = None
    agency_id: str | None = None
    step_id: str | None = None
    channel: str | None = None
    task_id: int | None = None


def is_rpc(task: Task) -> bool:
    if task.kind == "visit":
        return task.outcome is not None and task.met_cardholder
    return task.outcome in CONVERSATION_OUTCOMES


def attribute(
    rule: AttributionRule,
    paid_at: datetime,
    placements: Sequence[Placement],
    tasks: Sequence[Task],
    contacts: Sequence[Contact],
) -> Attribution:
    """Apply the rule to one payment, given its account's placements and its episode's tasks and contacts."""
    for source in rule.order:
        found = _SOURCES[source](rule, paid_at, placements, tasks, contacts)
        if found is not None:
            return found
    return Attribution("none")


def _agency(rule, paid_at, placements, tasks, contacts) -> Attribution | None:
    # The end is inclusive: the payment that cures the account ends its placement at that same moment.
    live = [p for p in placements if p.placed_at <= paid_at and (p.ended_at is None or paid_at <= p.ended_at)]
    if not live:
        return None
    chosen = max(live, key=lambda p: p.placed_at)
    return Attribution(Source.AGENCY.value, agency_id=chosen.agency_id, channel="agency")


def _open_task(rule, paid_at, placements, tasks, contacts) -> Attribution | None:
    window = timedelta(days=rule.open_task_days)
    open_then = [
        t
        for t in tasks
        if t.kind in ("call", "visit")
        and t.assigned_to is not None
        and t.due_at <= paid_at
        and paid_at - t.due_at <= window
        and (t.outcome_at is None or t.outcome_at > paid_at)
    ]
    if not open_then:
        return None
    chosen = max(open_then, key=lambda t: (t.due_at, t.task_id))
    return Attribution(
        Source.OPEN_TASK.value, collector_id=chosen.assigned_to, channel=chosen.kind, task_id=chosen.task_id
    )


def _last_rpc(rule, paid_at, placements, tasks, contacts) -> Attribution | None:
    window = timedelta(days=rule.rpc_days)
    talks = [
        t
        for t in tasks
        if is_rpc(t) and t.outcome_at is not None and t.outcome_at <= paid_at and paid_at - t.outcome_at <= window
    ]
    if not talks:
        return None
    chosen = max(talks, key=lambda t: (t.outcome_at, t.task_id))
    return Attribution(
        Source.LAST_RPC.value, collector_id=chosen.outcome_by, channel=chosen.kind, task_id=chosen.task_id
    )


def _last_contact(rule, paid_at, placements, tasks, contacts) -> Attribution | None:
    window = timedelta(days=rule.contact_days)
    reached = [
        c
        for c in contacts
        if not c.result.startswith(UNDELIVERED_PREFIXES) and c.at <= paid_at and paid_at - c.at <= window
    ]
    if not reached:
        return None
    chosen = max(reached, key=lambda c: (c.at, c.contact_id))
    return Attribution(Source.LAST_CONTACT.value, step_id=chosen.step_id, channel=chosen.channel)


_SOURCES = {
    Source.AGENCY: _agency,
    Source.OPEN_TASK: _open_task,
    Source.LAST_RPC: _last_rpc,
    Source.LAST_CONTACT: _last_contact,
}
