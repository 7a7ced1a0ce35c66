"""Hold activities: a hold placed, released or expired is written once.

A mixin of CollectionActivities, which provides ``sessions``, ``adapter`` and
``clock``: every worker that registers CollectionActivities.all() runs these
too.

A hold is keyed by (account_id, hold_id) under a unique constraint, so a
retried write finds its earlier row. The estate or attorney task a hold opens
is written in the same transaction under its own idempotency key: the hold
never exists on record without its task. These tasks are not desk work (not
in DESK_TASKS): they wait in their own queue for the specialists.

Two messages go with a hold, through the contact gate, in the hold's own
transaction: an agency holding the account is told of the hold and its rules
(a placement must not go on contacting the customer unaware), and a dispute
released as verified sends the verification (12 CFR 1006.38(d)(2)); until it
has gone the gate keeps collection back (rule ``verification_owed``).
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.records import records
from arrears.channels.adapter import ChannelAdapter, OutboundMessage
from arrears.channels.gateway import publish
from arrears.channels.render import Renderer, format_amount
from arrears.compliance.notices import debt_on_record, verify_dispute
from arrears.contracts import keys
from arrears.contracts.collection_activities import HoldCommand, HoldEndCommand, HoldRecorded, NoticeResult
from arrears.contracts.names import END_HOLD, RECORD_HOLD
from arrears.db.idempotent import insert_once
from arrears.db.models import CollectorTask, Hold
from arrears.domain.holds import HOLD_TASKS, HoldType

# Raised (not retryable) when the hold id is on record for the account from another episode.
HOLD_ID_TAKEN = "HoldIdTaken"


class HoldActivities:
    # A mixin of CollectionActivities, which sets these; AgencyActivities brings _tell_agency_of_hold.
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    adapter: ChannelAdapter
    renderer: Renderer
    _tell_agency_of_hold: Callable[..., NoticeResult]

    def hold_activities(self) -> list[Callable]:
        return [self.record_hold, self.end_hold]

    @activity.defn(name=RECORD_HOLD)
    @records
    def record_hold(self, cmd: HoldCommand) -> HoldRecorded:
        h = cmd.hold
        with self.sessions.begin() as session:
            earlier, _ = insert_once(
                session,
                Hold(
                    account_id=cmd.account_id,
                    hold_id=h.hold_id,
                    episode_id=cmd.episode_id,
                    hold_type=h.hold_type.value,
                    channel=h.channel,
                    reason=h.reason,
                    evidence_ref=h.evidence_ref,
                    placed_by=h.placed_by,
                    placed_at=h.placed_at,
                    expires_at=h.expires_at,
                    status="active",
                ),
                existing=lambda: self._earlier_hold(session, cmd),
            )
            if isinstance(earlier, HoldRecorded):
                return earlier
            task_id = self._hold_task(session, cmd) if h.hold_type in HOLD_TASKS else None
            # A placed account: its agency hears of the hold and what it forbids (AgencyActivities).
            self._tell_agency_of_hold(session, cmd.episode_id, cmd.account_id, h.hold_id, h.hold_type, h.placed_at)
        return HoldRecorded(created=True, task_id=task_id)

    def _earlier_hold(self, session: Session, cmd: HoldCommand) -> HoldRecorded | None:
        row = session.scalar(select(Hold).where(Hold.account_id == cmd.account_id, Hold.hold_id == cmd.hold.hold_id))
        if row is None:
            return None
        if row.episode_id != cmd.episode_id:
            raise ApplicationError(
                f"hold id {row.hold_id} is already on record for account {cmd.account_id} "
                f"({row.hold_type}, {row.status}, from an earlier episode); use another id",
                type=HOLD_ID_TAKEN,
                non_retryable=True,
            )
        task_id = session.scalar(select(CollectorTask.id).where(CollectorTask.idempotency_key == _task_key(cmd)))
        return HoldRecorded(created=False, task_id=task_id)

    def _hold_task(self, session: Session, cmd: HoldCommand) -> int:
        h = cmd.hold
        kind = HOLD_TASKS[h.hold_type]
        task = CollectorTask(
            idempotency_key=_task_key(cmd),
            episode_id=cmd.episode_id,
            account_id=cmd.account_id,
            step_id=f"hold-{h.hold_type.value}",
            kind=kind,
            status="open",
            dpd=cmd.dpd,
            stage=cmd.stage,
            due_at=h.placed_at,
            created_at=self.clock(),
            note=(
                f"{h.hold_type.value} hold {h.hold_id} placed by {h.placed_by}: {h.reason}; "
                f"overdue {format_amount(cmd.overdue_amount, cmd.currency)}"
            ),
            # Its own queue: estates and attorneys are worked by specialists, never by the desk's assigner.
            queue=kind,
            overdue_amount=cmd.overdue_amount,
            currency=cmd.currency,
        )
        session.add(task)
        publish(
            session,
            self.adapter,
            OutboundMessage(
                idempotency_key=_task_key(cmd),
                topic="collections",
                account_id=cmd.account_id,
                payload={"task": kind, "dpd": cmd.dpd, "hold_id": h.hold_id, "hold_type": h.hold_type.value},
            ),
            self.clock(),
        )
        session.flush()
        return task.id

    @activity.defn(name=END_HOLD)
    @records
    def end_hold(self, cmd: HoldEndCommand) -> bool:
        """Mark the hold released or expired; a repeat finds it already ended."""
        with self.sessions.begin() as session:
            row = session.scalar(select(Hold).where(Hold.account_id == cmd.account_id, Hold.hold_id == cmd.hold_id))
            if row is None:
                # Its record_hold may still be running (a release right after placing): retried until it is there.
                raise ApplicationError(f"hold {cmd.hold_id} of account {cmd.account_id} is not on record yet")
            if row.status != "active":
                return False
            row.status, row.resolution, row.released_by, row.released_at = (
                cmd.status,
                cmd.resolution,
                cmd.released_by,
                cmd.at,
            )
            if row.hold_type == HoldType.DISPUTE.value and cmd.resolution == "verified":
                session.flush()  # the dispute hold is over on record: the verification is judged without it
                debt = debt_on_record(session, cmd.episode_id, cmd.at)
                if debt is not None:
                    verify_dispute(
                        session,
                        self.renderer,
                        self.adapter,
                        episode_id=cmd.episode_id,
                        account_id=cmd.account_id,
                        hold_id=cmd.hold_id,
                        at=cmd.at,
                        debt=debt,
                        policy=None,
                        key=keys.verification_key(cmd.episode_id, cmd.hold_id),
                        now=self.clock(),
                    )
        return True


def _task_key(cmd: HoldCommand) -> str:
    return keys.hold_task_key(cmd.episode_id, cmd.hold.hold_id)
