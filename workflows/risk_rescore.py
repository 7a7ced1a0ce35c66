"""RiskRescore: re-segmenting running episodes with the active risk model.

One instance runs per namespace (a fixed workflow id; every worker asks for it
and joins the running one). On each period's moment (the configured day of
the month at 00:00 UTC, or every N hours) it rescores every open episode a
page at a time; in between, every few minutes, it looks in the record for
events that call for rescoring one episode (a broken promise, a broken plan, a
right-party contact reporting job loss). Each page and each event round is one
activity that scores and sends ``set_risk_segment`` to the episodes the model
would move. A first start rescores the current period at once; a period runs
once per chain, and a rerun of it (a restarted workflow, `arrears risk
rescore`) changes nothing that the first run changed.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from arrears.contracts.housekeeping import (
        RescoreEventsRequest,
        RescoreEventsResult,
        RescoreInput,
        RescorePageRequest,
        RescorePageResult,
    )
    from arrears.contracts.names import RESCORE_EVENTS, RESCORE_PAGE, RISK_RESCORE_TYPE, Queries, Signals
    from arrears.risk.schedule import current_period, next_moment

RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5))


@workflow.defn(name=RISK_RESCORE_TYPE)
class RiskRescore:
    def __init__(self) -> None:
        self.last: str = "not run yet"
        self.next: str = ""
        self.last_events: str = "none yet"
        self.wake = False

    @workflow.run
    async def run(self, inp: RescoreInput) -> None:
        self.last = inp.last_summary or self.last
        done = inp.done_period
        for _ in range(inp.rounds_per_run):
            now = workflow.now()
            period, moment = current_period(now, inp.rescore_day, inp.every_hours)
            if period != done and now >= moment:
                self.last = await self._rescore(period, inp)
                done = period
            await self._events()
            upcoming, at = next_moment(workflow.now(), inp.rescore_day, inp.every_hours)
            self.next = f"{upcoming} at {at:%Y-%m-%d %H:%M} UTC"
            wait = min(at - workflow.now(), timedelta(minutes=inp.events_every_minutes))
            if wait > timedelta(0):
                try:
                    await workflow.wait_condition(lambda: self.wake, timeout=wait)
                except TimeoutError:
                    pass
            self.wake = False
        workflow.continue_as_new(inp.model_copy(update={"done_period": done, "last_summary": self.last}))

    async def _rescore(self, period: str, inp: RescoreInput) -> str:
        after: str | None = None
        scored = changed = sent = overridden = refused = 0
        failed: list[str] = []
        model: str | None = None
        while True:
            page = await workflow.execute_activity(
                RESCORE_PAGE,
                RescorePageRequest(
                    period=period,
                    as_of=workflow.now().date(),
                    after_account=after,
                    limit=inp.episodes_per_page,
                    at=workflow.now(),
                ),
                result_type=RescorePageResult,
                start_to_close_timeout=timedelta(minutes=30),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=RETRY,
            )
            scored, changed, sent, overridden = (
                scored + page.scored,
                changed + page.changed,
                sent + page.sent,
                overridden + page.overridden,
            )
            refused += len(page.failed)
            failed += page.failed[: max(0, 3 - len(failed))]  # a sample is enough to say why
            model = page.model_version or model
            if page.next_after is None:
                break
            after = page.next_after
        if model is None:
            return f"{period}: no active roll_forward_60d model; nothing scored (arrears risk train, then activate)"
        why = f", {refused} refused (e.g. {failed[0]})" if refused else ""
        return (
            f"{period}: {scored} scored with {model}, {sent} sent, {changed} changed, "
            f"{overridden} held by an override{why}"
        )

    async def _events(self) -> None:
        result = await workflow.execute_activity(
            RESCORE_EVENTS,
            RescoreEventsRequest(as_of=workflow.now().date(), at=workflow.now()),
            result_type=RescoreEventsResult,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
        )
        if result.events:
            self.last_events = (
                f"{workflow.now():%Y-%m-%d %H:%M} UTC: {result.events} event(s), {result.sent} sent, "
                f"{result.changed} changed"
            )

    @workflow.signal(name=Signals.RESCORE_NOW)
    def rescore_now(self) -> None:
        """Look for events at once (e.g. after a bulk import of outcomes) instead of at the next interval."""
        self.wake = True

    @workflow.query(name=Queries.LAST_RESCORE)
    def last_rescore(self) -> str:
        return self.last

    @workflow.query(name=Queries.NEXT_RESCORE)
    def next_rescore(self) -> str:
        return self.next

    @workflow.query(name=Queries.LAST_EVENT_ROUND)
    def last_event_round(self) -> str:
        return self.last_events
