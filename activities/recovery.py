"""Recovery activities: payments after the write-off, the outcome of the recovery, the legal case it continues.

A recovery is written as a ``recoveries`` row and a ``ledger_postings`` row under
the same key (``<episode_id>:recovery:<payment_id>``) in one transaction: a
retry after a crash finds both or neither, and never posts twice. The posting
carries the amount as ``unapplied``: the written-off balance is already zero in
the ledger, so money received against it is outside the balance.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.records import records
from arrears.contracts import keys
from arrears.contracts.names import CLOSE_RECOVERY, LOAD_LEGAL_CASE, RECORD_RECOVERY
from arrears.contracts.recovery import (
    CloseRecoveryCommand,
    LegalCaseLookup,
    LegalCaseView,
    RecoveryCommand,
    RecoveryRecorded,
)
from arrears.db.clock import utcnow
from arrears.db.idempotent import insert_once
from arrears.db.models import LedgerPosting, LegalCaseRecord, Payment, Recovery, RecoveryOutcomeRecord
from arrears.domain.ledger import ZERO, fmt
from arrears.domain.legal import LegalCase, LegalState

# Raised (not retryable) when a recovery cannot be recorded as asked: the payment id is taken.
RECOVERY_REFUSED = "RecoveryRefused"


def _refused(message: str) -> ApplicationError:
    return ApplicationError(message, type=RECOVERY_REFUSED, non_retryable=True)


class RecoveryActivities:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions = sessions
        self.clock = clock

    def all(self) -> list[Callable]:
        return [self.record_recovery, self.close_recovery, self.load_legal_case]

    # ---- recoveries -------------------------------------------------------------------------------

    @activity.defn(name=RECORD_RECOVERY)
    @records
    def record_recovery(self, cmd: RecoveryCommand) -> RecoveryRecorded:
        """The recoveries row and its ledger posting, once; a retry finds them and writes nothing."""
        return self._record(cmd)

    def _existing(self, session: Session, cmd: RecoveryCommand) -> Recovery | None:
        """The account's recovery with this payment id, under whichever episode."""
        return session.scalar(
            select(Recovery).where(Recovery.account_id == cmd.account_id, Recovery.payment_id == cmd.payment_id)
        )

    @staticmethod
    def _repeat(row: Recovery, cmd: RecoveryCommand) -> RecoveryRecorded:
        if row.idempotency_key != cmd.idempotency_key:
            raise _refused(f"payment_id {cmd.payment_id} was already recovered under episode {row.episode_id}")
        if (row.amount, row.channel) != (cmd.amount, cmd.channel):
            # The workflow refuses a changed repeat before it gets here; the record is the last guard.
            raise _refused(
                f"recovery {cmd.payment_id} is on record with {row.amount} by {row.channel}, "
                f"not {cmd.amount} by {cmd.channel}"
            )
        return RecoveryRecorded(created=False, recovery_id=row.id)

    def _record(self, cmd: RecoveryCommand) -> RecoveryRecorded:
        key = cmd.idempotency_key
        with self.sessions.begin() as session:
            row = self._existing(session, cmd)
            if row is not None:
                return self._repeat(row, cmd)
            # A payment id names one payment of the account: one the episode already applied
            # must not be counted again as a recovery.
            if (
                session.scalar(
                    select(Payment.id).where(Payment.account_id == cmd.account_id, Payment.payment_id == cmd.payment_id)
                )
                is not None
            ):
                raise _refused(
                    f"payment_id {cmd.payment_id} was already applied to the account before the "
                    "write-off; a recovery needs its own id"
                )
            now = self.clock()
            # A concurrent attempt that committed the same recovery after our check is found by insert_once.
            recovery, created = insert_once(
                session,
                Recovery(
                    idempotency_key=key,
                    account_id=cmd.account_id,
                    episode_id=cmd.episode_id,
                    payment_id=cmd.payment_id,
                    amount=cmd.amount,
                    currency=cmd.currency,
                    channel=cmd.channel,
                    paid_at=cmd.paid_at,
                    recovered_total_after=cmd.recovered_total_after,
                    recorded_at=now,
                ),
                existing=lambda: self._existing(session, cmd),
            )
            if not created:
                return self._repeat(recovery, cmd)
            session.add(
                LedgerPosting(
                    posting_key=key,
                    account_id=cmd.account_id,
                    episode_id=cmd.episode_id,
                    posted_on=cmd.posted_on,
                    kind="recovery",
                    currency=cmd.currency,
                    principal=ZERO,
                    interest=ZERO,
                    fees=ZERO,
                    unapplied=cmd.amount,
                    explanation=(
                        f"recovery {cmd.payment_id} {fmt(cmd.amount, cmd.currency)}: against the write-off of "
                        f"{fmt(cmd.written_off, cmd.currency)}"
                    ),
                    created_at=now,
                )
            )
            session.flush()
            return RecoveryRecorded(created=True, recovery_id=recovery.id)

    # ---- the end ------------------------------------------------------------------------------------

    @activity.defn(name=CLOSE_RECOVERY)
    @records
    def close_recovery(self, cmd: CloseRecoveryCommand) -> bool:
        """How the recovery ended, once per charged-off episode; False when already on record (a retry)."""
        key = keys.recovery_outcome_key(cmd.episode_id)
        with self.sessions.begin() as session:
            _, created = insert_once(
                session,
                RecoveryOutcomeRecord(
                    idempotency_key=key,
                    account_id=cmd.account_id,
                    episode_id=cmd.episode_id,
                    workflow_id=cmd.workflow_id,
                    recovery_outcome=cmd.outcome.value,
                    reason=cmd.reason,
                    closed_by=cmd.closed_by,
                    currency=cmd.currency,
                    written_off=cmd.written_off,
                    recovered_total=cmd.recovered_total,
                    forgiven=cmd.forgiven,
                    closed_at=cmd.closed_at,
                    recorded_at=self.clock(),
                ),
                existing=lambda: self._outcome(session, key),
            )
        return created

    def _outcome(self, session: Session, key: str) -> RecoveryOutcomeRecord | None:
        return session.scalar(select(RecoveryOutcomeRecord).where(RecoveryOutcomeRecord.idempotency_key == key))

    # ---- the legal case --------------------------------------------------------------------------------

    @activity.defn(name=LOAD_LEGAL_CASE)
    def load_legal_case(self, cmd: LegalCaseLookup) -> LegalCaseView | None:
        """The case referred from the charged-off episode, as it stands; None when there is none.

        Read only: the workflow validates legal updates against it with the pure
        domain rules before it accepts them.
        """
        with self.sessions() as session:
            case = session.scalar(
                select(LegalCaseRecord).where(LegalCaseRecord.idempotency_key == keys.legal_case_key(cmd.episode_id))
            )
            if case is None or case.account_id != cmd.account_id:
                return None
            return LegalCaseView(
                case_id=case.id,
                case=LegalCase(
                    state=LegalState(case.state),
                    referred_on=case.referred_on,
                    last_event_on=case.last_event_on,
                    costs=case.costs,
                    recoverable_costs=case.recoverable_costs,
                ),
            )
