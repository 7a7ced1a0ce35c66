"""AccountCollection: one durable workflow per delinquency episode (workflow type `AccountCollection`).

The definition Temporal sees. It holds no logic: every update, the query and
the run go to the engine the episode runs on.

- Episodes started after the agenda cut-over (their first workflow task
  records the marker `agenda`) and their continued runs: the agenda engine,
  ``workflows/collection/engine.py``.
- Episodes started before it, and their continued runs (they carry
  ``EpisodeInput.carried``): the frozen first engine, ``workflows/legacy/``,
  until they close. Their recorded histories replay against it.
"""

from collections.abc import Callable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from arrears.contracts import errors
    from arrears.contracts.collection import (
        ApplyStrategyInput,
        ApplyStrategyResult,
        CancelPlanInput,
        CloseInput,
        CloseResult,
        EpisodeInput,
        EpisodeResult,
        HoldInput,
        HoldResult,
        OutcomeInput,
        OutcomeResult,
        PaymentInput,
        PaymentResult,
        PlanInput,
        PlanResult,
        PromiseInput,
        PromiseResult,
        ReageInput,
        ReleaseHoldInput,
        RiskSegmentInput,
        RiskSegmentResult,
        SettlementInput,
        SettlementResult,
        StatusView,
    )
    from arrears.contracts.names import WORKFLOW_TYPE, Queries, Updates
    from arrears.contracts.recovery import LegalCaseUpdate, LegalCaseUpdateResult
    from arrears.domain.episode import ReageOutcome

from workflows.collection.engine import AgendaEpisode
from workflows.collection.updates import Updates as UpdateHandlers
from workflows.collection.view import status_view
from workflows.legacy.collection_v1 import LegacyCollection

AGENDA_PATCH = "agenda"


