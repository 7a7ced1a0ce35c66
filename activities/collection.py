"""Activities of the AccountCollection workflow: every side effect lives here.

Each activity writes under a stable idempotency key with a unique constraint.
Run twice with the same command (a retry after a crash, a timeout that fired
while the first attempt was still running) it finds its own earlier row and
returns the same answer, so nothing is recorded or sent twice and nothing is
lost.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.agency import AgencyActivities
from activities.holds import HoldActivities
from activities.ledger import write_postings
from activities.records import records
from arrears.audit.evidence_chain import chain
from arrears.audit.evidence_store import find as find_evidence
from arrears.channels.adapter import ChannelAdapter, OutboundMessage, OutboxAdapter
from arrears.channels.gateway import deliver, publish
from arrears.channels.render import Renderer, format_amount
from arrears.compliance.consent_record import record_consent
from arrears.compliance.decision_record import earlier_decision, episode_policy, record_decision, remember_policy
from arrears.compliance.gate_record import (
    BASELINE,
    gate,
    gate_person,
    in_flight,
    sent,
    unverified_disputes,
    validation_state,
)
from arrears.compliance.notices import Debt, verify_dispute
from arrears.contracts import errors, keys
from arrears.contracts.collection import StrategyChangeCommand
from arrears.contracts.collection_activities import (
    CloseEpisodeCommand,
    DisputeVerificationCommand,
    NoticeResult,
    OpenEpisodeCommand,
    OutcomeCommand,
    PaymentCommand,
    PlanCommand,
    PlanResolutionCommand,
    PromiseCommand,
    PromiseResolutionCommand,
    SettlementCommand,
    SettlementResolutionCommand,
    StageChangeCommand,
    StepCommand,
    StepResult,
)
from arrears.contracts.ledger import PostLedgerCommand
from arrears.contracts.names import (
    CLOSE_EPISODE,
    EXECUTE_STEP,
    OPEN_EPISODE,
    RECORD_OUTCOME,
    RECORD_PAYMENT,
    RECORD_PLAN,
    RECORD_PROMISE,
    RECORD_SETTLEMENT,
    RECORD_STAGE_CHANGE,
    RECORD_STRATEGY_CHANGE,
    RESOLVE_PLAN,
    RESOLVE_PROMISE,
    RESOLVE_SETTLEMENT,
    SEND_DISPUTE_VERIFICATION,
)
from arrears.db.clock import utcnow
from arrears.db.idempotent import insert_once
from arrears.db.models import (
    Account,
    AccountAction,
    CollectorTask,
    ContactAttempt,
    ContactDecision,
    ContactOutcomeRecord,
    EffectiveCollection,
    Episode,
    Payment,
    Plan,
    PromiseToPay,
    Settlement,
    StageEvent,
    StrategyChange,
)
from arrears.desk import calls
from arrears.desk.assign import open_desk_task
from arrears.domain.contacts import guarantors, locatable_persons
from arrears.domain.desk import DESK_TASKS
from arrears.domain.ladder import ScheduledStep
from arrears.domain.policy import CONVERSATION_OUTCOMES, Decision, MessageKind, Verdict
from arrears.domain.strategy import ACCOUNT_ACTIONS, COLLECTOR_TASKS, REMINDERS, THIRD_PARTY, Action

# Where each reminder goes, from the account's contact details.
_RECIPIENT = {Action.SMS: "phone", Action.IM: "phone", Action.EMAIL: "email", Action.LETTER: "billing_address"}
# The key of the episode's validation notice step (workflows/account_collection.py schedules it).
VALIDATION_STEP = "validation-notice"
# The outbox topic other systems subscribe to for account-level actions.
_ACTION_TOPIC = {Action.RESTRICT_CARD: "card", Action.BUREAU_REPORT: "bureau", Action.CHARGE_OFF: "ledger"}


def _evidence(session: Session, account_id: str, evidence_id: str) -> dict:
    """An evidence file a visit report cites, by its evidence-store id: its SHA-256, or marked missing.

    Only the record is read, never a file: the id was checked against the store when the report came in.
    """
    row = find_evidence(session, account_id, evidence_id)
    return {"evidence_id": evidence_id, "sha256": row.sha256 if row else None, "missing": row is None}


class CollectionActivities(AgencyActivities, HoldActivities):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        renderer: Renderer,
        adapter: ChannelAdapter | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.renderer = renderer
        self.adapter = adapter or OutboxAdapter()
        self.clock = clock

    def all(self) -> list[Callable]:
        return [
            self.open_episode,
            self.execute_step,
            self.record_payment,
            self.record_stage_change,
            self.close_episode,
            self.record_promise,
            self.resolve_promise,
            self.record_settlement,
            self.resolve_settlement,
            self.record_plan,
            self.resolve_plan,
            self.record_outcome,
            self.record_strategy_change,
            self.send_dispute_verification,
            *self.agency_activities(),
            *self.hold_activities(),
        ]

    # ---- episode -------------------------------------------------------------

    @activity.defn(name=OPEN_EPISODE)
    @records
    def open_episode(self, cmd: OpenEpisodeCommand) -> bool:
        """Create the episode row; False when it already exists (a retry)."""
        with self.sessions.begin() as session:
            if session.get(Episode, cmd.episode_id) is not None:
                return False
            if session.get(Account, cmd.account_id) is None:
                # Permanent: the starter writes the account before starting, so retrying cannot bring it.
                raise ApplicationError(
                    f"account {cmd.account_id} is not in the system of record",
                    type=errors.ACCOUNT_NOT_ON_RECORD,
                    non_retryable=True,
                )
            session.add(
                Episode(
                    episode_id=cmd.episode_id,
                    account_id=cmd.account_id,
                    workflow_id=cmd.workflow_id,
                    run_id=cmd.run_id,
                    started_at=cmd.started_at,
                    due_date=cmd.due_date,
                    dpd_at_start=cmd.dpd_at_start,
                    currency=cmd.currency,
                    opening_overdue=cmd.overdue_amount,
                    opening_balance=cmd.total_balance,
                    risk_segment=cmd.risk_segment.value,
                    strategy_name=cmd.strategy_name,
                    strategy_hash=cmd.strategy_hash,
                    trigger=cmd.trigger,
                    clock_anchor_real=cmd.clock.anchor_real if cmd.clock else None,
                    clock_anchor_virtual=cmd.clock.anchor_virtual if cmd.clock else None,
                    day_seconds=cmd.clock.day_seconds if cmd.clock else None,
                )
            )
            # The agenda engine opens with one write: the opening stage and ledger in the same transaction.
            if cmd.opening_stage is not None:
                session.flush()
                session.add(
                    StageEvent(
                        idempotency_key=keys.stage_key(cmd.episode_id, cmd.opening_stage),
                        episode_id=cmd.episode_id,
                        account_id=cmd.account_id,
                        stage=cmd.opening_stage,
                        previous_stage=None,
                        dpd=cmd.opening_dpd if cmd.opening_dpd is not None else cmd.dpd_at_start,
                        occurred_at=cmd.started_at,
                    )
                )
            if cmd.postings:
                session.flush()
                write_postings(
                    session,
                    PostLedgerCommand(
                        account_id=cmd.account_id,
                        episode_id=cmd.episode_id,
                        currency=cmd.currency,
                        postings=cmd.postings,
                    ),
                    self.clock(),
                )
        return True

    @activity.defn(name=CLOSE_EPISODE)
    @records
    def close_episode(self, cmd: CloseEpisodeCommand) -> bool:
        """Write the outcome and its stage event in one transaction."""
        with self.sessions.begin() as session:
            episode = session.get(Episode, cmd.episode_id)
            if episode is None:
                raise ApplicationError(
                    f"episode {cmd.episode_id} was never opened", type=errors.EPISODE_NOT_OPENED, non_retryable=True
                )
            if episode.outcome is not None:
                return False
            episode.outcome = cmd.outcome.value
            episode.outcome_reason = cmd.reason
            episode.closed_by = cmd.closed_by
            episode.closed_at = cmd.closed_at
            episode.closing_dpd = cmd.dpd
            episode.closing_overdue = cmd.overdue_amount
            episode.closing_balance = cmd.total_balance
            session.add(
                StageEvent(
                    idempotency_key=keys.outcome_stage_key(cmd.episode_id),
                    episode_id=cmd.episode_id,
                    account_id=cmd.account_id,
                    stage=cmd.outcome.value,
                    previous_stage=None,
                    dpd=cmd.dpd,
                    occurred_at=cmd.closed_at,
                )
            )
        return True

    @activity.defn(name=RECORD_STAGE_CHANGE)
    @records
    def record_stage_change(self, cmd: StageChangeCommand) -> bool:
        key = keys.stage_key(cmd.episode_id, cmd.stage)
        return self._insert_once(
            StageEvent,
            key,
            lambda: StageEvent(
                idempotency_key=key,
                episode_id=cmd.episode_id,
                account_id=cmd.account_id,
                stage=cmd.stage,
                previous_stage=cmd.previous_stage,
                dpd=cmd.dpd,
                occurred_at=cmd.occurred_at,
            ),
        )

    @activity.defn(name=RECORD_PAYMENT)
    @records
    def record_payment(self, cmd: PaymentCommand) -> bool:
        p = cmd.payment
        with self.sessions.begin() as session:
            _, created = insert_once(
                session,
                Payment(
                    account_id=cmd.account_id,
                    payment_id=p.payment_id,
                    episode_id=cmd.episode_id,
                    amount=p.amount,
                    currency=cmd.currency,
                    paid_at=p.paid_at,
                    channel=p.channel,
                    dpd=p.dpd,
                    overdue_after=p.overdue_after,
                    total_after=p.total_after,
                    recorded_at=self.clock(),
                ),
                existing=lambda: session.scalar(
                    select(Payment).where(Payment.account_id == cmd.account_id, Payment.payment_id == p.payment_id)
                ),
            )
        return created

    # ---- promises to pay --------------------------------------------------------

    @activity.defn(name=RECORD_PROMISE)
    @records
    def record_promise(self, cmd: PromiseCommand) -> bool:
        """Record a new promise (and retire the one it replaces) in one transaction."""
        p = cmd.promise
        with self.sessions.begin() as session:
            # The new promise first: a repeat must not retire the old one again.
            _, created = insert_once(
                session,
                PromiseToPay(
                    account_id=cmd.account_id,
                    promise_id=p.promise_id,
                    episode_id=cmd.episode_id,
                    amount=p.amount,
                    currency=cmd.currency,
                    promised_date=p.promised_date,
                    deadline=p.deadline,
                    collector_id=p.collector_id,
                    supervisor_id=p.supervisor_id,
                    channel=p.channel,
                    note=p.note,
                    made_at=p.made_at,
                    made_dpd=p.made_dpd,
                    status="active",
                ),
                existing=lambda: self._promise(session, cmd.account_id, p.promise_id),
            )
            if not created:
                return False
            if cmd.replaces:
                old = self._promise(session, cmd.account_id, cmd.replaces)
                if old is not None and old.status == "active":
                    old.status, old.replaced_by, old.resolved_at = "replaced", p.promise_id, p.made_at
        return True

    @activity.defn(name=RESOLVE_PROMISE)
    @records
    def resolve_promise(self, cmd: PromiseResolutionCommand) -> bool:
        """Mark a promise kept or broken; a repeat finds it already resolved."""
        with self.sessions.begin() as session:
            promise = self._promise(session, cmd.account_id, cmd.promise_id)
            if promise is None:
                raise ApplicationError(
                    f"promise {cmd.promise_id} of account {cmd.account_id} was never recorded",
                    type=errors.RECORD_MISSING,
                    non_retryable=True,
                )
            if promise.status != "active":
                return False
            promise.status, promise.paid_toward, promise.resolved_at = cmd.status, cmd.paid_toward, cmd.resolved_at
        return True

    @staticmethod
    def _promise(session: Session, account_id: str, promise_id: str) -> PromiseToPay | None:
        return session.scalar(
            select(PromiseToPay).where(PromiseToPay.account_id == account_id, PromiseToPay.promise_id == promise_id)
        )

    # ---- settlements -----------------------------------------------------------------

    @activity.defn(name=RECORD_SETTLEMENT)
    @records
    def record_settlement(self, cmd: SettlementCommand) -> bool:
        o = cmd.offer
        with self.sessions.begin() as session:
            # The new offer first: a repeat must not retire the old one again.
            _, created = insert_once(
                session,
                Settlement(
                    account_id=cmd.account_id,
                    offer_id=o.offer_id,
                    episode_id=cmd.episode_id,
                    amount=o.amount,
                    currency=cmd.currency,
                    balance_at_offer=o.balance_at_offer,
                    expires_on=o.expires_on,
                    expires_at=o.expires_at,
                    approved_by=o.approved_by,
                    approver_role=o.approver_role.value,
                    made_at=o.made_at,
                    status="open",
                ),
                existing=lambda: self._offer(session, cmd.account_id, o.offer_id),
            )
            if not created:
                return False
            if cmd.replaces:
                old = self._offer(session, cmd.account_id, cmd.replaces)
                if old is not None and old.status == "open":
                    old.status, old.replaced_by, old.resolved_at = "replaced", o.offer_id, o.made_at
        return True

    @activity.defn(name=RESOLVE_SETTLEMENT)
    @records
    def resolve_settlement(self, cmd: SettlementResolutionCommand) -> bool:
        with self.sessions.begin() as session:
            offer = self._offer(session, cmd.account_id, cmd.offer_id)
            if offer is None:
                raise ApplicationError(
                    f"offer {cmd.offer_id} of account {cmd.account_id} was never recorded",
                    type=errors.RECORD_MISSING,
                    non_retryable=True,
                )
            if offer.status != "open":
                return False
            offer.status, offer.paid_toward, offer.forgiven, offer.resolved_at = (
                cmd.status,
                cmd.paid_toward,
                cmd.forgiven,
                cmd.resolved_at,
            )
        return True

    @staticmethod
    def _offer(session: Session, account_id: str, offer_id: str) -> Settlement | None:
        return session.scalar(
            select(Settlement).where(Settlement.account_id == account_id, Settlement.offer_id == offer_id)
        )

    # ---- instalment plans ----------------------------------------------------------

    @activity.defn(name=RECORD_PLAN)
    @records
    def record_plan(self, cmd: PlanCommand) -> bool:
        p = cmd.plan
        with self.sessions.begin() as session:
            _, created = insert_once(
                session,
                Plan(
                    account_id=cmd.account_id,
                    plan_id=p.plan_id,
                    episode_id=cmd.episode_id,
                    currency=cmd.currency,
                    total=p.total,
                    schedule=[{"due_date": i.due_date.isoformat(), "amount": str(i.amount)} for i in p.instalments],
                    fee_waiver=p.fee_waiver,
                    rate_discount_percent=p.rate_discount_percent,
                    approved_by=p.approved_by,
                    approver_role=p.approver_role.value,
                    made_at=p.made_at,
                    status="active",
                    status_reason="",
                ),
                existing=lambda: self._plan(session, cmd.account_id, p.plan_id),
            )
        return created

    @activity.defn(name=RESOLVE_PLAN)
    @records
    def resolve_plan(self, cmd: PlanResolutionCommand) -> bool:
        with self.sessions.begin() as session:
            plan = self._plan(session, cmd.account_id, cmd.plan_id)
            if plan is None:
                raise ApplicationError(
                    f"plan {cmd.plan_id} of account {cmd.account_id} was never recorded",
                    type=errors.RECORD_MISSING,
                    non_retryable=True,
                )
            if plan.status != "active":
                return False
            plan.status, plan.status_reason, plan.paid_into, plan.resolved_at = (
                cmd.status,
                cmd.reason,
                cmd.paid_into,
                cmd.resolved_at,
            )
        return True

    @staticmethod
    def _plan(session: Session, account_id: str, plan_id: str) -> Plan | None:
        return session.scalar(select(Plan).where(Plan.account_id == account_id, Plan.plan_id == plan_id))

    # ---- outcomes of collectors' work ------------------------------------------------

    @activity.defn(name=RECORD_OUTCOME)
    @records
    def record_outcome(self, cmd: OutcomeCommand) -> bool:
        """One outcome per task; closes the task; a wrong number blocks that phone.

        A contact that reached the cardholder enters the effective-collection
        register in the same transaction, with the outcome's evidence. The
        call or visit itself is on record with its dial time (``collector_contacts``):
        the one started at the desk, or one entered now, judged by the gate at that
        moment and flagged with the rule it broke. A telephone conversation closes
        or defers the account's other open calls per the quiet period, and a
        callback request is recorded as prior consent to that call.
        """
        o = cmd.outcome
        try:
            with self.sessions.begin() as session:
                if session.scalar(select(ContactOutcomeRecord.id).where(ContactOutcomeRecord.task_id == o.task_id)):
                    return False
                visit = None
                if o.visit is not None:
                    visit = o.visit.model_dump(mode="json", exclude={"evidence_files"})
                    visit["evidence"] = [_evidence(session, cmd.account_id, e) for e in o.visit.evidence_files]
                session.add(
                    ContactOutcomeRecord(
                        task_id=o.task_id,
                        episode_id=cmd.episode_id,
                        account_id=cmd.account_id,
                        outcome=o.outcome.value,
                        reason_for_delinquency=o.reason_for_delinquency.value if o.reason_for_delinquency else None,
                        duration_seconds=o.duration_seconds,
                        collector_id=o.collector_id,
                        note=o.note,
                        callback_at=o.callback_at,
                        visit=visit,
                        recorded_at=cmd.recorded_at,
                    )
                )
                task = session.get(CollectorTask, o.task_id)
                if task is not None:
                    task.status = "done"
                    if task.kind in DESK_TASKS:
                        self._worked(session, task, cmd)
                if o.outcome.value == "wrong_number":
                    account = session.get(Account, cmd.account_id)
                    if account is not None:
                        account.phone_invalid = True
                if cmd.effective_collection is not None:
                    session.add(
                        EffectiveCollection(
                            idempotency_key=keys.effective_collection_key(cmd.episode_id, o.task_id),
                            account_id=cmd.account_id,
                            episode_id=cmd.episode_id,
                            kind=cmd.effective_collection,
                            occurred_at=cmd.recorded_at,
                            source_ref=f"task {o.task_id}",
                            evidence={
                                "task_id": o.task_id,
                                "task_kind": task.kind if task is not None else None,
                                "outcome": o.outcome.value,
                                "collector_id": o.collector_id,
                                "duration_seconds": o.duration_seconds,
                                "note": o.note,
                                "visit": visit,
                            },
                        )
                    )
        except IntegrityError:
            with self.sessions() as session:
                if session.scalar(select(ContactOutcomeRecord.id).where(ContactOutcomeRecord.task_id == o.task_id)):
                    return False
            raise
        return True

    def _worked(self, session: Session, task: CollectorTask, cmd: OutcomeCommand) -> None:
        o = cmd.outcome
        policy = calls.policy_of(session, task, episode_policy(session, task.episode_id))
        if o.started_at is not None:
            # Entered after the fact: judged at the dial time the collector gave (never later than now).
            at, entered = min(o.started_at, cmd.recorded_at), calls.AFTER_THE_FACT
        else:
            at, entered = cmd.recorded_at - timedelta(seconds=o.duration_seconds), calls.FROM_OUTCOME
        contact = calls.worked(session, task, at, o.collector_id, entered, policy, self.clock())
        if task.kind != "call" or o.outcome.value not in CONVERSATION_OUTCOMES:
            return
        account = session.get(Account, task.account_id)
        zone = account.timezone if account is not None else "UTC"
        if o.outcome.value == "callback_requested" and o.callback_at is not None:
            # Comment 14(b)(3)(i)-3.i: "call back on Monday" is prior consent to that call, received
            # during this conversation; it covers the rest of that local day.
            local = o.callback_at.astimezone(ZoneInfo(zone))
            end = datetime.combine(local.date() + timedelta(days=1), dtime(0, 0), tzinfo=ZoneInfo(zone))
            record_consent(
                session,
                task.account_id,
                "call",
                "consented",
                f"callback_requested on task {task.id}",
                contact.started_at,
                valid_from=o.callback_at,
                valid_until=end,
            )
        calls.after_conversation(session, task, contact.started_at, policy, zone)

    # ---- strategy changes --------------------------------------------------------

    @activity.defn(name=RECORD_STRATEGY_CHANGE)
    @records
    def record_strategy_change(self, cmd: StrategyChangeCommand) -> bool:
        """The change on record, and the episode's pinned strategy moved with it, in one transaction."""
        key = keys.strategy_change_key(cmd.episode_id, cmd.to_hash, cmd.applied_at)
        with self.sessions.begin() as session:
            _, created = insert_once(
                session,
                StrategyChange(
                    idempotency_key=key,
                    episode_id=cmd.episode_id,
                    account_id=cmd.account_id,
                    from_name=cmd.from_name,
                    from_hash=cmd.from_hash,
                    to_name=cmd.to_name,
                    to_hash=cmd.to_hash,
                    applied_by=cmd.applied_by,
                    reason=cmd.reason,
                    dpd=cmd.dpd,
                    applied_at=cmd.applied_at,
                ),
                existing=lambda: session.scalar(select(StrategyChange).where(StrategyChange.idempotency_key == key)),
            )
            if not created:
                return False
            episode = session.get(Episode, cmd.episode_id)
            if episode is not None:
                episode.strategy_name, episode.strategy_hash = cmd.to_name, cmd.to_hash
        return True

    # ---- strategy steps --------------------------------------------------------

    @activity.defn(name=EXECUTE_STEP)
    @records
    def execute_step(self, cmd: StepCommand) -> StepResult:
        action = cmd.step.action
        if action in THIRD_PARTY:
            return self._reach_persons(cmd)
        model: type[ContactAttempt] | type[CollectorTask] | type[AccountAction]
        build: Callable[..., StepResult]
        if action in REMINDERS:
            model, build = ContactAttempt, self._contact
        elif action in COLLECTOR_TASKS:
            model, build = CollectorTask, self._task
        elif action in ACCOUNT_ACTIONS:
            model, build = AccountAction, self._account_action
        else:  # pragma: no cover - the Action enum is closed
            raise ApplicationError(f"unknown action {action}", type=errors.INVALID_COMMAND, non_retryable=True)
        key = cmd.idempotency_key
        earlier = self._existing(model, key)
        if earlier is not None:
            return earlier
        try:
            with self.sessions.begin() as session:
                self._remember_policy(session, cmd)
                decision = None
                if action in REMINDERS or action.value in DESK_TASKS:
                    # The policy gate decides at send time, on the record as it is now.
                    held_back, decision = self._gate(session, cmd)
                    if held_back is not None:
                        return held_back
                result = build(session, cmd, decision)
        except IntegrityError:
            earlier = self._existing(model, key)
            if earlier is None:
                raise
            return earlier
        return result

    def _remember_policy(self, session: Session, cmd: StepCommand) -> str:
        """The episode's policy on record, for the activities whose commands do not carry it."""
        digest = remember_policy(session, cmd.compliance, self.clock())
        episode = session.get(Episode, cmd.episode_id)
        if episode is not None and episode.policy_hash != digest:
            episode.policy_hash = digest
        return digest

    def _gate(self, session: Session, cmd: StepCommand) -> tuple[StepResult | None, ContactDecision]:
        """(None, the allowing decision) when the contact may go now; else the deferral or suppression,
        recorded with its rule. The result's detail names the channel and the rule, never an address."""
        account = session.get(Account, cmd.account_id)
        if account is None:
            raise ApplicationError(
                f"account {cmd.account_id} is not in the system of record",
                type=errors.ACCOUNT_NOT_ON_RECORD,
                non_retryable=True,
            )
        channel = cmd.step.action.value
        key = keys.decision_key(cmd.idempotency_key, cmd.executed_at)
        prior = earlier_decision(session, key)
        if prior is None:
            self._settle_owed(session, cmd)
            decision = gate(
                session,
                account,
                channel,
                cmd.executed_at,
                cmd.compliance,
                template=cmd.step.template,
                episode_id=cmd.episode_id,
                extra_holds=in_flight(cmd.holds),
            )
            prior = record_decision(
                session,
                key,
                cmd.episode_id,
                cmd.account_id,
                cmd.step.step_id,
                channel,
                cmd.executed_at,
                decision,
                cmd.compliance,
                self.clock(),
            )
        verdict = Verdict(prior.verdict)
        if verdict == Verdict.ALLOW:
            return None, prior
        detail = f"{prior.rule}: {prior.detail}"
        if verdict == Verdict.DEFER:
            return StepResult(
                idempotency_key=cmd.idempotency_key,
                kind="deferred",
                channel=channel,
                record_id=prior.id,
                duplicate=False,
                detail=detail,
                deferred_until=prior.until,
            ), prior
        if cmd.step.action in REMINDERS:
            # Kept as evidence: what would have been sent, to whom, and the rule that stopped it.
            self._contact(session, cmd, prior, suppressed=f"suppressed:{prior.rule}")
        return StepResult(
            idempotency_key=cmd.idempotency_key,
            kind="suppressed",
            channel=channel,
            record_id=prior.id,
            duplicate=False,
            detail=detail,
        ), prior

    def _settle_owed(self, session: Session, cmd: StepCommand) -> None:
        """What the customer is owed goes before a collection contact that finds it missing.

        The episode plans the validation notice first and the verification on a verified release;
        where a plan lost one (a replanning after a pause, an update racing the loop), the first
        contact that finds it missing sends it now, through the gate, under the key the episode would
        have used (so the episode's own step later finds it done). If the gate defers it, the contact
        waits for it (rules ``validation_notice_pending``, ``verification_owed``).
        """
        policy = cmd.compliance or BASELINE
        template = policy.validation_notice_template
        if cmd.step.key == VALIDATION_STEP or policy.kind_of(cmd.step.template) != MessageKind.COLLECTION:
            return
        if template is not None:
            pending, until = validation_state(session, cmd.episode_id, policy)
            if pending and (until is None or until < cmd.executed_at):
                notice = cmd.model_copy(
                    update={
                        "step": ScheduledStep(
                            key=VALIDATION_STEP,
                            step_id=VALIDATION_STEP,
                            action=Action.LETTER,
                            dpd=cmd.dpd,
                            due_at=cmd.executed_at,
                            template=template,
                            catch_up=True,
                        )
                    }
                )
                if (
                    session.scalar(
                        select(ContactAttempt.id).where(ContactAttempt.idempotency_key == notice.idempotency_key)
                    )
                    is None
                ):
                    held_back, decision = self._gate(session, notice)
                    if held_back is None:
                        self._contact(session, notice, decision)
        for hold in unverified_disputes(session, cmd.account_id, policy):
            verify_dispute(
                session,
                self.renderer,
                self.adapter,
                episode_id=cmd.episode_id,
                account_id=cmd.account_id,
                hold_id=hold.hold_id,
                at=cmd.executed_at,
                debt=Debt(cmd.currency, cmd.overdue_amount, cmd.total_balance, cmd.due_date, cmd.dpd),
                policy=policy,
                key=keys.verification_key(hold.episode_id, hold.hold_id),
                now=self.clock(),
            )

    def _reach_persons(self, cmd: StepCommand) -> StepResult:
        """A locate step texts the account's contact persons asking the cardholder to call back; a
        guarantor step texts its guarantors about the debt where the preset allows it.

        Locating only while the cardholder's own phone is known to be wrong; only people with a
        stated relationship; only templates the preset marks safe for them (the gate checks what
        the message is, at send time too); each person at most as often as the preset allows. One
        contact row per person (key ``<step key>#<n>``), sent or suppressed with its rule; a person
        outside their hours is not texted later: reaching them is best effort.
        """
        key = cmd.idempotency_key
        channel = cmd.step.action.value  # locate | guarantor
        with self.sessions() as session:
            rows = session.scalars(
                select(ContactAttempt).where(
                    ContactAttempt.idempotency_key.like(keys.person_contacts_prefix(key) + "%")
                )
            ).all()
            whole = earlier_decision(session, keys.decision_key(key, cmd.executed_at))
        if rows:
            sent_any = any(r.result == "queued" for r in rows)
            return StepResult(
                idempotency_key=key,
                kind="contact" if sent_any else "suppressed",
                channel=channel,
                record_id=rows[0].id,
                duplicate=True,
                detail=f"{len(rows)} person(s)",
            )
        if whole is not None:
            return StepResult(
                idempotency_key=key,
                kind="suppressed",
                channel=channel,
                record_id=whole.id,
                duplicate=True,
                detail=f"{whole.rule}: {whole.detail}",
            )
        locating = cmd.step.action == Action.LOCATE
        with self.sessions.begin() as session:
            self._remember_policy(session, cmd)
            account = session.get(Account, cmd.account_id)
            if account is None:
                raise ApplicationError(
                    f"account {cmd.account_id} is not in the system of record",
                    type=errors.ACCOUNT_NOT_ON_RECORD,
                    non_retryable=True,
                )
            persons = locatable_persons(account.contacts) if locating else guarantors(account.contacts)
            reason = None
            if locating and not account.phone_invalid:
                reason = ("locate_not_needed", "the cardholder's own phone works: contact persons are not approached")
            elif not persons:
                reason = (
                    ("no_contact_person", "no contact person with a stated relationship and a phone")
                    if locating
                    else ("no_guarantor", "no guarantor with a phone on the account")
                )
            if reason is not None:
                row = record_decision(
                    session,
                    keys.decision_key(key, cmd.executed_at),
                    cmd.episode_id,
                    cmd.account_id,
                    cmd.step.step_id,
                    channel,
                    cmd.executed_at,
                    Decision(Verdict.SUPPRESS, reason[0], reason[1]),
                    cmd.compliance,
                    self.clock(),
                )
                return StepResult(
                    idempotency_key=key,
                    kind="suppressed",
                    channel=channel,
                    record_id=row.id,
                    duplicate=False,
                    detail=f"{reason[0]}: {reason[1]}",
                )
            template = cmd.step.template or ("sms_locate" if locating else "sms_guarantor")
            kind = MessageKind.LOCATION if locating else MessageKind.COLLECTION
            first_id, sent_count = 0, 0
            for n, person in enumerate(persons):
                before = session.execute(
                    select(func.count())
                    .select_from(ContactAttempt)
                    .where(
                        ContactAttempt.account_id == account.account_id,
                        ContactAttempt.channel == channel,
                        ContactAttempt.recipient == person.phone,
                        ContactAttempt.result == "queued",
                    )
                ).scalar_one()
                decision = gate_person(
                    session,
                    account,
                    person.phone,
                    cmd.executed_at,
                    cmd.compliance,
                    template,
                    before,
                    party=person.party,
                    kind=kind,
                )
                row = record_decision(
                    session,
                    keys.decision_key(keys.person_contact_key(key, n), cmd.executed_at),
                    cmd.episode_id,
                    cmd.account_id,
                    cmd.step.step_id,
                    channel,
                    cmd.executed_at,
                    decision,
                    cmd.compliance,
                    self.clock(),
                )
                rendered = self.renderer.render(
                    account.language,
                    template,
                    customer_name=account.customer_name,
                    account_id=account.account_id,
                    overdue_amount=cmd.overdue_amount,
                    total_balance=cmd.total_balance,
                    currency=cmd.currency,
                    due_date=cmd.due_date,
                    dpd=cmd.dpd,
                    contact_name=person.name,
                )
                if decision.verdict == Verdict.ALLOW:
                    result = deliver(
                        session,
                        self.adapter,
                        row,
                        OutboundMessage(
                            idempotency_key=keys.person_contact_key(key, n),
                            topic="sms",
                            account_id=account.account_id,
                            payload={
                                "to": person.phone,
                                "language": account.language,
                                "subject": None,
                                "body": rendered.body,
                                "template": template,
                                "registered": False,
                                "party": person.party.value,
                            },
                        ),
                        self.clock(),
                    )
                    sent_count += 1
                else:
                    result = f"suppressed:{decision.rule}"
                attempt = ContactAttempt(
                    idempotency_key=keys.person_contact_key(key, n),
                    episode_id=cmd.episode_id,
                    account_id=account.account_id,
                    step_id=cmd.step.step_id,
                    channel=channel,
                    template=template,
                    language=account.language,
                    recipient=person.phone,
                    subject=None,
                    rendered_text=rendered.body,
                    dpd=cmd.dpd,
                    stage=cmd.stage,
                    catch_up=cmd.step.catch_up,
                    scheduled_for=cmd.step.due_at,
                    attempted_at=cmd.executed_at,
                    result=result,
                    adapter=self.adapter.name,
                )
                session.add(attempt)
                chain(session, attempt)
                first_id = first_id or attempt.id
            return StepResult(
                idempotency_key=key,
                kind="contact" if sent_count else "suppressed",
                channel=channel,
                record_id=first_id,
                duplicate=False,
                detail=f"{sent_count} of {len(persons)} person(s) texted",
            )

    def _existing(self, model, key: str) -> StepResult | None:
        with self.sessions() as session:
            row = session.scalar(select(model).where(model.idempotency_key == key))
            if row is None:
                return None
            if isinstance(row, ContactAttempt):
                kind = "suppressed" if row.result.startswith("suppressed") else "contact"
                return StepResult(
                    idempotency_key=key,
                    kind=kind,
                    channel=row.channel,
                    record_id=row.id,
                    duplicate=True,
                    detail=row.result,
                )
            if isinstance(row, CollectorTask):
                return StepResult(
                    idempotency_key=key,
                    kind="task",
                    channel=row.kind,
                    record_id=row.id,
                    duplicate=True,
                    detail=row.status,
                )
            return StepResult(
                idempotency_key=key, kind="account_action", channel=row.action, record_id=row.id, duplicate=True
            )

    def _contact(
        self, session: Session, cmd: StepCommand, decision: ContactDecision | None, suppressed: str | None = None
    ) -> StepResult:
        account = session.get(Account, cmd.account_id)
        if account is None:
            raise ApplicationError(
                f"account {cmd.account_id} is not in the system of record",
                type=errors.ACCOUNT_NOT_ON_RECORD,
                non_retryable=True,
            )
        action = cmd.step.action
        template = cmd.step.template or action.value
        rendered = self.renderer.render(
            account.language,
            template,
            customer_name=account.customer_name,
            account_id=account.account_id,
            overdue_amount=cmd.overdue_amount,
            total_balance=cmd.total_balance,
            currency=cmd.currency,
            due_date=cmd.due_date,
            dpd=cmd.dpd,
        )
        recipient = getattr(account, _RECIPIENT[action]) or ""
        phone_blocked = _RECIPIENT[action] == "phone" and account.phone_invalid
        now = self.clock()
        if suppressed is not None:
            result = suppressed  # the gate said no: nothing reaches the customer
        elif phone_blocked:
            result = "invalid_number"  # a collector found it wrong: nothing is sent to a stranger
        elif recipient:
            assert decision is not None, "a reminder is always judged by the gate first"
            result = deliver(
                session,
                self.adapter,
                decision,
                OutboundMessage(
                    idempotency_key=cmd.idempotency_key,
                    topic=action.value,
                    account_id=account.account_id,
                    payload={
                        "to": recipient,
                        "language": account.language,
                        "subject": rendered.subject,
                        "body": rendered.body,
                        "template": template,
                        "registered": action == Action.LETTER,
                    },
                ),
                now,
            )
        else:
            result = "no_address"  # recorded as evidence that the step could not reach anyone
        attempt = ContactAttempt(
            idempotency_key=cmd.idempotency_key,
            episode_id=cmd.episode_id,
            account_id=account.account_id,
            step_id=cmd.step.step_id,
            channel=action.value,
            template=template,
            language=account.language,
            recipient=recipient,
            subject=rendered.subject,
            rendered_text=rendered.body,
            dpd=cmd.dpd,
            stage=cmd.stage,
            catch_up=cmd.step.catch_up,
            scheduled_for=cmd.step.due_at,
            attempted_at=cmd.executed_at,
            result=result,
            adapter=self.adapter.name,
        )
        session.add(attempt)
        chain(session, attempt)
        return StepResult(
            idempotency_key=cmd.idempotency_key,
            kind="contact",
            channel=action.value,
            record_id=attempt.id,
            duplicate=False,
            detail=result,
        )

    def _task(self, session: Session, cmd: StepCommand, decision: ContactDecision | None = None) -> StepResult:
        kind = cmd.step.action.value
        task = CollectorTask(
            idempotency_key=cmd.idempotency_key,
            episode_id=cmd.episode_id,
            account_id=cmd.account_id,
            step_id=cmd.step.step_id,
            kind=kind,
            status="open",
            dpd=cmd.dpd,
            stage=cmd.stage,
            due_at=cmd.executed_at,
            created_at=self.clock(),
            note=f"{kind} at DPD {cmd.dpd}: overdue {format_amount(cmd.overdue_amount, cmd.currency)}",
            overdue_amount=cmd.overdue_amount,
            currency=cmd.currency,
        )
        account = session.get(Account, cmd.account_id)
        if kind == "call" and account is not None and account.phone_invalid:
            # Do not dial a stranger: the collector traces a new number first.
            task.note = "PHONE MARKED WRONG by a collector: trace a new number before calling. " + task.note
        if kind in DESK_TASKS:
            # Gated again when it is worked (arrears.desk.calls), by the policy it was opened under.
            task.policy_hash = remember_policy(session, cmd.compliance, self.clock())
        session.add(task)
        if kind in DESK_TASKS:
            # Owner chosen in the same transaction (at the moment the ladder opened it, collection
            # time): the task never exists without its routing.
            open_desk_task(session, task, account, cmd.desk, cmd.executed_at)
        publish(
            session,
            self.adapter,
            OutboundMessage(
                idempotency_key=cmd.idempotency_key,
                topic="collections",
                account_id=cmd.account_id,
                payload={"task": kind, "dpd": cmd.dpd, "step_id": cmd.step.step_id},
            ),
            self.clock(),
        )
        session.flush()
        return StepResult(
            idempotency_key=cmd.idempotency_key,
            kind="task",
            channel=kind,
            record_id=task.id,
            duplicate=False,
            detail="open",
        )

    def _account_action(
        self, session: Session, cmd: StepCommand, decision: ContactDecision | None = None
    ) -> StepResult:
        action = cmd.step.action
        row = AccountAction(
            idempotency_key=cmd.idempotency_key,
            episode_id=cmd.episode_id,
            account_id=cmd.account_id,
            step_id=cmd.step.step_id,
            action=action.value,
            dpd=cmd.dpd,
            executed_at=cmd.executed_at,
            overdue_amount=cmd.overdue_amount,
            total_balance=cmd.total_balance,
        )
        session.add(row)
        publish(
            session,
            self.adapter,
            OutboundMessage(
                idempotency_key=cmd.idempotency_key,
                topic=_ACTION_TOPIC[action],
                account_id=cmd.account_id,
                payload={
                    "action": action.value,
                    "dpd": cmd.dpd,
                    "overdue_amount": str(cmd.overdue_amount),
                    "total_balance": str(cmd.total_balance),
                    "currency": cmd.currency,
                },
            ),
            self.clock(),
        )
        session.flush()
        return StepResult(
            idempotency_key=cmd.idempotency_key,
            kind="account_action",
            channel=action.value,
            record_id=row.id,
            duplicate=False,
        )

    # ---- the verification of a disputed debt ------------------------------------------

    @activity.defn(name=SEND_DISPUTE_VERIFICATION)
    def send_dispute_verification(self, cmd: DisputeVerificationCommand) -> NoticeResult:
        """The verification letter (12 CFR 1006.38(d)(2)) for a dispute released as verified, before
        collection resumes: through the gate (the dispute hold does not stop it; another hold may),
        once per dispute (key ``<episode>:verification:<hold id>``)."""
        key = keys.verification_key(cmd.episode_id, cmd.hold_id)
        try:
            with self.sessions.begin() as session:
                debt = Debt(cmd.currency, cmd.overdue_amount, cmd.total_balance, cmd.due_date, cmd.dpd)
                return verify_dispute(
                    session,
                    self.renderer,
                    self.adapter,
                    episode_id=cmd.episode_id,
                    account_id=cmd.account_id,
                    hold_id=cmd.hold_id,
                    at=cmd.at,
                    debt=debt,
                    policy=cmd.compliance,
                    key=key,
                    now=self.clock(),
                    verified=cmd.verified,
                )
        except IntegrityError:
            with self.sessions() as session:
                row = session.scalar(select(ContactAttempt).where(ContactAttempt.idempotency_key == key))
            if row is None:
                raise
            return NoticeResult(
                kind="sent" if sent(row.result) else "suppressed",
                channel="letter",
                record_id=row.id,
                duplicate=True,
                rule="",
                detail=row.result,
            )

    # ---- helpers -----------------------------------------------------------------

    def _insert_once(self, model, key: str, build: Callable[[], object]) -> bool:
        with self.sessions.begin() as session:
            _, created = insert_once(
                session, build(), existing=lambda: session.scalar(select(model).where(model.idempotency_key == key))
            )
        return created
