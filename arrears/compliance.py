"""The contact policy gate in the system of record: what it is told, and what it decided.

Activities call ``gate`` at send time, inside the transaction that would
write the contact: the inputs (holds, opt-outs, the account's contact
history) are read from the record as it is then, so a timer that fired late
or an activity retried hours later is judged on the facts of that moment.
Every decision is written to ``contact_decisions`` with its rule and inputs.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.db.models import (
    Account,
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
    CONVERSATION_OUTCOMES,
    ActiveHold,
    ContactPolicy,
    Decision,
    GateContext,
    PastContact,
    Proposed,
    Verdict,
    Window,
    decide,
)

# Without a preset in the strategy: contact hours 08:00-21:00, letters and visits on working days.
BASELINE = ContactPolicy(
    preset="baseline",
    windows={
        "sms": Window(), "email": Window(), "im": Window(), "call": Window(),
        "letter": Window(working_days_only=True), "visit": Window(start="09:00", end="19:00", working_days_only=True),
    },
)
# Contact attempts that never reached a channel do not count toward caps.
NOT_ATTEMPTED_PREFIXES = ("suppressed", "no_address", "invalid_number")


def address_for(account: Account, channel: str) -> str:
    if channel in ("sms", "im", "call"):
        return account.phone
    if channel == "email":
        return account.email or ""
    return account.billing_address


def active_holds(session: Session, account_id: str, now: datetime) -> tuple[ActiveHold, ...]:
    rows = session.scalars(select(Hold).where(Hold.account_id == account_id, Hold.status == "active"))
    return tuple(
        ActiveHold(HoldType(h.hold_type), h.channel)
        for h in rows
        if h.expires_at is None or h.expires_at > now
    )


def opted_out(session: Session, account_id: str) -> frozenset[tuple[str, str]]:
    """(channel, address) pairs whose latest consent record says opted out."""
    latest: dict[tuple[str, str], str] = {}
    for row in session.scalars(select(Consent).where(Consent.account_id == account_id).order_by(Consent.recorded_at, Consent.id)):
        latest[(row.channel, row.address)] = row.status
    return frozenset(key for key, status in latest.items() if status == "opted_out")


def invalid_addresses(session: Session, account: Account) -> frozenset[str]:
    bad = set()
    if account.phone_invalid:
        bad.add(account.phone)
    if account.email_invalid and account.email:
        bad.add(account.email)
    for row in session.scalars(select(Consent).where(Consent.account_id == account.account_id, Consent.status == "invalid")):
        bad.add(row.address)
    return frozenset(bad)


def contact_history(session: Session, account_id: str) -> tuple[PastContact, ...]:
    """Every contact the account received (or a collector was sent to make), and the conversations."""
    history: list[PastContact] = []
    for channel, at, result in session.execute(
        select(ContactAttempt.channel, ContactAttempt.attempted_at, ContactAttempt.result).where(
            ContactAttempt.account_id == account_id
        )
    ):
        if not result.startswith(NOT_ATTEMPTED_PREFIXES):
            history.append(PastContact(channel, at))
    # A call task is one call attempt; its outcome says whether it was a conversation.
    for kind, due_at, outcome, recorded_at in session.execute(
        select(CollectorTask.kind, CollectorTask.due_at, ContactOutcomeRecord.outcome, ContactOutcomeRecord.recorded_at)
        .outerjoin(ContactOutcomeRecord, ContactOutcomeRecord.task_id == CollectorTask.id)
        .where(CollectorTask.account_id == account_id, CollectorTask.kind.in_(("call", "visit")))
    ):
        talked = kind == "call" and outcome in CONVERSATION_OUTCOMES
        history.append(PastContact(kind, recorded_at if talked else due_at, conversation=talked))
    return tuple(history)


def gate(
    session: Session, account: Account, channel: str, at: datetime, policy: ContactPolicy | None,
    template: str | None = None,
) -> Decision:
    policy = policy or BASELINE
    ctx = GateContext(
        zones=possible_zones(account.timezone, account.phone, channel),
        country=zone_country(account.timezone),
        holds=active_holds(session, account.account_id, at),
        opted_out=opted_out(session, account.account_id),
        invalid_addresses=invalid_addresses(session, account),
        history=contact_history(session, account.account_id),
    )
    address = address_for(account, channel)
    if channel == "call" and account.phone_invalid:
        # A call task is work for a person, who is told to trace a new number first (the
        # task's note); dialling the wrong number itself is what the collector must not do.
        address = ""
    return decide(Proposed(channel, at, template=template, address=address), ctx, policy)


def gate_third_party(
    session: Session, account: Account, phone: str, at: datetime, policy: ContactPolicy | None, template: str,
    earlier_contacts: int,
) -> Decision:
    """A locate text to a contact person: their hours (and the account's), holds, opt-outs, the preset's limit."""
    policy = policy or BASELINE
    ctx = GateContext(
        zones=possible_zones(account.timezone, phone, "sms"),
        country=zone_country(account.timezone),
        holds=active_holds(session, account.account_id, at),
        opted_out=opted_out(session, account.account_id),
        invalid_addresses=invalid_addresses(session, account),
        third_party_contacts=earlier_contacts,
    )
    return decide(Proposed("sms", at, template=template, address=phone, to_third_party=True), ctx, policy)


def decision_key(step_key: str, proposed_at: datetime) -> str:
    return f"{step_key}@{proposed_at.isoformat()}"


def record_decision(
    session: Session, key: str, episode_id: str, account_id: str, step_id: str, channel: str,
    proposed_at: datetime, decision: Decision, policy: ContactPolicy | None, now: datetime,
) -> ContactDecision:
    row = ContactDecision(
        idempotency_key=key, episode_id=episode_id, account_id=account_id, step_id=step_id, channel=channel,
        proposed_at=proposed_at, verdict=decision.verdict.value, rule=decision.rule, until=decision.until,
        detail=decision.detail, inputs=decision.inputs, preset=(policy or BASELINE).preset, decided_at=now,
    )
    session.add(row)
    session.flush()
    return row


def earlier_decision(session: Session, key: str) -> ContactDecision | None:
    return session.scalar(select(ContactDecision).where(ContactDecision.idempotency_key == key))


CONSENT_STATUSES = ("opted_in", "opted_out", "invalid")


class ConsentError(ValueError):
    """A consent record that cannot be taken; the message says why."""


def record_consent(
    session: Session, account_id: str, channel: str, status: str, source: str, now: datetime,
    address: str | None = None, note: str = "",
) -> Consent:
    """An opt-out, opt-in or invalid address, per channel and address, with when and from where.

    Without an address the account's current one for the channel is meant. An
    email marked invalid (a bounce) also sets ``email_invalid`` so nothing more
    is sent there until a different address is imported.
    """
    if channel not in ("sms", "email", "im", "call", "letter", "visit"):
        raise ConsentError(f"unknown channel {channel!r}")
    if status not in CONSENT_STATUSES:
        raise ConsentError(f"status must be one of {', '.join(CONSENT_STATUSES)}, got {status!r}")
    if not source.strip():
        raise ConsentError("say where it came from (source), e.g. 'sms reply STOP' or 'bounce'")
    account = session.get(Account, account_id)
    if account is None:
        raise ConsentError(f"no account {account_id}")
    address = address or address_for(account, channel)
    if not address:
        raise ConsentError(f"account {account_id} has no {channel} address")
    row = Consent(account_id=account_id, channel=channel, address=address, status=status, source=source.strip(),
                  note=note, recorded_at=now)
    session.add(row)
    if status == "invalid" and channel == "email" and address == account.email:
        account.email_invalid = True
    session.flush()
    return row
