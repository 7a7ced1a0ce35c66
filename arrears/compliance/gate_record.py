"""The contact policy gate in the system of record: what it is told, and what it decided.

Activities call ``gate`` at send time, inside the transaction that would
write the contact: the inputs (holds, opt-outs, the account's contact
history) are read from the record as it is then, so a timer that fired late
or an activity retried hours later is judged on the facts of that moment.
Every decision is written to ``contact_decisions`` with its rule and inputs
(arrears.compliance.decision_record).
"""

from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.db.models import (
    Account,
    BureauNotice,
    CollectorContact,
    CollectorTask,
    Consent,
    ContactAttempt,
    ContactDecision,
    ContactOutcomeRecord,
    Hold,
)
from arrears.domain.geo import possible_zones, zone_country
from arrears.domain.holds import HoldType
from arrears.domain.policy import (
    AGENCY_CHANNEL,
    CONVERSATION_OUTCOMES,
    UNCONNECTED_OUTCOMES,
    ActiveHold,
    CallConsent,
    ContactPolicy,
    Decision,
    GateContext,
    MessageKind,
    Party,
    PastContact,
    Preference,
    Proposed,
    Verdict,
    Window,
    decide,
)

# Without a preset in the strategy: contact hours 08:00-21:00, letters and visits on working days.
BASELINE = ContactPolicy(
    preset="baseline",
    windows={
        "sms": Window(),
        "email": Window(),
        "im": Window(),
        "call": Window(),
        "letter": Window(working_days_only=True),
        "visit": Window(start=time(9, 0), end=time(19, 0), working_days_only=True),
    },
)
# Contact attempts that never reached a channel do not count toward caps.
NOT_ATTEMPTED_PREFIXES = ("suppressed", "no_address", "invalid_number", "deferred")
# The step id of the one confirmation of an opt-out: "<prefix><consent id>".
CONFIRMATION_STEP = "opt-out-confirmation:"
# The step id of a dispute's verification letter (arrears.compliance.notices).
VERIFICATION_STEP = "dispute-verification"


def sent(result: str) -> bool:
    return not result.startswith(NOT_ATTEMPTED_PREFIXES)


def address_for(account: Account, channel: str) -> str:
    if channel in ("sms", "im", "call"):
        return account.phone
    if channel == "email":
        return account.email or ""
    return account.billing_address


def active_holds(session: Session, account_id: str, now: datetime) -> tuple[ActiveHold, ...]:
    rows = session.scalars(select(Hold).where(Hold.account_id == account_id, Hold.status == "active"))
    return tuple(
        ActiveHold(HoldType(h.hold_type), h.channel) for h in rows if h.expires_at is None or h.expires_at > now
    )


def preferences(session: Session, account_id: str) -> tuple[Preference, ...]:
    """Every opt-out, opt-in and invalid mark of the account, address-level and medium-wide."""
    confirmed = {
        step.removeprefix(CONFIRMATION_STEP)
        for step, result in session.execute(
            select(ContactAttempt.step_id, ContactAttempt.result).where(
                ContactAttempt.account_id == account_id, ContactAttempt.step_id.like(f"{CONFIRMATION_STEP}%")
            )
        )
        if sent(result)
    }
    rows = session.scalars(
        select(Consent)
        .where(Consent.account_id == account_id, Consent.status.in_(("opted_out", "opted_in", "invalid")))
        .order_by(Consent.recorded_at, Consent.id)
    )
    return tuple(
        Preference(
            channel=r.channel,
            status=r.status,
            at=r.recorded_at,
            address=None if r.scope == "medium" else r.address,
            confirmed=str(r.id) in confirmed,
        )
        for r in rows
    )


def opted_out(session: Session, account_id: str) -> frozenset[tuple[str, str]]:
    """(channel, address) pairs whose latest address-level record says opted out."""
    latest: dict[tuple[str, str], str] = {}
    for p in preferences(session, account_id):
        if p.address is not None:
            latest[(p.channel, p.address)] = p.status
    return frozenset(key for key, status in latest.items() if status == "opted_out")


def call_consents(session: Session, account_id: str) -> tuple[CallConsent, ...]:
    rows = session.scalars(
        select(Consent).where(
            Consent.account_id == account_id, Consent.channel == "call", Consent.status == "consented"
        )
    )
    return tuple(
        CallConsent(received_at=r.recorded_at, valid_from=r.valid_from, valid_until=r.valid_until) for r in rows
    )


def invalid_addresses(session: Session, account: Account) -> frozenset[str]:
    bad = set()
    if account.phone_invalid:
        bad.add(account.phone)
    if account.email_invalid and account.email:
        bad.add(account.email)
    for row in session.scalars(
        select(Consent).where(Consent.account_id == account.account_id, Consent.status == "invalid")
    ):
        bad.add(row.address)
    return frozenset(bad)


