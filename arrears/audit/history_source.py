"""Where an auditor's history comes from: the archive first, then the Temporal server.

A run archived in the system of record is read from there (checked against
its checksum); runs not archived yet, including an episode still open, come
from the server. Either way the auditor gets every run of every episode.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from arrears.audit.archive import archived_rows, fetch_chain, unpack
from arrears.db.models import Episode


def _run_id(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.original_execution_run_id


async def _server_runs(
    client: Client | None, workflow_id: str, first_run_id: str | None, known: set[str]
) -> list[WorkflowHistory]:
    if client is None:
        return []
    try:
        if first_run_id is None:  # the workflow's latest run only
            runs = [await client.get_workflow_handle(workflow_id).fetch_history()]
        else:
            runs = await fetch_chain(client, workflow_id, first_run_id, open_ok=True) or []
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        return []  # gone from the server (retention, or deleted): the archive is all there is
    return [h for h in runs if _run_id(h) not in known]


async def for_workflow(
    client: Client | None, sessions: sessionmaker[Session], workflow_id: str
) -> list[WorkflowHistory]:
    """Every archived run of the workflow, and its latest run on the server if not archived."""
    with sessions() as session:
        rows = archived_rows(session, workflow_id=workflow_id)
        histories = [unpack(r) for r in rows]
    return histories + await _server_runs(client, workflow_id, None, {r.run_id for r in rows})


async def for_account(client: Client | None, sessions: sessionmaker[Session], account_id: str) -> list[WorkflowHistory]:
    """Every run of every episode of the account, oldest episode first."""
    with sessions() as session:
        rows = archived_rows(session, account_id=account_id)
        histories = [unpack(r) for r in rows]
        episodes = session.execute(
            select(Episode.episode_id, Episode.workflow_id, Episode.run_id)
            .where(Episode.account_id == account_id)
            .order_by(Episode.started_at)
        ).all()
    archived_episodes = {r.episode_id for r in rows}
    known = {r.run_id for r in rows}
    for episode_id, workflow_id, first_run in episodes:
        if episode_id not in archived_episodes:
            histories += await _server_runs(client, workflow_id, first_run, known)
    return histories