@workflow.defn(name=WORKFLOW_TYPE)
class AccountCollection:
    @workflow.init
    def __init__(self, inp: EpisodeInput) -> None:
        # A replayed episode from before the cut-over has no marker: it keeps the engine it started on.
        legacy = inp.carried is not None or (inp.resumed is None and not workflow.patched(AGENDA_PATCH))
        # Any: the frozen engine is not type-checked, and its handlers carry (inert) update decorators.
        self._legacy: Any = LegacyCollection(inp) if legacy else None
        self._agenda = None if legacy else AgendaEpisode(inp)

    @property
    def _u(self) -> UpdateHandlers:
        assert self._agenda is not None
        return self._agenda.updates

    def _typed(self, validate: Callable[[Any], None], request: Any) -> None:
        """The first engine's refusals carry no type; callers match types, so they get one here."""
        try:
            validate(request)
        except ApplicationError as exc:
            if exc.type:
                raise
            kind = errors.EPISODE_ENDED if self._legacy.outcome is not None else errors.REFUSED
            raise ApplicationError(exc.message, type=kind, non_retryable=True) from None

    @workflow.run
    async def run(self, inp: EpisodeInput) -> EpisodeResult:
        if self._legacy is not None:
            return await self._legacy.run(inp)
        assert self._agenda is not None
        return await self._agenda.run()

    @workflow.query(name=Queries.STATUS)
    def status(self) -> StatusView:
        if self._legacy is not None:
            return self._legacy.status()
        assert self._agenda is not None
        return status_view(self._agenda.ctx)

    # ---- updates: each a handler and its validator, sent to the episode's engine ----

    @workflow.update(name=Updates.RECORD_PAYMENT)
    async def record_payment(self, request: PaymentInput) -> PaymentResult:
        return await (self._legacy.record_payment(request) if self._legacy else self._u.record_payment(request))

    @record_payment.validator
    def _v_payment(self, request: PaymentInput) -> None:
        self._typed(self._legacy._validate_payment, request) if self._legacy else self._u.validate_payment(request)

    @workflow.update(name=Updates.PROMISE_TO_PAY)
    async def promise_to_pay(self, request: PromiseInput) -> PromiseResult:
        return await (self._legacy.promise_to_pay(request) if self._legacy else self._u.promise_to_pay(request))

    @promise_to_pay.validator
    def _v_promise(self, request: PromiseInput) -> None:
        self._typed(self._legacy._validate_promise, request) if self._legacy else self._u.validate_promise(request)

    @workflow.update(name=Updates.OFFER_SETTLEMENT)
    async def offer_settlement(self, request: SettlementInput) -> SettlementResult:
        return await (self._legacy.offer_settlement(request) if self._legacy else self._u.offer_settlement(request))

    @offer_settlement.validator
    def _v_settlement(self, request: SettlementInput) -> None:
        if self._legacy:
            self._typed(self._legacy._validate_settlement, request)
        else:
            self._u.validate_settlement(request)

    @workflow.update(name=Updates.AGREE_PLAN)
    async def agree_plan(self, request: PlanInput) -> PlanResult:
        return await (self._legacy.agree_plan(request) if self._legacy else self._u.agree_plan(request))

    @agree_plan.validator
    def _v_plan(self, request: PlanInput) -> None:
        self._typed(self._legacy._validate_plan, request) if self._legacy else self._u.validate_plan(request)

    @workflow.update(name=Updates.CANCEL_PLAN)
    async def cancel_plan(self, request: CancelPlanInput) -> PlanResult:
        return await (self._legacy.cancel_plan(request) if self._legacy else self._u.cancel_plan(request))

    @cancel_plan.validator
    def _v_cancel_plan(self, request: CancelPlanInput) -> None:
        if self._legacy:
            self._typed(self._legacy._validate_cancel_plan, request)
        else:
            self._u.validate_cancel_plan(request)

    @workflow.update(name=Updates.LOG_CONTACT_OUTCOME)
    async def log_contact_outcome(self, request: OutcomeInput) -> OutcomeResult:
        return await (
            self._legacy.log_contact_outcome(request) if self._legacy else self._u.log_contact_outcome(request)
        )

    @log_contact_outcome.validator
    def _v_outcome(self, request: OutcomeInput) -> None:
        self._typed(self._legacy._validate_outcome, request) if self._legacy else self._u.validate_outcome(request)

    @workflow.update(name=Updates.PLACE_HOLD)
    async def place_hold(self, request: HoldInput) -> HoldResult:
        return await (self._legacy.place_hold(request) if self._legacy else self._u.place_hold(request))

    @place_hold.validator
    def _v_hold(self, request: HoldInput) -> None:
        self._typed(self._legacy._validate_hold, request) if self._legacy else self._u.validate_hold(request)

    @workflow.update(name=Updates.RELEASE_HOLD)
    async def release_hold(self, request: ReleaseHoldInput) -> HoldResult:
        return await (self._legacy.release_hold(request) if self._legacy else self._u.release_hold(request))

    @release_hold.validator
    def _v_release(self, request: ReleaseHoldInput) -> None:
        self._typed(self._legacy._validate_release, request) if self._legacy else self._u.validate_release(request)

    @workflow.update(name=Updates.APPLY_STRATEGY)
    async def apply_strategy(self, request: ApplyStrategyInput) -> ApplyStrategyResult:
        return await (self._legacy.apply_strategy(request) if self._legacy else self._u.apply_strategy(request))

    @apply_strategy.validator
    def _v_apply_strategy(self, request: ApplyStrategyInput) -> None:
        if self._legacy:
            self._typed(self._legacy._validate_apply_strategy, request)
        else:
            self._u.validate_apply_strategy(request)

    @workflow.update(name=Updates.REAGE)
    async def reage(self, request: ReageInput) -> ReageOutcome:
        return await (self._legacy.reage(request) if self._legacy else self._u.reage(request))

    @reage.validator
    def _v_reage(self, request: ReageInput) -> None:
        self._typed(self._legacy._validate_reage, request) if self._legacy else self._u.validate_reage(request)

    @workflow.update(name=Updates.UPDATE_LEGAL_CASE)
    async def update_legal_case(self, request: LegalCaseUpdate) -> LegalCaseUpdateResult:
        return await (self._legacy.update_legal_case(request) if self._legacy else self._u.update_legal_case(request))

    @update_legal_case.validator
    def _v_legal_case(self, request: LegalCaseUpdate) -> None:
        if self._legacy:
            self._typed(self._legacy._validate_legal_case, request)
        else:
            self._u.validate_legal_case(request)

    @workflow.update(name=Updates.SET_RISK_SEGMENT)
    async def set_risk_segment(self, request: RiskSegmentInput) -> RiskSegmentResult:
        return await self._u.set_risk_segment(request)

    @set_risk_segment.validator
    def _v_risk_segment(self, request: RiskSegmentInput) -> None:
        if self._legacy is not None:  # the first engine has no risk state: its episodes keep their segment
            raise ApplicationError(
                "this episode runs on the first workflow engine, which cannot change its "
                "segment; it keeps it until it closes",
                type=errors.REFUSED,
                non_retryable=True,
            )
        self._u.validate_risk_segment(request)

    @workflow.update(name=Updates.CLOSE)
    def close(self, request: CloseInput) -> CloseResult:
        return self._legacy.close(request) if self._legacy else self._u.close(request)

    @close.validator
    def _v_close(self, request: CloseInput) -> None:
        self._typed(self._legacy._validate_close, request) if self._legacy else self._u.validate_close(request)
