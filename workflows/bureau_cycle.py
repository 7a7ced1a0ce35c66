"""BureauCycle: the monthly credit-bureau report, on the calendar.

One instance runs per namespace (a fixed workflow id; every worker asks for
it and joins the running one). It sleeps until each month's reporting moment
(00:00 UTC on the configured day of the following month) and then runs one
activity that reports the month from the system of record. A first start
reports last month at once if its moment has passed: a period already
reported (by the CLI or an earlier run) is written again from its record and
nothing is added, so starting late or twice loses and duplicates nothing.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from arrears.contracts.housekeeping import BureauCycleInput, BureauCycleRequest, BureauCycleSummary
    from arrears.contracts.names import BUREAU_CYCLE_TYPE, RUN_BUREAU_CYCLE, Queries
    from arrears.domain.bureau import following_period, previous_period, reporting_moment


@workflow.defn(name=BUREAU_CYCLE_TYPE)
class BureauCycle:
    def __init__(self) -> None:
        self.last: str = "not run yet"
        self.next: str = ""

    @workflow.run
    async def run(self, inp: BureauCycleInput) -> None:
        self.last = inp.last_report or self.last
        period = inp.next_period or previous_period(workflow.now().date())
        for _ in range(inp.periods_per_run):
            moment = reporting_moment(period, inp.report_day)
            self.next = f"{period} at {moment:%Y-%m-%d %H:%M} UTC"
            wait = moment - workflow.now()
            if wait > timedelta(0):
                await workflow.sleep(wait)
            summary = await workflow.execute_activity(
                RUN_BUREAU_CYCLE,
                BureauCycleRequest(period=period, at=workflow.now()),
                result_type=BureauCycleSummary,
                start_to_close_timeout=timedelta(minutes=30),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=10)),
            )
            self.last = summary.line()
            period = following_period(period)
        workflow.continue_as_new(inp.model_copy(update={"next_period": period, "last_report": self.last}))

    @workflow.query(name=Queries.LAST_REPORT)
    def last_report(self) -> str:
        return self.last

    @workflow.query(name=Queries.NEXT_REPORT)
    def next_report(self) -> str:
        return self.next
