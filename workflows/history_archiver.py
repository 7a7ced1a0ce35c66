"""HistoryArchiver: copies closed episodes' histories into the system of record.

One instance runs per namespace (a fixed workflow id; every worker asks for it
and joins the running one). Each round is one activity of its own: it finds
episodes the record shows closed, fetches every run of their workflow from
the server and stores them compressed with a checksum, well before the
namespace's retention would delete them.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from arrears.contracts.housekeeping import ArchiverInput
    from arrears.contracts.names import ARCHIVE_HISTORIES, HISTORY_ARCHIVER_TYPE, Queries


@workflow.defn(name=HISTORY_ARCHIVER_TYPE)
class HistoryArchiver:
    def __init__(self) -> None:
        self.last: str = "not run yet"

    @workflow.run
    async def run(self, inp: ArchiverInput) -> None:
        for _ in range(inp.rounds_per_run):
            self.last = await workflow.execute_activity(
                ARCHIVE_HISTORIES,
                workflow.now(),
                result_type=str,
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
            )
            await workflow.sleep(timedelta(seconds=inp.every_seconds))
        workflow.continue_as_new(inp)

    @workflow.query(name=Queries.LAST_ROUND)
    def last_round(self) -> str:
        return self.last
