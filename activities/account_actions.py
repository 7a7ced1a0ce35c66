"""Account-action activities: card restrictions, blacklist, bureau notice, legal cases.

Constructed like CollectionActivities (sessions, renderer, adapter, clock).
Every write is under a unique key, and every event for another system is
handed to the adapter in the same transaction under the same key: a retried
activity finds its earlier rows and sends nothing twice. When two attempts race,
the loser's unique-key violation is caught and the winner's rows are returned.

Keys:
- restriction applied: ``<episode>:restrict:<level>``; lifted: ``<episode>:lift:<level>``
- blacklist entry: unique (episode_id, reason)
- bureau notice: ``<episode>:bureau-notice``
- legal case: ``<episode>:legal``; case event: ``legal-case-<id>:<event_id>``
  (its recoverable cost's ledger event: that key + ``:cost``)
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.records import records
from arrears.audit.evidence_store import find as find_evidence
from arrears.channels.adapter import ChannelAdapter, OutboundMessage, OutboxAdapter
from arrears.channels.gateway import deliver, publish
from arrears.channels.render import Renderer
from arrears.compliance.decision_record import earlier_decision, known_policy, record_decision
from arrears.compliance.gate_record import gate, invalid_addresses
from arrears.contracts import errors, keys
from arrears.contracts.account import (
    BlacklistCommand,
    BlacklistRemovalCommand,
    BlacklistRemovalResult,
    BureauNoticeCommand,
    BureauNoticeResult,
    LegalEventCommand,
    LegalEventResult,
    LegalReferralCommand,
    LegalReferralResult,
    LiftCommand,
    LiftResult,
    RestrictionCommand,
    RestrictionResult,
)
from arrears.contracts.errors import LEGAL_EVENT_REFUSED
from arrears.contracts.names import (
    APPLY_RESTRICTION,
    LIFT_RESTRICTIONS,
    LIST_ON_BLACKLIST,
    RECORD_BUREAU_NOTICE,
    RECORD_LEGAL_EVENT,
    REFER_TO_LEGAL,
    SCHEDULE_BLACKLIST_REMOVAL,
)
from arrears.db.clock import utcnow
from arrears.db.idempotent import insert_once
from arrears.db.models import (
    Account,
    AccountAction,
    BlacklistEntryRecord,
    BureauNotice,
    CardRestriction,
    LegalCaseEvent,
    LegalCaseRecord,
)
from arrears.domain.blacklist import removal_date
from arrears.domain.delinquency import local_date
from arrears.domain.legal import InvalidTransition, LegalCase, LegalPolicy, LegalState
from arrears.domain.policy import ContactPolicy, Decision, MessageKind, Verdict
from arrears.domain.restrictions import RestrictionLevel, levels_to_apply, lift_plan


def _sorted_levels(levels) -> list[RestrictionLevel]:
    return sorted(RestrictionLevel(level) for level in levels)


def _refused(message: str) -> ApplicationError:
    return ApplicationError(message, type=LEGAL_EVENT_REFUSED, non_retryable=True)


class AccountActionActivities:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        renderer: Renderer,
        adapter: ChannelAdapter | None = None,
        clock: Callable[[], datetime] = utcnow,
        policies: Callable[[str], ContactPolicy | None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.renderer = renderer
        self.adapter = adapter or OutboxAdapter()
        self.clock = clock
        # The contact policy of a strategy by its hash (the worker's own files), for a notice whose
        # command does not carry one and whose episode has run no step yet (arrears.compliance.decision_record.known_policy).
        self.policies = policies

    def all(self) -> list[Callable]:
        return [
            self.apply_restriction,
            self.lift_restrictions,
            self.list_on_blacklist,
            self.schedule_blacklist_removal,
            self.record_bureau_notice,
            self.refer_to_legal,
            self.record_legal_event,
        ]

    def _retrying(self, attempt: Callable[[], object], settled: Callable[[], object | None]):
        """Run ``attempt``; if it loses a unique-key race, return what the winner wrote (``settled``)."""
        try:
            return attempt()
        except IntegrityError:
            found = settled()
            if found is None:
                raise  # not a race we recognise (e.g. no episode row yet): retry, never take as done
            return found

    # ---- card restrictions --------------------------------------------------------------

    @staticmethod
    def _on_card(session: Session, account_id: str) -> list[CardRestriction]:
        return list(
            session.scalars(
                select(CardRestriction).where(
                    CardRestriction.account_id == account_id, CardRestriction.lifted_at.is_(None)
                )
            )
        )

    @activity.defn(name=APPLY_RESTRICTION)
    @records
    def apply_restriction(self, cmd: RestrictionCommand) -> RestrictionResult:
        """Put the card at ``cmd.level``: each missing lower level first, one card event per level."""

        def attempt() -> RestrictionResult:
            with self.sessions.begin() as session:
                current = self._on_card(session, cmd.account_id)
                done_here = set(
                    session.scalars(select(CardRestriction.level).where(CardRestriction.episode_id == cmd.episode_id))
                )
                have = {RestrictionLevel(r.level) for r in current} | {RestrictionLevel(x) for x in done_here}
                applied = list(levels_to_apply(cmd.level, have))
                for level in applied:
                    key = keys.restriction_key(cmd.episode_id, level.value)
                    session.add(
                        CardRestriction(
                            apply_key=key,
                            account_id=cmd.account_id,
                            episode_id=cmd.episode_id,
                            level=level.value,
                            step_id=cmd.step_id,
                            dpd=cmd.dpd,
                            applied_at=cmd.at,
                        )
                    )
                    publish(
                        session,
                        self.adapter,
                        OutboundMessage(
                            idempotency_key=key,
                            topic="card",
                            account_id=cmd.account_id,
                            payload={
                                "action": "restrict",
                                "level": level.value,
                                "episode_id": cmd.episode_id,
                                "step_id": cmd.step_id,
                                "dpd": cmd.dpd,
                                "at": cmd.at.isoformat(),
                            },
                        ),
                        self.clock(),
                    )
                    # One flush per level: the outbox ids follow the order the card system must apply them in.
                    session.flush()
                on_card = _sorted_levels({r.level for r in current} | {level.value for level in applied})
                return RestrictionResult(applied=applied, on_card=on_card)

        def settled() -> RestrictionResult | None:
            with self.sessions() as session:
                key = keys.restriction_key(cmd.episode_id, cmd.level.value)
                if session.scalar(select(CardRestriction.id).where(CardRestriction.apply_key == key)) is None:
                    return None
                return RestrictionResult(
                    applied=[], on_card=_sorted_levels(r.level for r in self._on_card(session, cmd.account_id))
                )

        return self._retrying(attempt, settled)

    @activity.defn(name=LIFT_RESTRICTIONS)
    @records
    def lift_restrictions(self, cmd: LiftCommand) -> LiftResult:
        """On cure: lift what the policy lets go, harshest first, one card event per level."""

        def lifted_here(session: Session) -> list[RestrictionLevel]:
            rows = session.scalars(
                select(CardRestriction).where(
                    CardRestriction.lift_key.like(keys.restriction_lift_prefix(cmd.episode_id) + "%")
                )
            )
            return sorted((RestrictionLevel(r.level) for r in rows), reverse=True)

        def attempt() -> LiftResult:
            with self.sessions.begin() as session:
                current = {RestrictionLevel(r.level): r for r in self._on_card(session, cmd.account_id)}
                for level in lift_plan(current, cmd.policy):
                    row = current.pop(level)
                    key = keys.restriction_lift_key(cmd.episode_id, level.value)
                    row.lifted_at, row.lift_key, row.lift_reason = cmd.at, key, cmd.reason
                    publish(
                        session,
                        self.adapter,
                        OutboundMessage(
                            idempotency_key=key,
                            topic="card",
                            account_id=cmd.account_id,
                            payload={
                                "action": "lift",
                                "level": level.value,
                                "episode_id": cmd.episode_id,
                                "reason": cmd.reason,
                                "at": cmd.at.isoformat(),
                            },
                        ),
                        self.clock(),
                    )
                    session.flush()
                return LiftResult(lifted=lifted_here(session), kept=_sorted_levels(level.value for level in current))

        def settled() -> LiftResult | None:
            with self.sessions() as session:
                lifted = lifted_here(session)
                if not lifted:
                    return None
                return LiftResult(
                    lifted=lifted, kept=_sorted_levels(r.level for r in self._on_card(session, cmd.account_id))
                )

        return self._retrying(attempt, settled)

    # ---- blacklist ----------------------------------------------------------------------------

    @activity.defn(name=LIST_ON_BLACKLIST)
    @records
    def list_on_blacklist(self, cmd: BlacklistCommand) -> bool:
        """List the account for this episode and reason; False when already listed (a retry)."""

        def exists(session: Session) -> bool:
            return (
                session.scalar(
                    select(BlacklistEntryRecord.id).where(
                        BlacklistEntryRecord.episode_id == cmd.episode_id, BlacklistEntryRecord.reason == cmd.reason
                    )
                )
                is not None
            )

        def attempt() -> bool:
            with self.sessions.begin() as session:
                if exists(session):
                    return False
                session.add(
                    BlacklistEntryRecord(
                        account_id=cmd.account_id,
                        episode_id=cmd.episode_id,
                        reason=cmd.reason,
                        blocks=[p.value for p in cmd.blocks],
                        listed_from=cmd.listed_from,
                        listed_until=None,
                        dpd=cmd.dpd,
                        listed_at=cmd.at,
                    )
                )
            return True

        def settled() -> bool | None:
            with self.sessions() as session:
                return False if exists(session) else None

        return self._retrying(attempt, settled)

    @activity.defn(name=SCHEDULE_BLACKLIST_REMOVAL)
    @records
    def schedule_blacklist_removal(self, cmd: BlacklistRemovalCommand) -> BlacklistRemovalResult:
        """Give the episode's open-ended entries their end: cure date + restoration days."""
        until = removal_date(cmd.cure_date, cmd.policy)
        with self.sessions.begin() as session:
            rows = list(
                session.scalars(select(BlacklistEntryRecord).where(BlacklistEntryRecord.episode_id == cmd.episode_id))
            )
            updated = 0
            for row in rows:
                if row.listed_until is None:
                    row.listed_until, row.removal_set_at = max(until, row.listed_from), cmd.at
                    updated += 1
            return BlacklistRemovalResult(updated=updated, listed_until=rows[0].listed_until if rows else None)

    # ---- bureau notice ------------------------------------------------------------------------

    @activity.defn(name=RECORD_BUREAU_NOTICE)
    @records
    def record_bureau_notice(self, cmd: BureauNoticeCommand) -> BureauNoticeResult:
        """Send the prior notice of negative reporting (a letter) and record it, once per episode and attempt.

        The letter passes the contact gate like every contact (arrears.channels.gateway): a hold that
        stops it, the validation notice not yet sent, a weekend or a night defer or suppress it, with
        the rule on record in ``contact_decisions``. Deferred: nothing is written and the answer says
        until when (result ``deferred``); suppressed: the first attempt's row says why (``suppressed``).
        """
        key = keys.bureau_notice_key(cmd.episode_id, cmd.attempt)

        def earlier() -> BureauNoticeResult | None:
            with self.sessions() as session:
                row = session.scalar(select(BureauNotice).where(BureauNotice.idempotency_key == key))
                if row is None:
                    return None
                return BureauNoticeResult(created=False, notice_id=row.id, sent_on=row.sent_on, result=row.result)

        def attempt() -> BureauNoticeResult:
            found = earlier()
            if found is not None:
                return found
            with self.sessions.begin() as session:
                account = session.get(Account, cmd.account_id)
                if account is None:
                    raise ApplicationError(
                        f"account {cmd.account_id} is not in the system of record",
                        type=errors.ACCOUNT_NOT_ON_RECORD,
                        non_retryable=True,
                    )
                policy = known_policy(session, cmd.episode_id, cmd.compliance, self.policies)
                dkey = keys.decision_key(key, cmd.sent_at)
                decision = earlier_decision(session, dkey)
                if decision is None and policy is None:
                    # Nothing says which rules this episode is under yet (the notice runs before any other
                    # step): it waits rather than go out under the wrong ones (a validation notice first?).
                    decision = record_decision(
                        session,
                        dkey,
                        cmd.episode_id,
                        cmd.account_id,
                        cmd.step_id,
                        "letter",
                        cmd.sent_at,
                        Decision(
                            Verdict.DEFER,
                            "policy_unknown",
                            "the episode's contact policy is not on record yet",
                            until=cmd.sent_at + timedelta(hours=1),
                        ),
                        None,
                        self.clock(),
                    )
                decision = decision or record_decision(
                    session,
                    dkey,
                    cmd.episode_id,
                    cmd.account_id,
                    cmd.step_id,
                    "letter",
                    cmd.sent_at,
                    gate(
                        session,
                        account,
                        "letter",
                        cmd.sent_at,
                        policy,
                        template=cmd.template,
                        episode_id=cmd.episode_id,
                        kind=MessageKind.BUREAU_NOTICE,
                    ),
                    policy,
                    self.clock(),
                )
                if decision.verdict == Verdict.DEFER.value:
                    return BureauNoticeResult(
                        created=False,
                        notice_id=None,
                        sent_on=None,
                        result="deferred",
                        rule=decision.rule,
                        deferred_until=decision.until,
                    )
                rendered = self.renderer.render(
                    account.language,
                    cmd.template,
                    customer_name=account.customer_name,
                    account_id=account.account_id,
                    overdue_amount=cmd.overdue_amount,
                    total_balance=cmd.total_balance,
                    currency=cmd.currency,
                    due_date=cmd.due_date,
                    dpd=cmd.dpd,
                )
                recipient = account.billing_address or ""
                # A letter to an address on record as invalid (returned mail) would be no notice at
                # all: it is not posted, and the cycle does not count it (arrears.domain.bureau).
                rule = None
                if not recipient:
                    result = "no_address"
                elif decision.rule == "address_invalid" or recipient in invalid_addresses(session, account):
                    result = "invalid_address"
                elif decision.verdict == Verdict.SUPPRESS.value:
                    result, rule = "suppressed", decision.rule
                else:
                    result = ""
                sent_on = local_date(cmd.sent_at, account.timezone)
                if result and cmd.attempt > 1:
                    # The first attempt's row already says why nothing was posted; a weekly retry
                    # against the same missing address or standing hold adds nothing to the evidence
                    # (its decision is on record).
                    return BureauNoticeResult(created=False, notice_id=None, sent_on=sent_on, result=result, rule=rule)
                if not result:
                    result = deliver(
                        session,
                        self.adapter,
                        decision,
                        OutboundMessage(
                            idempotency_key=key,
                            topic="letter",
                            account_id=account.account_id,
                            payload={
                                "to": recipient,
                                "language": account.language,
                                "subject": rendered.subject,
                                "body": rendered.body,
                                "template": cmd.template,
                                "registered": True,
                            },
                        ),
                        self.clock(),
                    )
                row = BureauNotice(
                    idempotency_key=key,
                    account_id=cmd.account_id,
                    episode_id=cmd.episode_id,
                    sent_on=sent_on,
                    sent_at=cmd.sent_at,
                    channel="letter",
                    template=cmd.template,
                    language=account.language,
                    recipient=recipient,
                    rendered_text=rendered.body,
                    result=result,
                    dpd=cmd.dpd,
                    step_id=cmd.step_id,
                )
                session.add(row)
                session.flush()
                return BureauNoticeResult(created=True, notice_id=row.id, sent_on=sent_on, result=result, rule=rule)

        return self._retrying(attempt, earlier)

    # ---- legal ----------------------------------------------------------------------------------

    @activity.defn(name=REFER_TO_LEGAL)
    @records
    def refer_to_legal(self, cmd: LegalReferralCommand) -> LegalReferralResult:
        """Open the episode's legal case when the criteria passed; a refusal is recorded as an account action."""
        if not cmd.allowed:
            refusal = keys.legal_refusal_key(cmd.episode_id, cmd.step_key, cmd.referred_on)
            self._record_refusal(refusal, cmd)
            return LegalReferralResult(referred=False, reasons=cmd.reasons)
        key = keys.legal_case_key(cmd.episode_id)

        def earlier() -> LegalReferralResult | None:
            with self.sessions() as session:
                case_id = session.scalar(select(LegalCaseRecord.id).where(LegalCaseRecord.idempotency_key == key))
                if case_id is None:
                    return None
                return LegalReferralResult(referred=True, case_id=case_id, created=False, reasons=cmd.reasons)

        def attempt() -> LegalReferralResult:
            found = earlier()
            if found is not None:
                return found
            with self.sessions.begin() as session:
                case = LegalCaseRecord(
                    idempotency_key=key,
                    account_id=cmd.account_id,
                    episode_id=cmd.episode_id,
                    state=LegalState.REFERRED.value,
                    referred_on=cmd.referred_on,
                    last_event_on=cmd.referred_on,
                    step_id=cmd.step_id,
                    dpd=cmd.dpd,
                    principal=cmd.principal,
                    currency=cmd.currency,
                    criteria=cmd.criteria,
                    decision=list(cmd.reasons),
                    costs_recoverable=cmd.costs_recoverable,
                    costs=Decimal(0),
                    recoverable_costs=Decimal(0),
                    referred_at=cmd.referred_at,
                )
                session.add(case)
                session.flush()
                publish(
                    session,
                    self.adapter,
                    OutboundMessage(
                        idempotency_key=key,
                        topic="legal",
                        account_id=cmd.account_id,
                        payload={
                            "action": "referred",
                            "case_id": case.id,
                            "episode_id": cmd.episode_id,
                            "dpd": cmd.dpd,
                            "principal": str(cmd.principal),
                            "currency": cmd.currency,
                            "criteria": cmd.criteria,
                            "reasons": list(cmd.reasons),
                        },
                    ),
                    self.clock(),
                )
                return LegalReferralResult(referred=True, case_id=case.id, created=True, reasons=cmd.reasons)

        return self._retrying(attempt, earlier)

    def _record_refusal(self, key: str, cmd: LegalReferralCommand) -> None:
        """Evidence that the legal step ran and why it did not refer (the reasons are in the workflow history)."""
        with self.sessions.begin() as session:
            insert_once(
                session,
                AccountAction(
                    idempotency_key=key,
                    episode_id=cmd.episode_id,
                    account_id=cmd.account_id,
                    step_id=cmd.step_id,
                    action="legal_refused",
                    dpd=cmd.dpd,
                    executed_at=cmd.referred_at,
                    overdue_amount=cmd.overdue_amount,
                    total_balance=cmd.total_balance,
                ),
                existing=lambda: session.scalar(select(AccountAction).where(AccountAction.idempotency_key == key)),
            )

    @activity.defn(name=RECORD_LEGAL_EVENT)
    @records
    def record_legal_event(self, cmd: LegalEventCommand) -> LegalEventResult:
        """Apply one update to the case: a state change, a cost, a document (hashed now), once per event id."""
        e = cmd.event
        document_sha256 = None
        if e.document_id:
            # The evidence store's record, never a file a request named: the id must be on this account's record.
            with self.sessions() as session:
                document = find_evidence(session, cmd.account_id, e.document_id)
            if document is None:
                raise _refused(f"document {e.document_id} is not in the evidence store for account {cmd.account_id}")
            document_sha256 = document.sha256

        def result(case: LegalCaseRecord, created: bool) -> LegalEventResult:
            return LegalEventResult(
                created=created,
                case_id=case.id,
                state=LegalState(case.state),
                costs=case.costs,
                recoverable_costs=case.recoverable_costs,
            )

        def on_record(session: Session, case: LegalCaseRecord) -> LegalEventResult | None:
            row = session.scalar(
                select(LegalCaseEvent).where(
                    LegalCaseEvent.idempotency_key == keys.legal_event_key(case.id, e.event_id)
                )
            )
            if row is None:
                return None
            same = (row.event_on, row.recorded_by, row.cost, row.document_sha256, row.note) == (
                e.on,
                e.by,
                e.cost,
                document_sha256,
                e.note,
            ) and row.to_state == (e.new_state or LegalState(row.from_state)).value
            if not same:
                raise _refused(f"event id {e.event_id} was already used on case {case.id} with different content")
            return result(case, created=False)

        def earlier() -> LegalEventResult | None:
            with self.sessions() as session:
                return on_record(session, self._case(session, cmd))

        def attempt() -> LegalEventResult:
            with self.sessions.begin() as session:
                case = self._case(session, cmd)
                # Looked for inside the transaction: an attempt that committed a moment ago has also moved
                # the case on, and this event would otherwise be refused as a wrong transition.
                found = on_record(session, case)
                if found is not None:
                    return found
                policy = LegalPolicy(costs_recoverable=case.costs_recoverable)
                before = LegalCase(
                    state=LegalState(case.state),
                    referred_on=case.referred_on,
                    last_event_on=case.last_event_on,
                    costs=case.costs,
                    recoverable_costs=case.recoverable_costs,
                )
                try:
                    after = before.apply(e, policy)
                except InvalidTransition as exc:
                    raise _refused(f"case {case.id}: {exc}") from None
                key = keys.legal_event_key(case.id, e.event_id)
                recoverable = case.costs_recoverable and e.cost > 0
                session.add(
                    LegalCaseEvent(
                        idempotency_key=key,
                        case_id=case.id,
                        account_id=case.account_id,
                        event_id=e.event_id,
                        event_on=e.on,
                        from_state=before.state.value,
                        to_state=after.state.value,
                        cost=e.cost,
                        currency=case.currency,
                        recoverable=recoverable,
                        document_id=e.document_id,
                        document_sha256=document_sha256,
                        recorded_by=e.by,
                        note=e.note,
                        recorded_at=self.clock(),
                    )
                )
                case.state, case.last_event_on = after.state.value, after.last_event_on
                case.costs, case.recoverable_costs = after.costs, after.recoverable_costs
                if recoverable:
                    # The ledger posts it to the account; the same key makes a retried hand-over a no-op there too.
                    publish(
                        session,
                        self.adapter,
                        OutboundMessage(
                            idempotency_key=keys.legal_cost_key(key),
                            topic="ledger",
                            account_id=case.account_id,
                            payload={
                                "posting": "legal_cost",
                                "case_id": case.id,
                                "event_id": e.event_id,
                                "amount": str(e.cost),
                                "currency": case.currency,
                                "on": e.on.isoformat(),
                            },
                        ),
                        self.clock(),
                    )
                session.flush()
                return result(case, created=True)

        return self._retrying(attempt, earlier)

    @staticmethod
    def _case(session: Session, cmd: LegalEventCommand) -> LegalCaseRecord:
        case = session.scalar(
            select(LegalCaseRecord).where(LegalCaseRecord.idempotency_key == keys.legal_case_key(cmd.episode_id))
        )
        if case is None or case.account_id != cmd.account_id:
            raise _refused(f"no legal case for account {cmd.account_id} from episode {cmd.episode_id}")
        return case
