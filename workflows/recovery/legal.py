"""AccountRecovery's legal case: the case referred from the episode goes on here, one event at a time,
each checked against the case the previous one left. A part of the workflow class (its base)."""

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from arrears.contracts import errors
    from arrears.contracts.account import LegalEventCommand, LegalEventResult
    from arrears.contracts.names import LOAD_LEGAL_CASE, RECORD_LEGAL_EVENT, Updates
    from arrears.contracts.recovery import (
        LegalCaseLookup,
        LegalCaseUpdate,
        LegalCaseUpdateResult,
        LegalCaseView,
        LegalUpdateRecord,
    )
    from arrears.domain.legal import event_refusal

from workflows.recovery.base import RecoveryBase
from workflows.shared import record_refusal, refuse


class RecoveryLegal(RecoveryBase):
    async def _load_legal_case(self) -> None:
        """The case referred from the episode, if any: legal updates are validated against it."""
        view: LegalCaseView | None = await self._act(
            LOAD_LEGAL_CASE,
            LegalCaseLookup(account_id=self.inp.account_id, episode_id=self.inp.episode_id),
            result_type=LegalCaseView | None,
        )
        if view is not None and self.inp.legal_case_id is not None and str(view.case_id) != self.inp.legal_case_id:
            workflow.logger.warning(
                "legal case %s of episode %s is on record as case %s; that one continues",
                self.inp.legal_case_id,
                self.inp.episode_id,
                view.case_id,
            )
        self.state.legal = view
        self.state.legal_loaded = True

    def _legal_refusal(self, request: LegalCaseUpdate) -> tuple[str, str] | None:
        """Why this event cannot apply to the case as this workflow knows it, and the refusal's type;
        None for an event that can (or a same-content repeat)."""
        known = self.state.legal_updates.get(request.event.event_id)
        if known is not None:
            if known.event != request.event:
                return f"event id {request.event.event_id} was already used with different content", errors.REFUSED
            return None
        if self.outcome is not None:
            return f"{self._ended()}; the legal case is no longer updated here", errors.EPISODE_ENDED
        if self.state.legal is None:
            return (
                f"no legal case for account {self.inp.account_id}: none was referred from episode "
                f"{self.inp.episode_id}",
                errors.NOT_FOUND,
            )
        refusal = event_refusal(self.state.legal.case, request.event)
        return (f"case {self.state.legal.case_id}: {refusal}", errors.REFUSED) if refusal else None

    def _refuse_legal(self, request: LegalCaseUpdate) -> None:
        refusal = self._legal_refusal(request)
        if refusal is not None:
            refuse(*refusal)

    @workflow.update(name=Updates.UPDATE_LEGAL_CASE)
    async def update_legal_case(self, request: LegalCaseUpdate) -> LegalCaseUpdateResult:
        async with self._legal:
            await workflow.wait_condition(lambda: self.state.legal_loaded)
            # Again here: the validator may have run before the case was read, or before the event ahead of it.
            self._refuse_legal(request)
            known = self.state.legal_updates.get(request.event.event_id)
            if known is not None:
                return known.result.model_copy(update={"duplicate": True})
            assert self.state.legal is not None
            try:
                done: LegalEventResult = await self._act(
                    RECORD_LEGAL_EVENT,
                    LegalEventCommand(
                        account_id=self.inp.account_id, episode_id=self.inp.episode_id, event=request.event
                    ),
                    result_type=LegalEventResult,
                )
            except ActivityError as exc:
                raise record_refusal(exc) from None
            case = self.state.legal.case
            self.state.legal = LegalCaseView(
                case_id=done.case_id,
                case=case.model_copy(
                    update={
                        "state": done.state,
                        "last_event_on": max(case.last_event_on, request.event.on),
                        "costs": done.costs,
                        "recoverable_costs": done.recoverable_costs,
                    }
                ),
            )
            result = LegalCaseUpdateResult(
                case_id=done.case_id,
                event_id=request.event.event_id,
                state=done.state,
                costs=done.costs,
                recoverable_costs=done.recoverable_costs,
            )
            self.state.legal_updates[request.event.event_id] = LegalUpdateRecord(event=request.event, result=result)
            self.changed = True
            return result

    @update_legal_case.validator
    def _validate_legal(self, request: LegalCaseUpdate) -> None:
        if not self.state.legal_loaded and request.event.event_id not in self.state.legal_updates:
            return  # the case is still being read: the handler checks once it is
        self._refuse_legal(request)
