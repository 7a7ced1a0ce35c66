"""Agency activities: placement, renewal, recall, close-out and commission, each written once.

A mixin of CollectionActivities, which provides ``sessions``, ``adapter``,
``clock`` and ``_task``: every worker that registers CollectionActivities.all()
runs these too.

Placements are keyed by the ladder step's idempotency key (unique), so a
retried placement finds its earlier row. Choosing the agency and writing the
placement happen in one transaction that holds the write lock over the
agencies (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite): two placements
at once never see the same free slot, so no agency goes over its capacity.

The agency contacts the customer on the bank's behalf, so every message to it
passes the contact gate (arrears.channels.gateway): an account under a hold
that stops contact (cease contact, dispute, bankruptcy, attorney
representation, ...) is not placed (``PlacementResult.refused`` names the
rule), and an agency holding an account when such a hold is placed is told,
with the hold's rules, in a recorded message.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.records import records
from arrears.channels.adapter import ChannelAdapter, OutboundMessage
from arrears.channels.gateway import deliver
from arrears.compliance.decision_record import earlier_decision, episode_policy, record_decision
from arrears.compliance.gate_record import gate_agency, in_flight
from arrears.contracts import keys
from arrears.contracts.collection_activities import (
    AgencyHoldNoticeCommand,
    CommissionCommand,
    NoticeResult,
    PlacementChangeCommand,
    PlacementCommand,
    PlacementResult,
    StepCommand,
    StepResult,
)
from arrears.contracts.names import (
    CLOSE_PLACEMENT,
    NOTIFY_AGENCY_OF_HOLD,
    PLACE_WITH_AGENCY,
    RECALL_PLACEMENT,
    RECORD_COMMISSION,
    RENEW_PLACEMENT,
)
from arrears.db.idempotent import insert_once
from arrears.db.models import Agency as AgencyRow
from arrears.db.models import AgencyCommission, AgencyPlacement, CollectorTask, ContactDecision
from arrears.desk.agencies import OPEN_STATUSES, open_placements
from arrears.domain.agency import Agency, AgencyLoad, PlacementRecord, choose_agency, placement_end
from arrears.domain.holds import ContactEffect, HoldType, rule_for
from arrears.domain.policy import AGENCY_CHANNEL, ContactPolicy, MessageKind, Verdict


def _write_lock(session: Session) -> None:
    """Make this transaction the only writer from here on (SQLite).

    Python's sqlite3 reads outside a transaction and begins one only at the
    first write, so two placements could both count the same free slot;
    BEGIN IMMEDIATE takes the write lock first (others wait, busy_timeout).
    PostgreSQL locks the rows it reads instead (FOR UPDATE at the call site).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _record(row: AgencyPlacement, name: str) -> PlacementRecord:
    return PlacementRecord(
        placement_id=row.id,
        idempotency_key=row.idempotency_key,
        agency_id=row.agency_id,
        agency_name=name,
        commission_percent=row.commission_percent,
        placement_days=row.placement_days,
        placed_at=row.placed_at,
        ends_at=row.ends_at,
        status=row.status,
        renewals=row.renewals,
        collected=row.collected,
    )


