"""Starting an imported account's episode: its input, its first search attributes, the idempotent start."""

from collections.abc import Sequence
from datetime import datetime

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from arrears.contracts.collection import EpisodeInput
from arrears.contracts.names import WORKFLOW_TYPE, workflow_id_for
from arrears.domain.account import AccountRow
from arrears.domain.delinquency import bucket_for_dpd, days_past_due, stage_for_dpd
from arrears.domain.strategy import Strategy
from arrears.runtime import search_attributes as sa


def episode_input(row: AccountRow, strategy: Strategy, strategy_hash: str, day_seconds: float) -> EpisodeInput:
    return EpisodeInput(
        account_id=row.account_id,
        currency=row.currency,
        overdue_amount=row.overdue_amount,
        total_balance=row.total_balance,
        due_date=row.due_date,
        timezone=row.timezone,
        risk_segment=row.risk_segment,
        strategy=strategy,
        strategy_hash=strategy_hash,
        day_seconds=day_seconds,
    )


def initial_search_attributes(
    row: AccountRow, now: datetime, extra: Sequence[SearchAttributePair] = ()
) -> TypedSearchAttributes:
    dpd = days_past_due(row.due_date, now, row.timezone)
    return TypedSearchAttributes(
        [
            SearchAttributePair(sa.COLLECTION_STAGE, stage_for_dpd(dpd).value),
            SearchAttributePair(sa.DELINQUENCY_BUCKET, bucket_for_dpd(dpd)),
            SearchAttributePair(sa.RISK_SEGMENT, row.risk_segment.value),
            SearchAttributePair(sa.OVERDUE_AMOUNT, float(row.overdue_amount)),  # filter only; exact in the record
            *extra,
        ]
    )


async def start_episode(
    client: Client,
    task_queue: str,
    row: AccountRow,
    inp: EpisodeInput,
    now: datetime,
    extra_search_attributes: Sequence[SearchAttributePair] = (),
) -> bool:
    """Start the account's episode; False when one is already running."""
    try:
        await client.start_workflow(
            WORKFLOW_TYPE,
            inp,
            id=workflow_id_for(row.account_id),
            task_queue=task_queue,
            # A running episode is left alone; a closed one may be followed by a new episode.
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            search_attributes=initial_search_attributes(row, now, extra_search_attributes),
        )
    except WorkflowAlreadyStartedError:
        return False
    return True
