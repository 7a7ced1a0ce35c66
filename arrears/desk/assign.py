"""Giving tasks to people, and taking them back: assignment, SLA escalation, absence.

Every function here that changes an owner takes the desk lock first
(arrears.desk.locking) and writes the change with its reason to
``task_assignments``. Owner changes are also compare-and-set (the UPDATE
names the owner it expects), so even without the lock a task could never end
up with two collectors.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from arrears.db.models import Account, Collector, CollectorTask, TaskAssignment
from arrears.desk.locking import lock_desk
from arrears.domain.desk import (
    DESK_TASKS,
    Choice,
    CollectorProfile,
    TaskNeeds,
    choose_collector,
    ineligibility,
    required_role,
    sla_due,
)
from arrears.domain.strategy import DeskPolicy, Role

QUEUE_COLLECTOR = "collector"
QUEUE_SUPERVISOR = "supervisor"
SYSTEM = "system"


class DeskError(ValueError):
    """A desk request that cannot be done; the message says why."""


def profile(row: Collector) -> CollectorProfile:
    return CollectorProfile(
        collector_id=row.collector_id,
        team=row.team,
        role=Role(row.role),
        languages=tuple(row.languages or ()),
        regions=tuple(row.regions or ()),
        daily_capacity=row.daily_capacity,
        absent=row.absent,
        active=row.active,
    )


def roster(session: Session) -> list[CollectorProfile]:
    rows = session.scalars(select(Collector).where(Collector.active).order_by(Collector.collector_id))
    return [profile(r) for r in rows]


def open_loads(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(CollectorTask.assigned_to, func.count())
        .where(CollectorTask.status == "open", CollectorTask.assigned_to.is_not(None))
        .group_by(CollectorTask.assigned_to)
    )
    return {collector_id: count for collector_id, count in rows if collector_id is not None}


def needs_of(task: CollectorTask) -> TaskNeeds:
    return TaskNeeds(
        kind=task.kind,
        language=task.language,
        region=task.region,
        required_role=Role(task.required_role or Role.COLLECTOR.value),
    )


def _record(
    session: Session, task: CollectorTask, previous: str | None, reason: str, detail: str, by: str, now: datetime
) -> None:
    session.add(
        TaskAssignment(
            task_id=task.id,
            collector_id=task.assigned_to,
            previous_collector_id=previous,
            queue=task.queue,
            reason=reason,
            detail=detail,
            by=by,
            at=now,
        )
    )


def _move(session: Session, task: CollectorTask, to: str | None, queue: str, team: str | None, now: datetime) -> bool:
    """Compare-and-set the owner: only if the task is still open and owned as we read it."""
    expected = (
        CollectorTask.assigned_to.is_(None)
        if task.assigned_to is None
        else CollectorTask.assigned_to == task.assigned_to
    )
    result = session.execute(
        update(CollectorTask)
        .where(CollectorTask.id == task.id, CollectorTask.status == "open", CollectorTask.queue == task.queue, expected)
        .values(assigned_to=to, queue=queue, team=team, assigned_at=now if to else None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        return False
    session.refresh(task)
    return True


def _assign(
    session: Session,
    task: CollectorTask,
    collectors: list[CollectorProfile],
    loads: dict[str, int],
    now: datetime,
    reason: str,
    by: str,
    exclude: str | None = None,
) -> Choice:
    """Choose and write; ``loads`` is kept current so one pass can assign many tasks."""
    choice = choose_collector(collectors, loads, needs_of(task), exclude=exclude)
    previous = task.assigned_to
    if choice.collector_id is None and previous is None:
        return choice  # still waiting: nothing changed, nothing to record
    team = next((c.team for c in collectors if c.collector_id == choice.collector_id), None)
    if not _move(session, task, choice.collector_id, QUEUE_COLLECTOR, team, now):
        return Choice(None, "changed by someone else meanwhile")
    if previous is not None:
        loads[previous] = loads.get(previous, 1) - 1
    if choice.collector_id is not None:
        loads[choice.collector_id] = loads.get(choice.collector_id, 0) + 1
    _record(session, task, previous, reason if choice.collector_id else f"{reason}_unassigned", choice.reason, by, now)
    return choice


def open_desk_task(
    session: Session, task: CollectorTask, account: Account | None, policy: DeskPolicy, now: datetime
) -> Choice:
    """A call or visit the ladder just opened: note what it needs, then give it to someone.

    Runs inside the activity's transaction, so the task and its owner are
    written together or not at all.
    """
    task.language = account.language if account else None
    task.region = account.region if account else None
    task.required_role = required_role(task.overdue_amount or Decimal(0), policy).value
    task.sla_due_at = sla_due(task.due_at, task.kind, policy)
    task.queue = QUEUE_COLLECTOR
    lock_desk(session)  # flushes the new task first
    choice = _assign(session, task, roster(session), open_loads(session), now, "assigned", SYSTEM)
    if choice.collector_id is None:
        # Why nobody has it yet is evidence too; the sweep places it when someone can take it.
        _record(session, task, None, "waiting", choice.reason, SYSTEM, now)
    return choice


@dataclass
class SweepSummary:
    assigned: int = 0
    escalated: int = 0
    reassigned: int = 0
    waiting: int = 0

    def __str__(self) -> str:
        return (
            f"assigned {self.assigned} waiting task(s), escalated {self.escalated} past SLA, "
            f"reassigned {self.reassigned} from absent collectors; {self.waiting} still unassigned"
        )


def _open_tasks(session: Session, *where):
    return list(
        session.scalars(
            select(CollectorTask)
            .where(CollectorTask.status == "open", CollectorTask.kind.in_(DESK_TASKS), *where)
            .order_by(CollectorTask.due_at, CollectorTask.id)
        )
    )


def escalate_overdue(session: Session, now: datetime, summary: SweepSummary) -> None:
    """Tasks not worked by their SLA go to the supervisors of the team that held them."""
    for task in _open_tasks(
        session,
        CollectorTask.queue == QUEUE_COLLECTOR,
        CollectorTask.sla_due_at.is_not(None),
        CollectorTask.sla_due_at < now,
    ):
        previous = task.assigned_to
        if _move(session, task, None, QUEUE_SUPERVISOR, task.team, now):
            session.execute(
                update(CollectorTask)
                .where(CollectorTask.id == task.id)
                .values(escalated_at=now)
                .execution_options(synchronize_session=False)
            )
            holder = previous or "nobody (no eligible collector had room)"
            _record(
                session,
                task,
                previous,
                "sla_breached",
                f"not worked by {task.sla_due_at:%Y-%m-%d %H:%M} UTC; held by {holder}",
                SYSTEM,
                now,
            )
            summary.escalated += 1


def reassign_absent(session: Session, now: datetime, summary: SweepSummary) -> None:
    absent = select(Collector.collector_id).where((Collector.absent) | (Collector.active.is_(False)))
    collectors, loads = roster(session), open_loads(session)
    for task in _open_tasks(session, CollectorTask.queue == QUEUE_COLLECTOR, CollectorTask.assigned_to.in_(absent)):
        choice = _assign(session, task, collectors, loads, now, "reassigned_absent", SYSTEM, exclude=task.assigned_to)
        summary.reassigned += 1
        if choice.collector_id is None:
            summary.waiting += 1


def assign_waiting(session: Session, now: datetime, summary: SweepSummary) -> None:
    collectors, loads = roster(session), open_loads(session)
    for task in _open_tasks(session, CollectorTask.queue == QUEUE_COLLECTOR, CollectorTask.assigned_to.is_(None)):
        if _assign(session, task, collectors, loads, now, "assigned", SYSTEM).collector_id:
            summary.assigned += 1
        else:
            summary.waiting += 1


def sweep(sessions: sessionmaker[Session], now: datetime) -> SweepSummary:
    """The desk's periodic duty: escalate SLA breaches, take work from absent collectors, place waiting tasks."""
    summary = SweepSummary()
    with sessions.begin() as session:
        lock_desk(session)
        escalate_overdue(session, now, summary)
        reassign_absent(session, now, summary)
        summary.waiting = 0  # what could not be reassigned is waiting now: the next pass counts it
        assign_waiting(session, now, summary)
    return summary