def contact_history(session: Session, account_id: str, exclude_task: int | None = None) -> tuple[PastContact, ...]:
    """Every contact the account received, and every call dialled or visit made, with the conversations.

    A call or visit counts when it was worked (``collector_contacts``: its dial time, its number);
    a task still open counts at its due time as a planned attempt; a task closed without being
    worked is no contact. ``exclude_task``: the task being judged now."""
    history: list[PastContact] = []
    for channel, at, result, recipient in session.execute(
        select(
            ContactAttempt.channel, ContactAttempt.attempted_at, ContactAttempt.result, ContactAttempt.recipient
        ).where(ContactAttempt.account_id == account_id)
    ):
        if sent(result):
            history.append(PastContact(channel, at, address=recipient))
    for at, result, recipient in session.execute(
        select(BureauNotice.sent_at, BureauNotice.result, BureauNotice.recipient).where(
            BureauNotice.account_id == account_id
        )
    ):
        if result == "queued":
            history.append(PastContact("letter", at, address=recipient))
    worked = {}
    for row, outcome in session.execute(
        select(CollectorContact, ContactOutcomeRecord.outcome)
        .outerjoin(ContactOutcomeRecord, ContactOutcomeRecord.task_id == CollectorContact.task_id)
        .where(CollectorContact.account_id == account_id)
    ):
        worked[row.task_id] = row
        if row.task_id == exclude_task:
            continue
        talked = row.kind == "call" and outcome in CONVERSATION_OUTCOMES
        history.append(
            PastContact(
                row.kind,
                row.started_at,
                conversation=talked,
                address=row.dialled,
                connected=outcome not in UNCONNECTED_OUTCOMES,
            )
        )
    for task_id, kind, status, due_at, outcome, recorded_at in session.execute(
        select(
            CollectorTask.id,
            CollectorTask.kind,
            CollectorTask.status,
            CollectorTask.due_at,
            ContactOutcomeRecord.outcome,
            ContactOutcomeRecord.recorded_at,
        )
        .outerjoin(ContactOutcomeRecord, ContactOutcomeRecord.task_id == CollectorTask.id)
        .where(CollectorTask.account_id == account_id, CollectorTask.kind.in_(("call", "visit")))
    ):
        if task_id in worked or task_id == exclude_task:
            continue
        if outcome is None and status != "open":
            continue  # closed without being worked: nobody was called
        # Worked before dial times were kept: the outcome's time for a conversation, else the due time.
        talked = kind == "call" and outcome in CONVERSATION_OUTCOMES
        history.append(
            PastContact(
                kind,
                recorded_at if talked else due_at,
                conversation=talked,
                connected=outcome not in UNCONNECTED_OUTCOMES,
            )
        )
    return tuple(history)


def validation_state(
    session: Session, episode_id: str | None, policy: ContactPolicy, at: datetime | None = None
) -> tuple[bool, datetime | None]:
    """Whether the episode's validation notice is still to go as of ``at``, and the moment it waits for
    (1006.34). A notice on record with a later collection time than ``at`` (a step stamped with its
    own moment, judged after the notice was written) has not gone yet as of ``at``: whatever is judged
    then waits for it, as the auditor reads the record."""
    template = policy.validation_notice_template
    if template is None or episode_id is None:
        return False, None
    rows = session.execute(
        select(ContactAttempt.result, ContactAttempt.attempted_at).where(
            ContactAttempt.episode_id == episode_id, ContactAttempt.template == template
        )
    ).all()
    sent_at = [when for result, when in rows if sent(result)]
    if any(at is None or when <= at for when in sent_at):
        return False, None
    if sent_at:
        return True, min(sent_at)
    last = session.scalars(
        select(ContactDecision)
        .where(ContactDecision.episode_id == episode_id, ContactDecision.step_id == "validation-notice")
        .order_by(ContactDecision.id.desc())
        .limit(1)
    ).first()
    return True, (last.until if last is not None and last.verdict == Verdict.DEFER.value else None)


def unverified_disputes(session: Session, account_id: str, policy: ContactPolicy) -> list[Hold]:
    """Disputes released as verified with no verification sent after they were raised (1006.38(d)(2))."""
    verified = session.scalars(
        select(Hold)
        .where(
            Hold.account_id == account_id,
            Hold.hold_type == HoldType.DISPUTE.value,
            Hold.status == "released",
            Hold.resolution == "verified",
        )
        .order_by(Hold.id)
    ).all()
    if not verified:
        return []
    letters = [
        at
        for at, result in session.execute(
            select(ContactAttempt.attempted_at, ContactAttempt.result).where(
                ContactAttempt.account_id == account_id, ContactAttempt.template == policy.verification_template
            )
        )
        if sent(result)
    ]
    return [h for h in verified if not any(at >= h.placed_at for at in letters)]


