"""A collector's worklist: today's open calls and visits, most urgent first, each with whether the
contact gate allows working it now (the rule, and the next permitted moment)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from arrears.client.clock import known_now
from arrears.db.models import Account, Collector, CollectorTask, PromiseToPay
from arrears.desk.assign import QUEUE_SUPERVISOR, DeskError
from arrears.desk.calls import check
from arrears.domain.delinquency import local_date
from arrears.domain.desk import DESK_TASKS, ROLE_RANK, WorkItem, priority_key, window_position
from arrears.domain.policy import ContactPolicy
from arrears.domain.strategy import Role


class WorklistEntry(BaseModel):
    task_id: int
    kind: str
    account_id: str
    customer_name: str
    stage: str
    dpd: int
    overdue_amount: Decimal
    currency: str
    broken_promises: int
    due_at: datetime
    sla_due_at: datetime | None
    queue: str
    assigned_to: str | None
    customer_local_time: str
    callable_now: bool
    note: str
    # The contact gate on working the task now (arrears.desk.calls.check): allowed, by which rule,
    # and when it next may be if not now.
    allowed_now: bool = True
    rule: str = "permitted"
    next_allowed_at: datetime | None = None
    gate_detail: str = ""


def worklist(
    session: Session,
    collector_id: str,
    now: datetime,
    policy: ContactPolicy | None = None,
    on_episode_clock: bool = False,
) -> list[WorklistEntry]:
    """Open tasks due by the end of the customer's local today: the collector's own,
    and for supervisors and managers also their team's supervisor queue (and tasks
    that escalated while nobody held them).

    ``policy``: the gate's rules for tasks opened before they were kept with the task.
    ``on_episode_clock``: ``now`` is the wall clock; each task is judged at its episode's
    collection time (identical in production; compressed in a simulation)."""
    collector = session.get(Collector, collector_id)
    if collector is None:
        raise DeskError(f"no collector {collector_id!r} on the roster")
    mine = CollectorTask.assigned_to == collector_id
    if ROLE_RANK[Role(collector.role)] >= ROLE_RANK[Role.SUPERVISOR]:
        queue = (CollectorTask.queue == QUEUE_SUPERVISOR) & or_(
            CollectorTask.team == collector.team, CollectorTask.team.is_(None)
        )
        mine = or_(mine, queue)
    broken = (
        select(PromiseToPay.episode_id, func.count().label("broken"))
        .where(PromiseToPay.status == "broken")
        .group_by(PromiseToPay.episode_id)
        .subquery()
    )
    rows = session.execute(
        select(CollectorTask, Account, func.coalesce(broken.c.broken, 0))
        .join(Account, Account.account_id == CollectorTask.account_id)
        .outerjoin(broken, broken.c.episode_id == CollectorTask.episode_id)
        .where(CollectorTask.status == "open", CollectorTask.kind.in_(DESK_TASKS), mine)
    ).all()
    entries: list[tuple[tuple, WorklistEntry]] = []
    for task, account, broken_count in rows:
        moment = known_now(session, account.account_id, now) if on_episode_clock else now
        if local_date(task.due_at, account.timezone) > local_date(moment, account.timezone):
            continue  # not due yet in the customer's day
        gate = check(session, task, moment, policy)
        amount = task.overdue_amount if task.overdue_amount is not None else Decimal(0)
        item = WorkItem(task.id, task.stage, amount, int(broken_count), account.timezone)
        entry = WorklistEntry(
            task_id=task.id,
            kind=task.kind,
            account_id=account.account_id,
            customer_name=account.customer_name,
            stage=task.stage,
            dpd=task.dpd,
            overdue_amount=amount,
            currency=task.currency or account.currency,
            broken_promises=int(broken_count),
            due_at=task.due_at,
            sla_due_at=task.sla_due_at,
            queue=task.queue,
            assigned_to=task.assigned_to,
            customer_local_time=moment.astimezone(ZoneInfo(account.timezone)).strftime("%H:%M"),
            callable_now=window_position(moment, account.timezone)[0] == 0 and gate.allowed,
            note=task.note,
            allowed_now=gate.allowed,
            rule=gate.rule,
            next_allowed_at=gate.next_allowed_at,
            gate_detail=gate.detail,
        )
        entries.append((priority_key(item, moment), entry))
    return [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]
