"""An auditor's check that reads only the system of record: did any contact break the policy?

It does not ask the gate; it recomputes each rule from the stored contacts (reminders, letters,
bureau notices, texts to contact persons and guarantors, calls as dialled and visits as begun,
agency placements), the outcomes, holds, opt-outs and consents, so a gate bug (or a contact that
went around the gate) shows up as a violation. `arrears compliance check` runs it and prints a
summary per rule with how many contacts each rule judged and how many broke it; the test suite
runs it over simulated portfolios.

Each contact is judged at the moment it happened: a call at its dial time (``collector_contacts``),
not when its task was due; a call worked before dial times were kept, at its outcome's time.
"""

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.audit_rules import (
    judge_deadlines,
    judge_furnishing,
    judge_holds,
    judge_opt_outs,
    judge_owed,
    judge_parties,
    judge_times,
    validation_notices,
)
from arrears.audit.violations import AuditedContact, Report, Violation
from arrears.compliance.gate_record import BASELINE, CONFIRMATION_STEP, VERIFICATION_STEP, sent
from arrears.db.models import (
    Account,
    AgencyPlacement,
    BureauNotice,
    CollectorContact,
    CollectorTask,
    Consent,
    ContactAttempt,
    ContactOutcomeRecord,
    Hold,
)
from arrears.domain.bureau import BureauPolicy
from arrears.domain.policy import (
    CONVERSATION_OUTCOMES,
    UNCONNECTED_OUTCOMES,
    CallConsent,
    ContactPolicy,
    MessageKind,
    Party,
)


def _kind(policy: ContactPolicy, template: str | None, step_id: str) -> MessageKind:
    if step_id.startswith(CONFIRMATION_STEP):
        return MessageKind.OPT_OUT_CONFIRMATION
    if step_id == VERIFICATION_STEP:
        return MessageKind.DISPUTE_VERIFICATION
    return policy.kind_of(template)


def _contacts(session: Session, policy: ContactPolicy) -> list[AuditedContact]:
    found: list[AuditedContact] = []
    for c in session.scalars(select(ContactAttempt)):
        if not sent(c.result):
            continue
        if c.channel == "locate":
            found.append(
                AuditedContact(
                    c.account_id,
                    c.episode_id,
                    "sms",
                    c.attempted_at,
                    c.recipient,
                    c.template,
                    MessageKind.LOCATION,
                    Party.THIRD_PARTY,
                    c.step_id,
                )
            )
        elif c.channel == "guarantor":
            found.append(
                AuditedContact(
                    c.account_id,
                    c.episode_id,
                    "sms",
                    c.attempted_at,
                    c.recipient,
                    c.template,
                    MessageKind.COLLECTION,
                    Party.GUARANTOR,
                    c.step_id,
                )
            )
        else:
            found.append(
                AuditedContact(
                    c.account_id,
                    c.episode_id,
                    c.channel,
                    c.attempted_at,
                    c.recipient,
                    c.template,
                    _kind(policy, c.template, c.step_id),
                    Party.CONSUMER,
                    c.step_id,
                )
            )
    for n in session.scalars(select(BureauNotice).where(BureauNotice.result == "queued")):
        found.append(
            AuditedContact(
                n.account_id,
                n.episode_id,
                "letter",
                n.sent_at,
                n.recipient,
                n.template,
                MessageKind.BUREAU_NOTICE,
                Party.CONSUMER,
                n.step_id,
            )
        )
    dialled = set()
    for row, outcome in session.execute(
        select(CollectorContact, ContactOutcomeRecord.outcome).outerjoin(
            ContactOutcomeRecord, ContactOutcomeRecord.task_id == CollectorContact.task_id
        )
    ):
        dialled.add(row.task_id)
        found.append(
            AuditedContact(
                row.account_id,
                row.episode_id,
                row.kind,
                row.started_at,
                row.dialled,
                None,
                step_id=f"task-{row.task_id}",
                conversation=row.kind == "call" and outcome in CONVERSATION_OUTCOMES,
                connected=outcome not in UNCONNECTED_OUTCOMES,
            )
        )
    # Worked before dial times were kept: the outcome's time is the best the record knows.
    for task, done in session.execute(
        select(CollectorTask, ContactOutcomeRecord)
        .join(ContactOutcomeRecord, ContactOutcomeRecord.task_id == CollectorTask.id)
        .where(CollectorTask.kind.in_(("call", "visit")))
    ):
        if task.id in dialled:
            continue
        found.append(
            AuditedContact(
                task.account_id,
                task.episode_id,
                task.kind,
                done.recorded_at,
                "",
                None,
                step_id=f"task-{task.id}",
                conversation=task.kind == "call" and done.outcome in CONVERSATION_OUTCOMES,
                connected=done.outcome not in UNCONNECTED_OUTCOMES,
            )
        )
    for p in session.scalars(select(AgencyPlacement)):
        found.append(
            AuditedContact(
                p.account_id,
                p.episode_id,
                "agency",
                p.placed_at,
                p.agency_id,
                None,
                MessageKind.AGENCY_PLACEMENT,
                Party.AGENCY,
                p.idempotency_key,
            )
        )
    return found


def find_violations(
    session: Session, policy: ContactPolicy | None, bureau: BureauPolicy | None = None
) -> list[Violation]:
    return audit(session, policy, bureau).violations


def audit(
    session: Session, policy: ContactPolicy | None, bureau: BureauPolicy | None = None, as_of: datetime | None = None
) -> Report:
    """Every contact on record judged by every rule that applies to it; ``as_of``: the moment the
    record is read at (default: its latest contact), for the deadlines still running."""
    policy = policy or BASELINE
    accounts = {a.account_id: a for a in session.scalars(select(Account))}
    contacts = _contacts(session, policy)
    report = Report(contacts=len(contacts))
    holds, prefs, consents = defaultdict(list), defaultdict(list), defaultdict(list)
    for h in session.scalars(select(Hold)):
        holds[h.account_id].append(h)
    for consent in session.scalars(select(Consent).order_by(Consent.recorded_at, Consent.id)):
        if consent.status == "consented":
            consents[consent.account_id].append(
                CallConsent(consent.recorded_at, consent.valid_from, consent.valid_until)
            )
        else:
            prefs[consent.account_id].append(consent)
    by_account = defaultdict(list)
    for c in contacts:
        by_account[c.account_id].append(c)
    notices = validation_notices(contacts, policy)
    report.flagged_at_entry = len(
        session.scalars(select(CollectorContact.id).where(CollectorContact.violation_rule.is_not(None))).all()
    )

    for c in contacts:
        account = accounts.get(c.account_id)
        if account is None:
            report.violations.append(
                Violation(c.account_id, c.channel, c.at, "unknown_account", "contact with no account")
            )
            continue
        mine = by_account[c.account_id]
        for check in (judge_times, judge_holds, judge_opt_outs, judge_parties):
            check(c, account, policy, mine, holds[c.account_id], prefs[c.account_id], consents[c.account_id], report)
        judge_owed(c, account, policy, notices, holds[c.account_id], mine, report)
    judge_deadlines(contacts, accounts, policy, notices, as_of or max((c.at for c in contacts), default=None), report)
    if bureau is not None:
        judge_furnishing(session, accounts, bureau, report)
    report.violations.sort(key=lambda v: (v.at, v.account_id, v.rule))
    return report
