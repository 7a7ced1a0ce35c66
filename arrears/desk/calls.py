"""Calls and visits as they are worked: the contact gate at the moment a collector dials or knocks.

The ladder opens a task when its step is due and the gate allows it then; the contact itself happens
later, when someone works it. ``check`` says whether it may happen now (the rule, and the next
permitted moment) for the worklist, the API and the console; ``start`` records the dial time and the
number dialled (the record, never Temporal) and is refused with the rule when the gate forbids it;
a call entered after the fact is kept, and flagged with the rule it broke. A telephone conversation
about the debt closes or defers the account's other open calls per the preset's quiet period.

Every time here is the episode's collection time (arrears.client.clock).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from arrears.channels.adapter import ChannelAdapter, OutboundMessage
from arrears.channels.gateway import deliver
from arrears.compliance.decision_record import earlier_decision, record_decision, remembered_policy
from arrears.compliance.gate_record import BASELINE, address_for, gate
from arrears.contracts import keys
from arrears.db.models import Account, CollectorContact, CollectorTask, ContactDecision
from arrears.desk.assign import DeskError
from arrears.domain.desk import DESK_TASKS
from arrears.domain.policy import ContactPolicy, Decision, Verdict

# How the contact came to be on record (CollectorContact.entered).
LIVE, AFTER_THE_FACT, FROM_OUTCOME = "live", "after_the_fact", "from_outcome"
# A start given with a time this far in the past is an entry after the fact, not a live start.
LIVE_TOLERANCE = timedelta(minutes=5)
# Tasks the consumer asked for keep their time: a conversation does not move them (comment 14(b)(3)(i)-3.i).
CONSENTED_STEPS = frozenset({"callback-requested"})


@dataclass(frozen=True)
class Check:
    """Whether the task may be worked at ``at``: the rule that says so, and when it next may."""

    allowed: bool
    rule: str
    detail: str
    next_allowed_at: datetime | None


class StartRefused(DeskError):
    """The gate forbids the call or visit now; the message names the rule."""

    def __init__(self, rule: str, detail: str, until: datetime | None) -> None:
        when = f"; next permitted {until:%Y-%m-%d %H:%M} UTC" if until else ""
        super().__init__(f"not now: {rule}: {detail}{when}")
        self.rule, self.detail, self.until = rule, detail, until


def policy_of(session: Session, task: CollectorTask, fallback: ContactPolicy | None = None) -> ContactPolicy:
    """The policy the task was opened under; else the caller's (the configured strategy's); else the baseline."""
    return remembered_policy(session, task.policy_hash) or fallback or BASELINE


def _judge(session: Session, task: CollectorTask, account: Account, at: datetime, policy: ContactPolicy) -> Decision:
    return gate(
        session,
        account,
        task.kind,
        at,
        policy,
        episode_id=task.episode_id,
        address=_dialled(account, task.kind),
        exclude_task=task.id,
    )


def _dialled(account: Account, kind: str) -> str:
    return address_for(account, "call" if kind == "call" else "visit")


def check(session: Session, task: CollectorTask, at: datetime, fallback: ContactPolicy | None = None) -> Check:
    """What the gate would say to working the task at ``at``; nothing is written."""
    account = session.get(Account, task.account_id)
    if account is None:
        return Check(False, "unknown_account", "the account is not in the system of record", None)
    d = _judge(session, task, account, at, policy_of(session, task, fallback))
    return Check(d.verdict == Verdict.ALLOW, d.rule, d.detail, at if d.verdict == Verdict.ALLOW else d.until)


def _open_task(session: Session, task_id: int) -> CollectorTask:
    task = session.get(CollectorTask, task_id)
    if task is None:
        raise DeskError(f"no task {task_id}")
    if task.kind not in DESK_TASKS:
        raise DeskError(f"task {task_id} is a {task.kind} task: only calls and visits are worked at the desk")
    return task


def started(session: Session, task_id: int) -> CollectorContact | None:
    return session.scalar(select(CollectorContact).where(CollectorContact.task_id == task_id))


def start(
    sessions: sessionmaker[Session],
    adapter: ChannelAdapter,
    task_id: int,
    collector_id: str,
    at: datetime,
    now: datetime,
    fallback: ContactPolicy | None = None,
    after_the_fact: bool | None = None,
) -> CollectorContact:
    """Record that the collector dials the task's number (or begins the visit) at ``at``.

    Live (``at`` is now): refused with the rule when the gate forbids it, and handed to the dialler
    (outbox topic ``call``/``visit``) through the gateway when it allows. After the fact (``at`` is
    past): kept as a record whatever the gate says, with ``violation_rule`` set when it forbade.
    A second start of the same task returns the first.
    """
    if at.tzinfo is None:
        raise DeskError("give the time with its UTC offset")
    if after_the_fact is None:
        after_the_fact = at < now - LIVE_TOLERANCE
    if at > now + LIVE_TOLERANCE:
        raise DeskError(f"a call cannot start in the future ({at:%Y-%m-%d %H:%M} UTC)")
    try:
        with sessions.begin() as session:
            task = _open_task(session, task_id)
            earlier = started(session, task_id)
            if earlier is not None:
                return earlier
            if task.status != "open":
                raise DeskError(f"task {task_id} is {task.status}: it can no longer be worked")
            account = session.get(Account, task.account_id)
            if account is None:
                raise DeskError(f"account {task.account_id} is not in the system of record")
            policy = policy_of(session, task, fallback)
            key = keys.decision_key(keys.desk_start_key(task.id), at)
            row = earlier_decision(session, key)
            if row is None:
                row = record_decision(
                    session,
                    key,
                    task.episode_id,
                    task.account_id,
                    task.step_id,
                    task.kind,
                    at,
                    _judge(session, task, account, at, policy),
                    policy,
                    now,
                )
            allowed = row.verdict == Verdict.ALLOW.value
            if not allowed and not after_the_fact:
                refusal = StartRefused(row.rule, row.detail, row.until)
            else:
                refusal = None
                contact = _record_contact(
                    session, task, account, at, collector_id, AFTER_THE_FACT if after_the_fact else LIVE, row, now
                )
                if allowed and not after_the_fact:
                    deliver(
                        session,
                        adapter,
                        row,
                        OutboundMessage(
                            idempotency_key=contact.idempotency_key,
                            topic=task.kind,
                            account_id=task.account_id,
                            payload={"task_id": task.id, "collector_id": collector_id, "to": contact.dialled},
                        ),
                        now,
                    )
                return contact
    except IntegrityError:
        with sessions() as session:  # a second start of the same task at once: the first one stands
            earlier = started(session, task_id)
        if earlier is None:
            raise
        return earlier
    assert refusal is not None  # every path that wrote no refusal returned above
    raise refusal  # after the commit: the refusal's decision stays on record


def _record_contact(
    session: Session,
    task: CollectorTask,
    account: Account,
    at: datetime,
    collector_id: str | None,
    entered: str,
    decision: ContactDecision,
    now: datetime,
) -> CollectorContact:
    violation = None if decision.verdict == Verdict.ALLOW.value else decision.rule
    contact = CollectorContact(
        idempotency_key=keys.desk_contact_key(task.id),
        task_id=task.id,
        episode_id=task.episode_id,
        account_id=task.account_id,
        kind=task.kind,
        collector_id=collector_id,
        started_at=at,
        dialled=_dialled(account, task.kind),
        entered=entered,
        decision_id=decision.id,
        violation_rule=violation,
        violation_detail=decision.detail if violation else "",
        recorded_at=now,
    )
    session.add(contact)
    session.flush()
    return contact


def worked(
    session: Session,
    task: CollectorTask,
    at: datetime,
    collector_id: str | None,
    entered: str,
    policy: ContactPolicy,
    now: datetime,
) -> CollectorContact:
    """The task's contact on record, inside the outcome's transaction: the one started at the desk,
    or one entered now at ``at`` (the dial time given after the fact, or the outcome's time), judged
    by the gate at that moment and flagged when it forbade."""
    earlier = started(session, task.id)
    if earlier is not None:
        return earlier
    account = session.get(Account, task.account_id)
    if account is None:
        raise DeskError(f"account {task.account_id} is not in the system of record")
    key = keys.decision_key(keys.desk_worked_key(task.id), at)
    row = earlier_decision(session, key) or record_decision(
        session,
        key,
        task.episode_id,
        task.account_id,
        task.step_id,
        task.kind,
        at,
        _judge(session, task, account, at, policy),
        policy,
        now,
    )
    return _record_contact(session, task, account, at, collector_id, entered, row, now)


def after_conversation(
    session: Session, task: CollectorTask, talked_at: datetime, policy: ContactPolicy, timezone: str
) -> list[str]:
    """A telephone conversation on ``task``: the account's other open calls within the quiet period
    (1006.14(b)(2)(i)(B)) are closed, but the earliest, which moves to the period's first permitted
    day. Calls the consumer asked for keep their time. Returns what was done, for the record."""
    days = policy.call_quiet_days_after_conversation
    if not days:
        return []
    tz = ZoneInfo(timezone)
    ends = datetime.combine(talked_at.astimezone(tz).date() + timedelta(days=days), time(0, 0), tzinfo=tz)
    others = session.scalars(
        select(CollectorTask)
        .where(
            CollectorTask.account_id == task.account_id,
            CollectorTask.kind == "call",
            CollectorTask.status == "open",
            CollectorTask.id != task.id,
            CollectorTask.due_at < ends,
            CollectorTask.step_id.not_in(CONSENTED_STEPS),
        )
        .order_by(CollectorTask.due_at, CollectorTask.id)
    ).all()
    done: list[str] = []
    for other in others:
        if started(session, other.id) is not None:
            continue  # already dialled: its outcome is still to come
        why = (
            f"telephone conversation on task {task.id} at {talked_at:%Y-%m-%d %H:%M} UTC (quiet until {ends:%Y-%m-%d})"
        )
        if not done:
            shift = ends - other.due_at
            other.due_at = ends
            other.sla_due_at = other.sla_due_at + shift if other.sla_due_at else None
            other.note = f"DEFERRED to the end of the quiet period after a {why}. " + other.note
            done.append(f"task {other.id} deferred to {ends:%Y-%m-%d}")
        else:
            other.status = "closed"
            other.note = f"CLOSED: superseded by a {why}. " + other.note
            done.append(f"task {other.id} closed")
    return done
