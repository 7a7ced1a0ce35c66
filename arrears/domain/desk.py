"""The collector desk's rules: who may work a task, who gets it, and in what order.

Pure functions over plain values; the system of record (arrears.desk) reads
the rows, calls these, and writes the decision.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from arrears.domain.delinquency import Stage
from arrears.domain.strategy import Action, DeskPolicy, Role

# Only people work these; agency placement and legal referral go elsewhere.
DESK_TASKS = frozenset({Action.CALL.value, Action.VISIT.value})

ROLE_RANK = {Role.COLLECTOR: 0, Role.SUPERVISOR: 1, Role.MANAGER: 2}

# Later stages first: older debt is harder to recover and nearer charge-off.
STAGE_RANK = {
    Stage.CHARGED_OFF.value: 0,
    Stage.LATE.value: 1,
    Stage.MID.value: 2,
    Stage.EARLY.value: 3,
    Stage.PRE_DUE.value: 4,
}

# The hours a customer may be called, local time, until the compliance policy
# (contact windows per channel and portfolio) supplies its own.
CALL_WINDOW = (time(8, 0), time(21, 0))


@dataclass(frozen=True)
class CollectorProfile:
    collector_id: str
    team: str
    role: Role
    languages: tuple[str, ...]
    regions: tuple[str, ...]
    daily_capacity: int
    absent: bool = False
    active: bool = True


@dataclass(frozen=True)
class TaskNeeds:
    """What a task asks of whoever works it."""

    kind: str  # call | visit
    language: str | None
    region: str | None
    required_role: Role


@dataclass(frozen=True)
class Choice:
    collector_id: str | None
    reason: str  # why this collector, or why nobody


def required_role(overdue: Decimal, policy: DeskPolicy) -> Role:
    return policy.senior_role if overdue >= policy.senior_overdue else Role.COLLECTOR


def sla_due(due_at: datetime, kind: str, policy: DeskPolicy) -> datetime | None:
    hours = policy.sla_hours.get(Action(kind))
    return None if hours is None else due_at + timedelta(hours=hours)


def ineligibility(collector: CollectorProfile, needs: TaskNeeds) -> str | None:
    """Why this collector may not work the task, or None when they may."""
    if not collector.active:
        return "not on the roster"
    if collector.absent:
        return "absent"
    if needs.language and needs.language not in collector.languages:
        return f"does not speak {needs.language}"
    if needs.kind == Action.VISIT.value:
        if not collector.regions:
            return "does no field visits"
        if needs.region and needs.region not in collector.regions:
            return f"does not visit region {needs.region}"
    if ROLE_RANK[collector.role] < ROLE_RANK[needs.required_role]:
        return f"role {collector.role.value} is below {needs.required_role.value} required for this balance"
    return None


def choose_collector(
    collectors: list[CollectorProfile], loads: dict[str, int], needs: TaskNeeds, exclude: str | None = None
) -> Choice:
    """The eligible collector with the least open work relative to capacity.

    Ties go to the lower absolute load, then to the collector id, so the same
    roster and loads always give the same answer. A collector at capacity gets
    nothing more: the task waits unassigned for the next sweep.
    """
    eligible = [c for c in collectors if c.collector_id != exclude and ineligibility(c, needs) is None]
    if not eligible:
        return Choice(None, "no collector on the roster is eligible (language, region, role, presence)")
    with_room = [c for c in eligible if loads.get(c.collector_id, 0) < c.daily_capacity]
    if not with_room:
        return Choice(None, f"all {len(eligible)} eligible collectors are at capacity")

    def key(c: CollectorProfile) -> tuple:
        load = loads.get(c.collector_id, 0)
        # load / capacity compared exactly, without floats.
        return (Decimal(load) / Decimal(c.daily_capacity), load, c.collector_id)

    best = min(with_room, key=key)
    load = loads.get(best.collector_id, 0)
    return Choice(best.collector_id, f"least loaded of {len(with_room)} eligible ({load}/{best.daily_capacity} open)")


# ---- worklist order --------------------------------------------------------------


def window_position(now: datetime, tz: str, window: tuple[time, time] = CALL_WINDOW) -> tuple[int, int]:
    """(0, minutes until the window closes) when the customer may be called now,
    else (1, minutes until it opens): callable customers whose day ends soonest first."""
    local = now.astimezone(ZoneInfo(tz))
    minutes = local.hour * 60 + local.minute
    opens = window[0].hour * 60 + window[0].minute
    closes = window[1].hour * 60 + window[1].minute
    if opens <= minutes < closes:
        return (0, closes - minutes)
    return (1, (opens - minutes) % (24 * 60))


@dataclass(frozen=True)
class WorkItem:
    task_id: int
    stage: str
    overdue_amount: Decimal
    broken_promises: int
    timezone: str


def priority_key(item: WorkItem, now: datetime) -> tuple:
    """Stage (later first), amount (larger first), broken promises (more first),
    then the customer's local time (callable now, window closing soonest)."""
    return (
        STAGE_RANK.get(item.stage, len(STAGE_RANK)),
        -item.overdue_amount,
        -item.broken_promises,
        window_position(now, item.timezone),
        item.task_id,
    )
