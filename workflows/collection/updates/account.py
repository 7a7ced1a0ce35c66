"""Operators and the record: strategy changes, re-ages, the legal case, the risk segment, close."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from arrears.contracts import errors
    from arrears.contracts.account import LegalEventCommand, LegalEventResult
    from arrears.contracts.collection import (
        ApplyStrategyInput,
        ApplyStrategyResult,
        CloseInput,
        CloseResult,
        ReageInput,
        RiskSegmentInput,
        RiskSegmentResult,
        StrategyChangeCommand,
    )
    from arrears.contracts.collection_activities import SegmentChangeCommand
    from arrears.contracts.ledger import ReageCommand, ReageResult
    from arrears.contracts.names import RECORD_LEGAL_EVENT, RECORD_REAGE, RECORD_SEGMENT_CHANGE, RECORD_STRATEGY_CHANGE
    from arrears.contracts.recovery import LegalCaseUpdate, LegalCaseUpdateResult
    from arrears.domain import transitions as T
    from arrears.domain.episode import ReageOutcome
    from arrears.domain.legal import event_refusal
    from arrears.domain.pricing import ReagePolicy
    from arrears.domain.reage import reage_refusal
    from arrears.domain.strategy import Role

from workflows.collection.updates.base import UpdateBase
from workflows.shared import refuse, refused


def _fingerprint(request: RiskSegmentInput) -> str:
    return request.model_dump_json(exclude={"request_id"})


class AccountUpdates(UpdateBase):
    """Operators and the record: strategy changes, re-ages, the legal case, the risk segment, close."""

    # ---- strategy ----------------------------------------------------------------------------------

    def validate_apply_strategy(self, request: ApplyStrategyInput) -> None:
        if self.ep.outcome is not None:
            refuse(f"the episode has ended ({self.ep.outcome.value}); its strategy cannot change", errors.EPISODE_ENDED)
        if not request.applied_by.strip() or not request.reason.strip():
            refuse("who applies the strategy and why are both required")
        if request.strategy.content_hash() == self.ctx.inp.strategy_hash:
            refuse(f"the episode already runs strategy {request.strategy.name} ({self.ctx.inp.strategy_hash[:12]})")

    async def apply_strategy(self, request: ApplyStrategyInput) -> ApplyStrategyResult:
        """Another strategy from now on: the old ladder's pending steps go, the new ladder's passed steps are not
        replayed, and the change is recorded with who and why."""
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            self.validate_apply_strategy(request)
            old, previous_hash = ctx.inp.strategy, ctx.inp.strategy_hash
            new_hash = request.strategy.content_hash()
            T.change_strategy(ep, ctx.terms, request.strategy.ladder_for(ctx.inp.trigger), ctx.now())
            # The input is what continue-as-new carries on: the new strategy goes with it.
            ctx.set_strategy(ctx.inp.model_copy(update={"strategy": request.strategy, "strategy_hash": new_hash}))
            ctx.changed = True
            await ctx.opened()
            await ctx.records.call(
                RECORD_STRATEGY_CHANGE,
                StrategyChangeCommand(
                    episode_id=ep.episode_id,
                    account_id=ctx.inp.account_id,
                    from_name=old.name,
                    from_hash=previous_hash,
                    to_name=request.strategy.name,
                    to_hash=new_hash,
                    applied_by=request.applied_by.strip(),
                    reason=request.reason.strip(),
                    dpd=ctx.dpd(),
                    applied_at=ctx.now(),
                ),
            )
            return ApplyStrategyResult(
                previous_name=old.name,
                previous_hash=previous_hash,
                strategy_name=request.strategy.name,
                strategy_hash=new_hash,
                pending_steps=len(ep.ladder),
            )

    # ---- re-age (asks the record first) --------------------------------------------------------------

    def validate_reage(self, request: ReageInput) -> None:
        ctx, ep = self.ctx, self.ep
        if request.reage_id in ep.reage_results:
            return
        if not T.priced(ep, ctx.terms):
            refuse("re-ageing needs the episode's ledger: its strategy has no [pricing]")
        if ep.outcome is not None:
            refuse(f"the episode has ended ({ep.outcome.value})", errors.EPISODE_ENDED)
        if request.approver_role == Role.COLLECTOR:
            refuse("a re-age is approved by a supervisor or a manager, not a collector")
        ledger = T.ledger_of(ep, ctx.terms, ctx.today())
        refuse(reage_refusal(ctx.today(), ledger.cycles, ep.reages, self._reage_policy()))

    def _reage_policy(self) -> ReagePolicy:
        pricing = self.ctx.inp.strategy.pricing
        assert pricing is not None  # validate_reage refused an episode without [pricing]
        return pricing.reage

    async def reage(self, request: ReageInput) -> ReageOutcome:
        """Bring the account current by agreement: the past-due minimums stop being past due."""
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.reage_results.get(request.reage_id)
            if known is not None:
                return known.model_copy(update={"duplicate": True})
            self.validate_reage(request)
            today = ctx.today()
            ledger = T.ledger_of(ep, ctx.terms, today)
            cleared = T.owed(ledger)
            await ctx.opened()
            result: ReageResult = await ctx.records.call(
                RECORD_REAGE,
                ReageCommand(
                    account_id=ctx.inp.account_id,
                    episode_id=ep.episode_id,
                    reage_id=request.reage_id,
                    on=today,
                    approved_by=request.approved_by,
                    reason=request.reason,
                    currency=ctx.inp.currency,
                    overdue_cleared=cleared,
                    cycles=ledger.cycles,
                    policy=self._reage_policy(),
                ),
                result_type=ReageResult,
            )
            if not (result.recorded or result.duplicate):
                # Earlier episodes' re-ages count too, and only the record knows them.
                refuse(result.refusal or "re-age refused")
            if ep.outcome is not None:
                # The episode ended while the record was asked (a payment cured it): on record, nothing to apply.
                refuse(f"the episode has ended ({ep.outcome.value})", errors.EPISODE_ENDED)
            postings = T.reaged(
                ep, ctx.terms, request.reage_id, request.approved_by, request.approver_role, request.reason, ctx.now()
            )
            outcome = ReageOutcome(
                reage_id=request.reage_id,
                on=today,
                overdue_cleared=cleared,
                in_12_months=result.in_12_months,
                in_5_years=result.in_5_years,
                outcome=ep.outcome,
            )
            ep.reage_results[request.reage_id] = outcome
            ctx.changed = True
            await self.economics.post(postings)
            return outcome

    # ---- the legal case (asks the record first) ------------------------------------------------------

    def validate_legal_case(self, request: LegalCaseUpdate) -> None:
        legal = self.ep.legal
        if legal is None or legal.case is None:
            refused("no legal case: the account has not been referred in this episode", errors.NOT_FOUND)
        known = legal.events.get(request.event.event_id)
        if known is not None:
            if known != request.event:
                refuse(f"legal event {request.event.event_id} was already recorded with other content")
            return
        refuse(event_refusal(legal.case, request.event))

    async def update_legal_case(self, request: LegalCaseUpdate) -> LegalCaseUpdateResult:
        """A step of the legal case this episode referred: filed, judgment, enforcement, closed; costs, documents."""
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            event = request.event
            if ep.legal is not None and event.event_id in ep.legal.events:
                self.validate_legal_case(request)  # other content under the same id is refused
                return self._legal_result(event.event_id, duplicate=True)
            self.validate_legal_case(request)  # the case may have moved on since the update arrived
            done: LegalEventResult = await ctx.records.call(
                RECORD_LEGAL_EVENT,
                LegalEventCommand(account_id=ctx.inp.account_id, episode_id=ep.episode_id, event=event),
                result_type=LegalEventResult,
            )
            legal = ep.legal
            assert legal is not None and legal.case is not None
            legal.case = legal.case.apply(event, ctx.inp.strategy.legal)
            legal.events[event.event_id] = event
            if event.cost > 0 and ctx.inp.strategy.legal.costs_recoverable and ep.outcome is None:
                # The strategy says the cardholder bears them: they join the fees on the ledger.
                T.add_charge(
                    ep, ctx.terms, f"legal-{event.event_id}", event.cost, f"legal costs, case {done.case_id}", ctx.now()
                )
                await self.economics.post(T.sync_ledger(ep, ctx.terms, ctx.now()))
            ctx.changed = True
            return self._legal_result(event.event_id, duplicate=False)

    def _legal_result(self, event_id: str, duplicate: bool) -> LegalCaseUpdateResult:
        legal = self.ep.legal
        assert legal is not None and legal.case is not None and legal.case_id is not None
        return LegalCaseUpdateResult(
            case_id=legal.case_id,
            event_id=event_id,
            state=legal.case.state,
            costs=legal.case.costs,
            recoverable_costs=legal.case.recoverable_costs,
            duplicate=duplicate,
        )

    # ---- the risk segment (a rescore or a supervisor) --------------------------------------------------

    def validate_risk_segment(self, request: RiskSegmentInput) -> None:
        known = self.ep.risk.answers.get(request.request_id)
        if known is not None:
            refuse(
                None
                if known.request == _fingerprint(request)
                else f"request_id {request.request_id} was already used for another segment request",
                errors.REQUEST_ID_REUSED,
            )
            return
        if self.ep.outcome is not None:
            refuse(f"the episode has ended ({self.ep.outcome.value}); its segment cannot change", errors.EPISODE_ENDED)
        if request.source == "model" and (request.segment is None or not request.model_version):
            refuse("a model's request names the segment and the model version", errors.BAD_SEGMENT_REQUEST)
        if request.source == "model" and (request.override or request.release_override):
            refuse("only a supervisor overrides the model or releases an override", errors.BAD_SEGMENT_REQUEST)
        if request.override and request.release_override:
            refuse("override and release_override cannot go together", errors.BAD_SEGMENT_REQUEST)
        if request.override and request.segment is None:
            refuse("an override names the segment it holds", errors.BAD_SEGMENT_REQUEST)
        if request.source == "supervisor" and request.segment is None and not request.release_override:
            refuse("a supervisor's request names the segment (or releases an override)", errors.BAD_SEGMENT_REQUEST)

    async def set_risk_segment(self, request: RiskSegmentInput) -> RiskSegmentResult:
        ctx, ep = self.ctx, self.ep
        async with ctx.lock:
            known = ep.risk.answers.get(request.request_id)
            if known is not None:
                self.validate_risk_segment(request)
                return RiskSegmentResult(
                    request_id=request.request_id,
                    segment=known.segment,
                    previous=known.previous,
                    changed=known.changed,
                    duplicate=True,
                    overridden=known.overridden,
                )
            self.validate_risk_segment(request)
            done = T.set_risk_segment(
                ep,
                ctx.terms,
                request.request_id,
                _fingerprint(request),
                request.segment,
                request.source,
                request.model_version,
                request.reasons,
                request.set_by,
                request.override,
                request.release_override,
                ctx.now(),
            )
            ctx.changed = True
            ctx.show_stage()  # the RiskSegment search attribute follows a change
            await ctx.opened()
            await ctx.records.call(
                RECORD_SEGMENT_CHANGE,
                SegmentChangeCommand(
                    episode_id=ep.episode_id,
                    account_id=ctx.inp.account_id,
                    request_id=request.request_id,
                    segment=done.segment,
                    previous=done.previous,
                    source=request.source,
                    model_version=request.model_version if request.source == "model" else ep.risk.model_version,
                    reasons=request.reasons,
                    set_by=request.set_by,
                    override=request.override,
                    release_override=request.release_override,
                    changed=done.changed,
                    overridden=done.overridden,
                    dpd=ctx.dpd(),
                    at=ctx.now(),
                ),
            )
            return RiskSegmentResult(
                request_id=request.request_id,
                segment=done.segment,
                previous=done.previous,
                changed=done.changed,
                overridden=done.overridden,
            )

    # ---- close -----------------------------------------------------------------------------------------

    def validate_close(self, request: CloseInput) -> None:
        if not request.reason.strip():
            refuse("a reason is required to close an episode")
        if not request.operator_id.strip():
            refuse("the operator id is required to close an episode")
        if self.ep.outcome is not None:
            refuse(f"the episode has already ended ({self.ep.outcome.value})", errors.EPISODE_ENDED)

    def close(self, request: CloseInput) -> CloseResult:
        self.validate_close(request)  # no await before it: the validator's view is the handler's
        T.close(self.ep, request.reason, request.operator_id)
        self.ctx.changed = True
        assert self.ep.outcome is not None
        return CloseResult(
            outcome=self.ep.outcome, reason=self.ep.outcome_reason or "", closed_by=self.ep.closed_by or ""
        )