def verification_state(session: Session, account_id: str, policy: ContactPolicy) -> tuple[bool, datetime | None]:
    """Whether a verification is owed, and the moment it waits for when the gate deferred it."""
    if not unverified_disputes(session, account_id, policy):
        return False, None
    last = session.scalars(
        select(ContactDecision)
        .where(ContactDecision.account_id == account_id, ContactDecision.step_id == VERIFICATION_STEP)
        .order_by(ContactDecision.id.desc())
        .limit(1)
    ).first()
    return True, (last.until if last is not None and last.verdict == Verdict.DEFER.value else None)


def in_flight(holds: list | tuple) -> tuple[ActiveHold, ...]:
    """The active holds a command carries (HoldRecord), as the gate takes them."""
    return tuple(
        ActiveHold(HoldType(h.hold_type), h.channel) for h in holds if getattr(h, "status", "active") == "active"
    )


def context(
    session: Session,
    account: Account,
    channel: str,
    at: datetime,
    policy: ContactPolicy,
    *,
    episode_id: str | None = None,
    exclude_task: int | None = None,
    extra_holds: tuple[ActiveHold, ...] = (),
) -> GateContext:
    """What the gate is told about the cardholder, read from the record as it is now."""
    pending, until = validation_state(session, episode_id, policy, at)
    owed, owed_until = verification_state(session, account.account_id, policy)
    return GateContext(
        zones=possible_zones(account.timezone, account.phone, channel),
        country=zone_country(account.timezone),
        holds=tuple(dict.fromkeys(active_holds(session, account.account_id, at) + extra_holds)),
        preferences=preferences(session, account.account_id),
        invalid_addresses=invalid_addresses(session, account),
        # As of the moment judged: a contact entered after the fact is judged on what came before it.
        history=tuple(h for h in contact_history(session, account.account_id, exclude_task=exclude_task) if h.at <= at),
        consents=call_consents(session, account.account_id),
        validation_pending=pending,
        validation_until=until,
        verification_owed=owed,
        verification_until=owed_until,
    )


def gate(
    session: Session,
    account: Account,
    channel: str,
    at: datetime,
    policy: ContactPolicy | None,
    template: str | None = None,
    *,
    episode_id: str | None = None,
    kind: MessageKind | None = None,
    address: str | None = None,
    exclude_task: int | None = None,
    extra_holds: tuple[ActiveHold, ...] = (),
) -> Decision:
    """The gate's decision on a contact with the cardholder, on the record as it is now."""
    policy = policy or BASELINE
    ctx = context(
        session, account, channel, at, policy, episode_id=episode_id, exclude_task=exclude_task, extra_holds=extra_holds
    )
    if address is None:
        address = address_for(account, channel)
        if channel == "call" and account.phone_invalid:
            # A call task is work for a person, who is told to trace a new number first (the
            # task's note); dialling the wrong number itself is what the collector must not do.
            address = ""
    kind = kind or policy.kind_of(template)
    return decide(Proposed(channel, at, template=template, address=address, kind=kind), ctx, policy)


def gate_person(
    session: Session,
    account: Account,
    phone: str,
    at: datetime,
    policy: ContactPolicy | None,
    template: str,
    earlier_contacts: int,
    party: Party = Party.THIRD_PARTY,
    kind: MessageKind = MessageKind.LOCATION,
) -> Decision:
    """A text to a contact person or a guarantor: their hours (and the account's), holds, their
    opt-outs, what the preset lets them be told, how often."""
    policy = policy or BASELINE
    ctx = GateContext(
        zones=possible_zones(account.timezone, phone, "sms"),
        country=zone_country(account.timezone),
        holds=active_holds(session, account.account_id, at),
        preferences=preferences(session, account.account_id),
        invalid_addresses=invalid_addresses(session, account),
        third_party_contacts=earlier_contacts,
    )
    return decide(Proposed("sms", at, template=template, address=phone, party=party, kind=kind), ctx, policy)


def gate_third_party(
    session: Session,
    account: Account,
    phone: str,
    at: datetime,
    policy: ContactPolicy | None,
    template: str,
    earlier_contacts: int,
) -> Decision:
    return gate_person(session, account, phone, at, policy, template, earlier_contacts)


def gate_agency(
    session: Session,
    account_id: str,
    at: datetime,
    policy: ContactPolicy | None,
    kind: MessageKind,
    extra_holds: tuple[ActiveHold, ...] = (),
) -> Decision:
    """A message to the agency the account is (to be) placed with: a placement waits for no hours but
    never goes under a hold that stops contact; telling an agency of a hold always goes."""
    policy = policy or BASELINE
    ctx = GateContext(zones=("UTC",), holds=tuple(dict.fromkeys(active_holds(session, account_id, at) + extra_holds)))
    return decide(Proposed(AGENCY_CHANNEL, at, party=Party.AGENCY, kind=kind), ctx, policy)
