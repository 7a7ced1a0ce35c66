"""DeskSweep: the collector desk's heartbeat.

Every few minutes one activity escalates tasks past their SLA to the
supervisors, moves absent collectors' work to others and places tasks that
waited for room. One instance runs per namespace (a fixed workflow id; each
worker asks for it and joins the running one).
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from arrears.contracts.housekeeping import SweepInput
    from arrears.contracts.names import DESK_SWEEP_TYPE, SWEEP_DESK, Queries


@workflow.defn(name=DESK_SWEEP_TYPE)
class DeskSweep:
    def __init__(self) -> None:
        self.last: str = "not run yet"

    @workflow.run
    async def run(self, inp: SweepInput) -> None:
        for _ in range(inp.rounds_per_run):
            self.last = await workflow.execute_activity(
                SWEEP_DESK,
                workflow.now(),
                result_type=str,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            )
            await workflow.sleep(timedelta(seconds=inp.every_seconds))
        workflow.continue_as_new(inp)

    @workflow.query(name=Queries.LAST_SWEEP)
    def last_sweep(self) -> str:
        return self.last