def place_waiting(sessions: sessionmaker[Session], now: datetime) -> SweepSummary:
    """Give waiting tasks to collectors who now have room (after a roster import)."""
    summary = SweepSummary()
    with sessions.begin() as session:
        lock_desk(session)
        assign_waiting(session, now, summary)
    return summary


def set_absent(sessions: sessionmaker[Session], collector_id: str, absent: bool, now: datetime) -> SweepSummary:
    """Mark a collector absent (their open tasks move to others at once) or back at work."""
    summary = SweepSummary()
    with sessions.begin() as session:
        lock_desk(session)
        row = session.get(Collector, collector_id)
        if row is None:
            raise DeskError(f"no collector {collector_id!r} on the roster")
        row.absent, row.updated_at = absent, now
        session.flush()
        if absent:
            reassign_absent(session, now, summary)
        else:
            assign_waiting(session, now, summary)
    return summary


def set_active(sessions: sessionmaker[Session], collector_id: str, active: bool, now: datetime) -> SweepSummary:
    """Make a collector inactive (they left: their open tasks move to others at once) or active again."""
    summary = SweepSummary()
    with sessions.begin() as session:
        lock_desk(session)
        row = session.get(Collector, collector_id)
        if row is None:
            raise DeskError(f"no collector {collector_id!r} on the roster")
        row.active, row.updated_at = active, now
        session.flush()
        if not active:
            reassign_absent(session, now, summary)
        else:
            assign_waiting(session, now, summary)
    return summary


def reassign_task(
    sessions: sessionmaker[Session], task_id: int, to_collector: str, by: str, reason: str, now: datetime
) -> CollectorTask:
    """A supervisor gives a task to a named collector (from a queue or from someone else)."""
    if not reason.strip():
        raise DeskError("a reason is required to reassign a task")
    with sessions.begin() as session:
        lock_desk(session)
        task = session.get(CollectorTask, task_id)
        if task is None:
            raise DeskError(f"no task {task_id}")
        if task.status != "open":
            raise DeskError(f"task {task_id} is {task.status}, not open")
        target = session.get(Collector, to_collector)
        if target is None:
            raise DeskError(f"no collector {to_collector!r} on the roster")
        why_not = ineligibility(profile(target), needs_of(task))
        if why_not is not None:
            raise DeskError(f"collector {to_collector} cannot take task {task_id}: {why_not}")
        previous = task.assigned_to
        if previous == to_collector and task.queue == QUEUE_COLLECTOR:
            return task
        if not _move(session, task, to_collector, QUEUE_COLLECTOR, target.team, now):
            raise DeskError(f"task {task_id} changed meanwhile; try again")
        _record(session, task, previous, "reassigned_manual", reason.strip(), by, now)
        return task