class AgencyActivities:
    sessions: sessionmaker[Session]
    adapter: ChannelAdapter
    clock: Callable[[], datetime]
    _task: Callable[[Session, StepCommand], StepResult]
    _remember_policy: Callable[[Session, StepCommand], str]

    def agency_activities(self) -> list[Callable]:
        return [
            self.place_with_agency,
            self.renew_placement,
            self.recall_placement,
            self.close_placement,
            self.record_commission,
            self.notify_agency_of_hold,
        ]

    @activity.defn(name=PLACE_WITH_AGENCY)
    @records
    def place_with_agency(self, cmd: PlacementCommand) -> PlacementResult:
        """Place the account with the least loaded agency that has room, or record why not."""
        try:
            with self.sessions.begin() as session:
                _write_lock(session)
                earlier = self._earlier(session, cmd.idempotency_key)
                if earlier is not None:
                    return earlier
                return self._place(session, cmd)
        except IntegrityError:
            with self.sessions() as session:
                earlier = self._earlier(session, cmd.idempotency_key)
            if earlier is None:
                raise
            return earlier

    def _place(self, session: Session, cmd: PlacementCommand) -> PlacementResult:
        step = cmd.step
        self._remember_policy(session, step)  # CollectionActivities: the episode's policy, for the hold notices
        decision = self._agency_decision(
            session,
            cmd.idempotency_key,
            step.episode_id,
            step.account_id,
            step.executed_at,
            MessageKind.AGENCY_PLACEMENT,
            step.compliance,
            in_flight(step.holds),
        )
        if decision.verdict != Verdict.ALLOW.value:
            # The agency would contact the customer on the bank's behalf: not under this hold.
            return PlacementResult(
                placement=None,
                duplicate=False,
                refused=decision.rule,
                detail=f"not placed: {decision.rule}: {decision.detail}",
            )
        agencies = list(
            session.scalars(select(AgencyRow).where(AgencyRow.active).order_by(AgencyRow.agency_id).with_for_update())
        )
        load = open_placements(session)
        loads = [
            AgencyLoad(
                agency=Agency(
                    agency_id=a.agency_id,
                    name=a.name,
                    commission_percent=a.commission_percent,
                    capacity=a.capacity,
                    placement_days=a.placement_days,
                ),
                placed=load.get(a.agency_id, 0),
            )
            for a in agencies
        ]
        chosen = choose_agency(loads)
        if chosen is None:
            return self._not_placed(session, step, loads)
        ends_at = placement_end(step.executed_at, chosen.placement_days, cmd.timezone)
        row = AgencyPlacement(
            idempotency_key=cmd.idempotency_key,
            agency_id=chosen.agency_id,
            account_id=step.account_id,
            episode_id=step.episode_id,
            commission_percent=chosen.commission_percent,
            placement_days=chosen.placement_days,
            placed_at=step.executed_at,
            ends_at=ends_at,
            status="placed",
            renewals=0,
            reason=f"ladder step {step.step.step_id} at DPD {step.dpd}",
            currency=step.currency,
            collected=Decimal(0),
        )
        session.add(row)
        session.flush()
        self._notify(
            session,
            row,
            "placed",
            {
                "dpd": step.dpd,
                "overdue_amount": str(step.overdue_amount),
                "total_balance": str(step.total_balance),
            },
            decision=decision,
        )
        detail = f"placed with {chosen.agency_id} until {ends_at:%Y-%m-%d %H:%M} UTC"
        return PlacementResult(placement=_record(row, chosen.name), duplicate=False, detail=detail)

    def _not_placed(self, session: Session, step: StepCommand, loads: list[AgencyLoad]) -> PlacementResult:
        """No agency has room: a task for people, saying so, instead of a placement."""
        if loads:
            why = (
                "every agency is at capacity ("
                + ", ".join(f"{x.agency.agency_id} {x.placed}/{x.agency.capacity}" for x in loads)
                + ")"
            )
        else:
            why = "no active agency is on file (arrears agencies import)"
        result = self._task(session, step)
        task = session.get(CollectorTask, result.record_id)
        assert task is not None
        task.note = (
            f"NOT PLACED with an agency: {why}. Place it by hand or work it in house; the ladder goes on. " + task.note
        )
        return PlacementResult(placement=None, task_id=task.id, duplicate=False, detail=f"not placed: {why}")

    def _earlier(self, session: Session, key: str) -> PlacementResult | None:
        row = session.scalar(select(AgencyPlacement).where(AgencyPlacement.idempotency_key == key))
        if row is not None:
            agency = session.get(AgencyRow, row.agency_id)
            return PlacementResult(
                placement=_record(row, agency.name if agency else row.agency_id),
                duplicate=True,
                detail=f"placed with {row.agency_id}",
            )
        task = session.scalar(select(CollectorTask).where(CollectorTask.idempotency_key == key))
        if task is not None:
            return PlacementResult(placement=None, task_id=task.id, duplicate=True, detail=task.note)
        refusal = session.scalar(
            select(ContactDecision).where(
                ContactDecision.idempotency_key.like(keys.decisions_prefix(key) + "%"),
                ContactDecision.verdict != Verdict.ALLOW.value,
            )
        )
        if refusal is not None:
            return PlacementResult(
                placement=None,
                duplicate=True,
                refused=refusal.rule,
                detail=f"not placed: {refusal.rule}: {refusal.detail}",
            )
        return None

    # ---- the end of a period, and the end of the episode ---------------------------

    @activity.defn(name=RENEW_PLACEMENT)
    @records
    def renew_placement(self, cmd: PlacementChangeCommand) -> bool:
        """Another period for an agency that collected; a repeat finds the renewal done."""
        with self.sessions.begin() as session:
            _write_lock(session)
            row = self._placement(session, cmd.idempotency_key, lock=True)
            if row.status not in OPEN_STATUSES or row.renewals >= cmd.renewals:
                return False
            row.status, row.renewals, row.ends_at, row.reason = "renewed", cmd.renewals, cmd.ends_at, cmd.reason
            self._notify(session, row, f"renewed:{cmd.renewals}", {"renewals": cmd.renewals}, at=cmd.at)
        return True

    @activity.defn(name=RECALL_PLACEMENT)
    @records
    def recall_placement(self, cmd: PlacementChangeCommand) -> bool:
        """The agency reported nothing in its period: the account comes back."""
        return self._end(cmd, "recalled")

    @activity.defn(name=CLOSE_PLACEMENT)
    @records
    def close_placement(self, cmd: PlacementChangeCommand) -> bool:
        """The episode ended (cured, settled, closed, charged off) while placed."""
        return self._end(cmd, "closed")

    def _end(self, cmd: PlacementChangeCommand, status: str) -> bool:
        with self.sessions.begin() as session:
            _write_lock(session)
            row = self._placement(session, cmd.idempotency_key, lock=True)
            if row.status not in OPEN_STATUSES:
                return False
            row.status, row.ended_at, row.reason = status, cmd.at, cmd.reason
            self._notify(session, row, status, {"reason": cmd.reason}, at=cmd.at)
        return True

    # ---- commission ---------------------------------------------------------------

    @activity.defn(name=RECORD_COMMISSION)
    @records
    def record_commission(self, cmd: CommissionCommand) -> bool:
        """One commission per payment the agency reported; the placement's collected total rises once."""
        with self.sessions.begin() as session:
            _write_lock(session)
            if self._commission(session, cmd) is not None:
                return False
            placement = session.get(AgencyPlacement, cmd.placement_id, with_for_update=True)
            if placement is None:
                raise ApplicationError(f"placement {cmd.placement_id} of account {cmd.account_id} was never recorded")
            _, created = insert_once(
                session,
                AgencyCommission(
                    account_id=cmd.account_id,
                    payment_id=cmd.payment_id,
                    placement_id=cmd.placement_id,
                    agency_id=cmd.agency_id,
                    payment_amount=cmd.payment_amount,
                    percent=cmd.percent,
                    commission=cmd.commission,
                    currency=cmd.currency,
                    recorded_at=self.clock(),
                ),
                existing=lambda: self._commission(session, cmd),
            )
            if not created:
                return False
            # Exact decimal arithmetic in Python: SQLite keeps money as text, SQL "+" would go through a float.
            placement.collected = placement.collected + cmd.payment_amount
        return True

    @staticmethod
    def _commission(session: Session, cmd: CommissionCommand) -> AgencyCommission | None:
        return session.scalar(
            select(AgencyCommission).where(
                AgencyCommission.account_id == cmd.account_id, AgencyCommission.payment_id == cmd.payment_id
            )
        )

    # ---- helpers ------------------------------------------------------------------

    @staticmethod
    def _placement(session: Session, key: str, lock: bool = False) -> AgencyPlacement:
        stmt = select(AgencyPlacement).where(AgencyPlacement.idempotency_key == key)
        row = session.scalar(stmt.with_for_update() if lock else stmt)
        if row is None:
            raise ApplicationError(f"placement {key} was never recorded")
        return row

    def _agency_decision(
        self,
        session: Session,
        key: str,
        episode_id: str,
        account_id: str,
        at: datetime,
        kind: MessageKind,
        policy: ContactPolicy | None = None,
        holds: tuple = (),
    ) -> ContactDecision:
        """The gate's decision on a message to the agency, recorded once per message and moment."""
        dkey = keys.decision_key(key, at)
        found = earlier_decision(session, dkey)
        if found is not None:
            return found
        policy = episode_policy(session, episode_id, policy)
        step = "agency-placement" if kind == MessageKind.AGENCY_PLACEMENT else "agency-notice"
        return record_decision(
            session,
            dkey,
            episode_id,
            account_id,
            step,
            AGENCY_CHANNEL,
            at,
            gate_agency(session, account_id, at, policy, kind, holds),
            policy,
            self.clock(),
        )

    def _notify(
        self,
        session: Session,
        row: AgencyPlacement,
        event: str,
        extra: dict,
        decision: ContactDecision | None = None,
        at: datetime | None = None,
    ) -> None:
        """Tell the agency (outbox topic ``agency``): one message per event of a placement, through the gate.
        ``at``: the episode's collection time of the event (the decision's moment)."""
        key = keys.placement_event_key(row.idempotency_key, event)
        if decision is None:
            decision = self._agency_decision(
                session, key, row.episode_id, row.account_id, at or self.clock(), MessageKind.AGENCY_NOTICE
            )
        deliver(
            session,
            self.adapter,
            decision,
            OutboundMessage(
                idempotency_key=key,
                topic="agency",
                account_id=row.account_id,
                payload={
                    "event": event.split(":")[0],
                    "agency_id": row.agency_id,
                    "placement": row.idempotency_key,
                    "ends_at": row.ends_at.isoformat(),
                    "collected": str(row.collected),
                    "currency": row.currency,
                    **extra,
                },
            ),
            self.clock(),
        )

    # ---- a hold on a placed account -------------------------------------------------

    @activity.defn(name=NOTIFY_AGENCY_OF_HOLD)
    def notify_agency_of_hold(self, cmd: AgencyHoldNoticeCommand) -> NoticeResult:
        """Tell the agency holding the account about a hold and what it forbids, once per hold."""
        with self.sessions.begin() as session:
            return self._tell_agency_of_hold(
                session, cmd.episode_id, cmd.account_id, cmd.hold_id, cmd.hold_type, cmd.at
            )

    def _tell_agency_of_hold(
        self, session: Session, episode_id: str, account_id: str, hold_id: str, hold_type: HoldType, at: datetime
    ) -> NoticeResult:
        placement = session.scalar(
            select(AgencyPlacement)
            .where(AgencyPlacement.account_id == account_id, AgencyPlacement.status.in_(OPEN_STATUSES))
            .order_by(AgencyPlacement.id.desc())
            .limit(1)
        )
        if placement is None:
            return NoticeResult(
                kind="suppressed",
                channel=AGENCY_CHANNEL,
                record_id=None,
                duplicate=False,
                rule="not_placed",
                detail="the account is not placed with an agency",
            )
        key = keys.placement_hold_key(placement.idempotency_key, hold_id)
        from arrears.db.models import OutboxMessage

        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is not None:
            return NoticeResult(
                kind="sent",
                channel=AGENCY_CHANNEL,
                record_id=placement.id,
                duplicate=True,
                rule="permitted",
                detail=f"{placement.agency_id} already told of hold {hold_id}",
            )
        rule = rule_for(hold_type)
        policy = episode_policy(session, episode_id)
        allowed = {
            ContactEffect.NONE: "no contact with the customer at all",
            ContactEffect.NOTICES_ONLY: "no contact except these notices: "
            + (", ".join(policy.notices_allowed_under_cease) or "none"),
            ContactEffect.CHANNEL: "no contact through the channel complained about",
            ContactEffect.ATTORNEY_ONLY: "contact the customer's attorney only",
            ContactEffect.UNCHANGED: "contact as before",
        }[rule.contact]
        decision = self._agency_decision(session, key, episode_id, account_id, at, MessageKind.AGENCY_NOTICE, policy)
        self._notify(
            session,
            placement,
            f"hold:{hold_id}",
            {
                "hold_id": hold_id,
                "hold_type": hold_type.value,
                "contact": rule.contact.value,
                "allowed": allowed,
                "why": rule.why,
            },
            decision=decision,
        )
        placement.reason = f"{placement.reason}; told of {hold_type.value} hold {hold_id}: {allowed}"[:2000]
        return NoticeResult(
            kind="sent",
            channel=AGENCY_CHANNEL,
            record_id=placement.id,
            duplicate=False,
            rule=decision.rule,
            detail=f"{placement.agency_id} told: {allowed}",
        )
