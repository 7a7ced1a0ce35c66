"""`arrears doctor`: which episodes need a person, and why.

Three sources, from cheapest to dearest:

1. episodes that flagged themselves (search attribute ``Attention``): an activity failing past its
   bound and now retried slowly, or a charge-off a hold blocks;
2. workflows whose workflow task keeps failing (Temporal's own ``TemporalReportedProblems``
   attribute): a bug or a nondeterminism; nothing moves until the code is fixed;
3. with ``deep``, every running workflow up to a limit, described one by one: activities that
   have been retried many times without (yet) reaching the bound.

Each finding names the account and the last error as Temporal has it.
"""

from dataclasses import asdict, dataclass
from datetime import datetime

from temporalio.client import Client, WorkflowExecutionDescription
from temporalio.common import SearchAttributeKey

from arrears.contracts.collection import StatusView
from arrears.contracts.names import WORKFLOW_ID_PREFIX, WORKFLOW_TYPE, Queries
from arrears.runtime import search_attributes as sa

REPORTED_PROBLEMS = SearchAttributeKey.for_keyword_list("TemporalReportedProblems")
RUNNING = 'ExecutionStatus="Running"'


@dataclass(frozen=True)
class Finding:
    workflow_id: str
    account_id: str | None
    problem: str  # attention | workflow_task_failing | activity_retrying
    detail: str
    attempts: int | None = None
    last_error: str | None = None
    since: datetime | None = None

    def as_json(self) -> dict:
        data = asdict(self)
        data["since"] = self.since.isoformat() if self.since else None
        return data


def account_of(workflow_id: str) -> str | None:
    if workflow_id.startswith(WORKFLOW_ID_PREFIX):
        rest = workflow_id.removeprefix(WORKFLOW_ID_PREFIX)
        return rest.removeprefix("recovery-")
    return None


def _short(text: str | None, limit: int = 300) -> str | None:
    if not text:
        return None
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _activity_findings(workflow_id: str, described: WorkflowExecutionDescription, min_attempts: int) -> list[Finding]:
    found = []
    for pending in described.raw_description.pending_activities:
        if pending.attempt < min_attempts:
            continue
        failure = pending.last_failure.message if pending.HasField("last_failure") else None
        since = (
            pending.last_attempt_complete_time.ToDatetime() if pending.HasField("last_attempt_complete_time") else None
        )
        found.append(
            Finding(
                workflow_id,
                account_of(workflow_id),
                "activity_retrying",
                f"activity {pending.activity_type.name}",
                pending.attempt,
                _short(failure),
                since,
            )
        )
    return found


async def diagnose(client: Client, *, deep: bool = False, limit: int = 500, min_attempts: int = 5) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()

    async for execution in client.list_workflows(f"{sa.ATTENTION.name} IS NOT NULL AND {RUNNING}"):
        code = execution.typed_search_attributes.get(sa.ATTENTION) or ""
        handle = client.get_workflow_handle(execution.id)
        activities = _activity_findings(execution.id, await handle.describe(), 1)
        last = activities[0] if activities else None
        detail = last.last_error if last else None
        if detail is None:  # between slow retries nothing is pending: the episode itself keeps the last error
            try:
                view = await handle.query(Queries.STATUS, result_type=StatusView)
                detail = _short(view.attention_detail)
            except Exception:  # noqa: BLE001 - no worker polling, or not an episode: the code alone then
                detail = None
        findings.append(
            Finding(
                execution.id,
                account_of(execution.id),
                "attention",
                code,
                last.attempts if last else None,
                detail,
                last.since if last else None,
            )
        )
        seen.add(execution.id)

    async for execution in client.list_workflows(f"{REPORTED_PROBLEMS.name} IS NOT NULL AND {RUNNING}"):
        problems = execution.typed_search_attributes.get(REPORTED_PROBLEMS) or []
        described = await client.get_workflow_handle(execution.id).describe()
        task = described.raw_description.pending_workflow_task
        attempts = task.attempt if described.raw_description.HasField("pending_workflow_task") else None
        findings.append(
            Finding(
                execution.id,
                account_of(execution.id),
                "workflow_task_failing",
                "; ".join(problems) or "workflow task failing",
                attempts,
                "see the workflow's history (WorkflowTaskFailed) for the stack",
            )
        )
        seen.add(execution.id)

    if deep:
        count = 0
        async for execution in client.list_workflows(f'WorkflowType="{WORKFLOW_TYPE}" AND {RUNNING}'):
            if count >= limit:
                break
            count += 1
            if execution.id in seen:
                continue
            described = await client.get_workflow_handle(execution.id).describe()
            findings += _activity_findings(execution.id, described, min_attempts)
    return findings
