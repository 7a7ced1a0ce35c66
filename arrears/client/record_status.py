"""`arrears status` when no worker answers: say so, and show what the system of record knows.

A query is answered by a worker; with none polling the task queue the call
would only end in "Timeout expired". The record has the episode's opening,
its payments and its end, which is most of what an operator asks; it is shown
marked as the record's view (the ladder's next step lives only in the workflow).
"""

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from arrears.db.models import Account, Episode, Payment
from arrears.domain.delinquency import bucket_for_dpd, days_past_due, stage_for_dpd

STATUS_TIMEOUT = timedelta(seconds=10)  # a worker answers a query in milliseconds


async def episode_queue(client: Client, account_id: str) -> str | None:
    """The task queue the account's episode runs on (None: no such workflow)."""
    from temporalio.service import RPCError

    from arrears.contracts.names import workflow_id_for

    try:
        return (await client.get_workflow_handle(workflow_id_for(account_id)).describe()).task_queue
    except RPCError:
        return None


async def polling_workers(client: Client, task_queue: str) -> int:
    """How many workers polled the queue for workflow tasks lately; -1 when the server would not say.

    Temporal lists a poller for a few minutes after it stopped: a worker that just went away
    still counts, and the query's own deadline (STATUS_TIMEOUT) catches that case.
    """
    from temporalio.service import RPCError

    try:
        answer = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
    except RPCError:  # e.g. an API key without that permission: fall back to asking the episode
        return -1
    return len(answer.pollers)


def no_worker_line(task_queue: str) -> str:
    return f"no worker is polling task queue '{task_queue}' — start one with `arrears worker`"


def record_view(session: Session, account_id: str, now: datetime) -> list[str]:
    """The latest episode as the system of record has it, each line marked as such."""
    episode = session.scalars(
        select(Episode).where(Episode.account_id == account_id).order_by(Episode.started_at.desc()).limit(1)
    ).first()
    if episode is None:
        return [f"(the record has no episode for account {account_id})"]
    account = session.get(Account, account_id)
    zone = account.timezone if account else "UTC"
    paid = session.scalar(select(func.count(Payment.id)).where(Payment.episode_id == episode.episode_id)) or 0
    amounts = [p for p in session.scalars(select(Payment.amount).where(Payment.episode_id == episode.episode_id))]
    paid_total = sum(amounts, Decimal(0))
    lines = [f"from the system of record (not the running episode): account {account_id}, episode {episode.episode_id}"]
    if episode.outcome:
        lines.append(
            f"  ended {episode.outcome} at DPD {episode.closing_dpd}: {episode.outcome_reason or '-'}; "
            f"overdue {episode.currency} {episode.closing_overdue}, balance {episode.currency} {episode.closing_balance}"
        )
    else:
        dpd = days_past_due(episode.due_date, now, zone)
        lines.append(
            f"  open since {episode.started_at:%Y-%m-%d %H:%M} UTC; due date {episode.due_date}; "
            f"DPD now {dpd} ({stage_for_dpd(dpd).value}, {bucket_for_dpd(dpd)})"
        )
        lines.append(
            f"  opened with overdue {episode.currency} {episode.opening_overdue}, "
            f"balance {episode.currency} {episode.opening_balance}"
        )
    lines.append(f"  payments recorded: {paid}, total {episode.currency} {paid_total}")
    lines.append("  (next action, holds and agreements are known to the running episode only)")
    return lines
