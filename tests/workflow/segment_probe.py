"""A stand-in for the collection workflow's set_risk_segment handler, for testing the rescoring schedule only.

It does what docs/handoff/risk.md asks of the handler, and nothing else (no
ladder): remembers each request's answer, lets a supervisor's override win
over the model until released, records each request through the real
record_segment_change activity and keeps the RiskSegment search attribute.
The real handler belongs to AccountCollection (the lead's agenda rewrite);
until it lands, this lets the schedule be tested end to end on a dev server.
"""

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from arrears.runtime import search_attributes as sa
    from arrears.contracts.collection import RiskSegmentInput, RiskSegmentResult
    from arrears.contracts.collection_activities import SegmentChangeCommand
    from arrears.contracts.names import RECORD_SEGMENT_CHANGE, SET_RISK_SEGMENT
    from arrears.domain.strategy import Segment


class ProbeInput(BaseModel):
    episode_id: str
    account_id: str
    segment: Segment


@workflow.defn(name="SegmentProbe")
class SegmentProbe:
    def __init__(self) -> None:
        self.inp: ProbeInput | None = None
        self.segment: Segment | None = None
        self.model_segment: Segment | None = None
        self.override_by: str | None = None
        self.answers: dict[str, RiskSegmentResult] = {}
        self.stopped = False

    @workflow.run
    async def run(self, inp: ProbeInput) -> str:
        self.inp, self.segment = inp, inp.segment
        await workflow.wait_condition(lambda: self.stopped and workflow.all_handlers_finished())
        return self.segment.value

    @workflow.update(name=SET_RISK_SEGMENT)
    async def set_risk_segment(self, req: RiskSegmentInput) -> RiskSegmentResult:
        await workflow.wait_condition(lambda: self.inp is not None)
        if req.request_id in self.answers:
            return self.answers[req.request_id].model_copy(update={"duplicate": True})
        previous, overridden = self.segment, False
        if req.source == "model":
            self.model_segment = req.segment
            if self.override_by:
                overridden = True
            else:
                self.segment = req.segment
        elif req.release_override:
            self.override_by = None
            self.segment = req.segment or self.model_segment or self.segment
        else:
            self.override_by = req.set_by if req.override else self.override_by
            self.segment = req.segment or self.segment
        changed = self.segment != previous
        await workflow.execute_activity(
            RECORD_SEGMENT_CHANGE,
            SegmentChangeCommand(episode_id=self.inp.episode_id, account_id=self.inp.account_id, request_id=req.request_id,
                                 segment=self.segment, previous=previous, source=req.source,
                                 model_version=req.model_version, reasons=req.reasons, set_by=req.set_by,
                                 override=req.override, release_override=req.release_override, changed=changed,
                                 overridden=overridden, dpd=0, at=workflow.now()),
            start_to_close_timeout=timedelta(seconds=30),
        )
        if changed:
            workflow.upsert_search_attributes([sa.RISK_SEGMENT.value_set(self.segment.value)])
        answer = RiskSegmentResult(request_id=req.request_id, segment=self.segment, previous=previous, changed=changed,
                                   overridden=overridden)
        self.answers[req.request_id] = answer
        return answer

    @set_risk_segment.validator
    def _check(self, req: RiskSegmentInput) -> None:
        from temporalio.exceptions import ApplicationError

        if req.source == "model" and (req.segment is None or not req.model_version):
            raise ApplicationError("a model's request names its segment and model version", type="BadSegmentRequest",
                                   non_retryable=True)
        if req.source == "model" and (req.override or req.release_override):
            raise ApplicationError("only a supervisor overrides", type="BadSegmentRequest", non_retryable=True)

    @workflow.query
    def segment_now(self) -> str:
        return self.segment.value if self.segment else ""

    @workflow.signal
    def stop(self) -> None:
        self.stopped = True
