"""The contact policy gate in the system of record: what it is told, and what it decided.

Activities call ``gate`` at send time, inside the transaction that would
write the contact: the inputs (holds, opt-outs, the account's contact
history) are read from the record as it is then, so a timer that fired late
or an activity retried hours later is judged on the facts of that moment.
Every decision is written to ``contact_decisions`` with its rule and inputs.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from arrears.db.models import (
    Account,
    BureauNotice,
    CollectorContact,
    CollectorTask,
    CompliancePolicy,
    Consent,
    ContactAttempt,
    ContactDecision,
    ContactOutcomeRecord,
    Episode,
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
# A consent record about a whole medium carries this address.
MEDIUM = "*"
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


def policy_hash(policy: ContactPolicy) -> str:
    return hashlib.sha256(policy.model_dump_json().encode()).hexdigest()


def remember_policy(session: Session, policy: ContactPolicy | None, now: datetime) -> str:
    """Keep the policy a task is opened under, once per content, and give its hash."""
    policy = policy or BASELINE
    digest = policy_hash(policy)
    if session.get(CompliancePolicy, digest) is None:
        # Another worker may be writing the same policy right now: the second insert does nothing.
        dialect = session.get_bind().dialect.name
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        session.execute(
            insert(CompliancePolicy)
            .values(
                policy_hash=digest,
                preset=policy.preset,
                body=policy.model_dump(mode="json"),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["policy_hash"])
        )
    return digest


def remembered_policy(session: Session, digest: str | None) -> ContactPolicy | None:
    row = session.get(CompliancePolicy, digest) if digest else None
    return ContactPolicy.model_validate(row.body) if row is not None else None


def known_policy(
    session: Session,
    episode_id: str,
    given: ContactPolicy | None = None,
    by_strategy: Callable[[str], ContactPolicy | None] | None = None,
) -> ContactPolicy | None:
    """The policy a command carries; else the one the episode's steps last ran under; else the one another
    episode of the same strategy ran under, or the worker's own strategy of that hash; else None (unknown)."""
    if given is not None:
        return given
    episode = session.get(Episode, episode_id)
    if episode is None:
        return None
    found = remembered_policy(session, episode.policy_hash)
    if found is None:
        twin = session.scalar(
            select(Episode.policy_hash)
            .where(Episode.strategy_hash == episode.strategy_hash, Episode.policy_hash.is_not(None))
            .limit(1)
        )
        found = remembered_policy(session, twin)
    if found is None and by_strategy is not None:
        found = by_strategy(episode.strategy_hash)
    return found


def episode_policy(session: Session, episode_id: str, given: ContactPolicy | None = None) -> ContactPolicy:
    """As ``known_policy``, with the baseline where none is known."""
    return known_policy(session, episode_id, given) or BASELINE


def strategy_policies(paths: list[Path]) -> Callable[[str], ContactPolicy | None]:
    """The contact policies of the worker's own strategy files, by the strategies' content hash (a
    strategy file that does not load is left out: the episode's own record decides then)."""
    from arrears.config.strategies import load_strategy
    from arrears.domain.strategy import StrategyError

    known: dict[str, ContactPolicy] = {}
    for path in paths:
        try:
            strategy = load_strategy(path)
        except StrategyError:
            continue
        known[strategy.content_hash()] = strategy.compliance or BASELINE
    return known.get


def record_decision(
    session: Session,
    key: str,
    episode_id: str,
    account_id: str,
    step_id: str,
    channel: str,
    proposed_at: datetime,
    decision: Decision,
    policy: ContactPolicy | None,
    now: datetime,
) -> ContactDecision:
    row = ContactDecision(
        idempotency_key=key,
        episode_id=episode_id,
        account_id=account_id,
        step_id=step_id,
        channel=channel,
        proposed_at=proposed_at,
        verdict=decision.verdict.value,
        rule=decision.rule,
        until=decision.until,
        detail=decision.detail,
        inputs=decision.inputs,
        preset=(policy or BASELINE).preset,
        decided_at=now,
    )
    session.add(row)
    session.flush()
    return row


def earlier_decision(session: Session, key: str) -> ContactDecision | None:
    return session.scalar(select(ContactDecision).where(ContactDecision.idempotency_key == key))


CONSENT_STATUSES = ("opted_in", "opted_out", "invalid", "consented")


class ConsentError(ValueError):
    """A consent record that cannot be taken; the message says why."""


def record_consent(
    session: Session,
    account_id: str,
    channel: str,
    status: str,
    source: str,
    now: datetime,
    address: str | None = None,
    note: str = "",
    *,
    medium: bool = False,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> Consent:
    """An opt-out, opt-in, invalid address or consent to calls, with when and from where.

    Without an address the account's current one for the channel is meant; ``medium`` means every
    address of the channel, present and future ("stop calling me", comment 14(h)(1)-3.i). An email
    marked invalid (a bounce) also sets ``email_invalid`` so nothing more is sent there until a
    different address is imported. ``consented`` is prior consent to calls, given directly
    (1006.14(b)(3)(i)): from ``valid_from`` (default now) to ``valid_until`` (default: the seven-day limit).
    ``now`` is the account's collection time (arrears.client.clock).
    """
    if channel not in ("sms", "email", "im", "call", "letter", "visit"):
        raise ConsentError(f"unknown channel {channel!r}")
    if status not in CONSENT_STATUSES:
        raise ConsentError(f"status must be one of {', '.join(CONSENT_STATUSES)}, got {status!r}")
    if not source.strip():
        raise ConsentError("say where it came from (source), e.g. 'sms reply STOP' or 'bounce'")
    if status == "consented" and channel != "call":
        raise ConsentError("consent to be contacted is recorded for calls (12 CFR 1006.14(b)(3)(i))")
    if status != "consented" and (valid_from or valid_until):
        raise ConsentError("valid_from and valid_until go with a consent to calls (status consented)")
    if medium and status == "invalid":
        raise ConsentError("invalid marks one address, not a whole medium")
    for name, moment in (("valid_from", valid_from), ("valid_until", valid_until)):
        if moment is not None and moment.tzinfo is None:
            raise ConsentError(f"{name}: give the time with its UTC offset")
    if valid_from and valid_until and valid_until <= valid_from:
        raise ConsentError("valid_until must be after valid_from")
    account = session.get(Account, account_id)
    if account is None:
        raise ConsentError(f"no account {account_id}")
    if medium or status == "consented":
        address = MEDIUM
    else:
        address = address or address_for(account, channel)
    if not address:
        raise ConsentError(f"account {account_id} has no {channel} address")
    row = Consent(
        account_id=account_id,
        channel=channel,
        address=address,
        status=status,
        source=source.strip(),
        note=note,
        recorded_at=now,
        scope="medium" if address == MEDIUM else "address",
        valid_from=valid_from,
        valid_until=valid_until,
    )
    session.add(row)
    if status == "invalid" and channel == "email" and address == account.email:
        account.email_invalid = True
    session.flush()
    return row
