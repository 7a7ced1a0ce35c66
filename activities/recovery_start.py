"""Starting the recovery workflow when an episode is charged off.

An activity rather than a child workflow: recovery outlives the episode by
months or years and belongs to no parent. The fixed workflow id makes a
retried start find the run it already started.
"""

from collections.abc import Callable

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from arrears.contracts.names import RECOVERY_TYPE, START_RECOVERY, recovery_workflow_id
from arrears.contracts.recovery import RecoveryInput


class RecoveryStartActivities:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    def all(self) -> list[Callable]:
        return [self.start_recovery]

    @activity.defn(name=START_RECOVERY)
    async def start_recovery(self, inp: RecoveryInput) -> str:
        handle = await self.client.start_workflow(
            RECOVERY_TYPE,
            inp,
            id=recovery_workflow_id(inp.account_id),
            task_queue=self.task_queue,
            # A retry after a crash joins the recovery it started; an earlier account's finished
            # recovery does not stop a new one.
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        return handle.result_run_id or ""
