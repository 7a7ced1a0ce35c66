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

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.compliance.gate_record import BASELINE, CONFIRMATION_STEP, VERIFICATION_STEP, sent
from arrears.db.models import (
    Account,
    AgencyPlacement,
    BureauNotice,
    BureauReport,
    CollectorContact,
    CollectorTask,
    Consent,
    ContactAttempt,
    ContactOutcomeRecord,
    EffectiveCollection,
    Hold,
)
from arrears.domain.bureau import BureauPolicy, BureauStatus, NoticeSent, Returned, effective_notice, is_negative
from arrears.domain.geo import possible_zones, zone_country
from arrears.domain.holds import ContactEffect, HoldType, rule_for
from arrears.domain.policy import (
    AGENCY_BLOCKING_EFFECTS,
    CONVERSATION_OUTCOMES,
    ELECTRONIC,
    LEGALLY_REQUIRED,
    NOT_COLLECTION,
    UNCONNECTED_OUTCOMES,
    WEEKDAYS,
    CallConsent,
    ContactPolicy,
    MessageKind,
    Party,
    consent_covers,
    is_working_day,
)

# What each rule enforces, by preset source key; the summary prints it next to the counts.
RULES: dict[str, tuple[str, str]] = {
    "contact_window": ("contact_window", "hours in every zone the person may be in"),
    "non_working_day": ("contact_window", "letters and visits on working days"),
    "frequency_cap": ("frequency_cap", "per-day and consecutive-day caps"),
    "after_conversation": ("after_conversation", "no call in the quiet days after a conversation"),
    "hold": ("hold", "what an active hold stops"),
    "opt_out": ("opt_out", "an address or a whole medium opted out"),
    "third_party_content": ("third_party", "contact persons told only to ask for a call back"),
    "third_party_limit": ("third_party", "a contact person reached at most as often as allowed"),
    "guarantor_content": ("guarantor", "a guarantor told only what the preset allows"),
    "validation_notice_pending": ("validation_notice", "nothing else before the validation notice"),
    "validation_notice_deadline": ("validation_notice", "the notice within days of the initial communication"),
    "verification_owed": ("verification", "verification sent before collection resumes after a dispute"),
    "bureau_notice_before_furnishing": ("bureau_notice", "a negative report only after notice or a conversation"),
}


@dataclass(frozen=True)
class Violation:
    account_id: str
    channel: str
    at: datetime
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.account_id} {self.channel} at {self.at:%Y-%m-%d %H:%M} UTC: {self.rule}: {self.detail}"

    @property
    def family(self) -> str:
        return "hold" if self.rule.startswith("hold:") else self.rule


@dataclass(frozen=True)
class _Contact:
    account_id: str
    episode_id: str | None
    channel: str  # sms | email | im | letter | call | visit | agency
    at: datetime
    address: str
    template: str | None
    kind: MessageKind = MessageKind.COLLECTION
    party: Party = Party.CONSUMER
    step_id: str = ""
    conversation: bool = False
    connected: bool = True


@dataclass
class Report:
    violations: list[Violation] = field(default_factory=list)
    checked: Counter = field(default_factory=Counter)  # rule family -> contacts judged by it
    contacts: int = 0
    flagged_at_entry: int = 0  # calls entered after the fact that the gate flagged when they were recorded

    def summary(self, policy: ContactPolicy | None = None) -> list[tuple[str, str, int, int]]:
        """(rule, its source or what it enforces, contacts judged, violations), one row per rule."""
        policy = policy or BASELINE
        broken = Counter(v.family for v in self.violations)
        rows = []
        for rule, (source_key, what) in RULES.items():
            source = policy.sources.get(source_key, what)
            rows.append((rule, source, self.checked[rule], broken[rule]))
        return rows


def _kind(policy: ContactPolicy, template: str | None, step_id: str) -> MessageKind:
    if step_id.startswith(CONFIRMATION_STEP):
        return MessageKind.OPT_OUT_CONFIRMATION
    if step_id == VERIFICATION_STEP:
        return MessageKind.DISPUTE_VERIFICATION
    return policy.kind_of(template)


def _contacts(session: Session, policy: ContactPolicy) -> list[_Contact]:
    found: list[_Contact] = []
    for c in session.scalars(select(ContactAttempt)):
        if not sent(c.result):
            continue
        if c.channel == "locate":
            found.append(
                _Contact(
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
                _Contact(
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
                _Contact(
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
            _Contact(
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
            _Contact(
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
            _Contact(
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
            _Contact(
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
    notices = _validation_notices(contacts, policy)
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
        for check in (_times, _holds, _opt_outs, _parties):
            check(c, account, policy, mine, holds[c.account_id], prefs[c.account_id], consents[c.account_id], report)
        _owed(c, account, policy, notices, holds[c.account_id], mine, report)
    _deadlines(contacts, accounts, policy, notices, as_of or max((c.at for c in contacts), default=None), report)
    if bureau is not None:
        _furnishing(session, accounts, bureau, report)
    report.violations.sort(key=lambda v: (v.at, v.account_id, v.rule))
    return report


def _flag(report: Report, c: _Contact, rule: str, detail: str) -> None:
    report.violations.append(
        Violation(
            c.account_id, c.channel if c.party == Party.CONSUMER else f"{c.channel}:{c.party.value}", c.at, rule, detail
        )
    )


def _local(at: datetime, zone: str) -> datetime:
    return at.astimezone(ZoneInfo(zone))


def _times(c: _Contact, account: Account, policy: ContactPolicy, mine, holds, prefs, consents, report: Report) -> None:
    if c.party == Party.AGENCY:
        return
    window = policy.window(c.channel)
    country = zone_country(account.timezone) or policy.holiday_country
    phone = c.address if c.party != Party.CONSUMER else account.phone
    zones = possible_zones(account.timezone, phone, c.channel)
    report.checked["contact_window"] += 1
    outside = [
        z
        for z in zones
        if not window.permits(_local(c.at, z)) or WEEKDAYS[_local(c.at, z).weekday()] not in window.days
    ]
    if outside:
        _flag(report, c, "contact_window", ", ".join(f"{_local(c.at, z):%a %H:%M} in {z}" for z in outside))
    if window.working_days_only:
        report.checked["non_working_day"] += 1
        off = [z for z in zones if not is_working_day(_local(c.at, z).date(), country)]
        if off:
            _flag(report, c, "non_working_day", f"{_local(c.at, off[0]).date()} in {country}")
    if c.party != Party.CONSUMER or c.kind in (LEGALLY_REQUIRED | {MessageKind.OPT_OUT_CONFIRMATION}):
        return
    zone = account.timezone
    talks = sorted(x.at for x in mine if x.conversation)
    invalid = {p.address for p in prefs if p.status == "invalid"} | (
        {account.phone} if account.phone_invalid else set()
    )

    def consented(t: datetime) -> bool:
        return c.channel == "call" and any(consent_covers(k, t, talks, zone, policy.consent_days) for k in consents)

    def counted(x: _Contact) -> bool:
        if x.channel != c.channel or x.party != Party.CONSUMER or x.at > c.at:
            return False
        if x.kind in (LEGALLY_REQUIRED | {MessageKind.OPT_OUT_CONFIRMATION}):
            return False
        return not (
            c.channel == "call" and (not x.connected or (x.address and x.address in invalid) or consented(x.at))
        )

    if consented(c.at):
        return  # 1006.14(b)(3)(i): outside the frequencies
    cap = policy.caps.get(c.channel)
    day = _local(c.at, zone).date()
    if cap is not None:
        report.checked["frequency_cap"] += 1
        days = [_local(x.at, zone).date() for x in mine if counted(x)]
        if cap.per_day is not None and sum(1 for d in days if d == day) > cap.per_day:
            _flag(report, c, "frequency_cap", f"{sum(1 for d in days if d == day)} that day (cap {cap.per_day})")
        if cap.per_window is not None and cap.window_days is not None:
            recent = sum(1 for d in days if day - timedelta(days=cap.window_days) < d <= day)
            if recent > cap.per_window:
                _flag(
                    report, c, "frequency_cap", f"{recent} in {cap.window_days} consecutive days (cap {cap.per_window})"
                )
    quiet = policy.call_quiet_days_after_conversation
    if c.channel == "call" and quiet:
        report.checked["after_conversation"] += 1
        earlier = [t for t in talks if t < c.at]
        if earlier and day < _local(max(earlier), zone).date() + timedelta(days=quiet):
            _flag(
                report,
                c,
                "after_conversation",
                f"call within {quiet} days of the conversation of {_local(max(earlier), zone):%Y-%m-%d}",
            )


def _in_force(h: Hold, at: datetime) -> bool:
    ended = h.released_at or h.expires_at
    return h.placed_at <= at and (ended is None or at < ended)


def _holds(c: _Contact, account: Account, policy: ContactPolicy, mine, holds, prefs, consents, report: Report) -> None:
    report.checked["hold"] += 1
    for h in holds:
        if not _in_force(h, c.at):
            continue
        effect = rule_for(HoldType(h.hold_type)).contact
        if c.party == Party.AGENCY:
            broke = effect in AGENCY_BLOCKING_EFFECTS
        elif h.hold_type == HoldType.DISPUTE.value and c.kind == MessageKind.DISPUTE_VERIFICATION:
            broke = False
        else:
            broke = (
                effect in (ContactEffect.NONE, ContactEffect.ATTORNEY_ONLY)
                or (effect == ContactEffect.CHANNEL and h.channel == c.channel)
                or (effect == ContactEffect.NOTICES_ONLY and c.template not in policy.notices_allowed_under_cease)
            )
        if broke:
            _flag(report, c, f"hold:{h.hold_type}", f"hold {h.hold_id} active since {h.placed_at:%Y-%m-%d %H:%M} UTC")


def _opt_outs(
    c: _Contact, account: Account, policy: ContactPolicy, mine, holds, prefs, consents, report: Report
) -> None:
    if c.party == Party.AGENCY or c.kind in LEGALLY_REQUIRED:
        return
    report.checked["opt_out"] += 1
    covering = [
        p
        for p in prefs
        if p.channel == c.channel and p.recorded_at <= c.at and (p.scope == "medium" or p.address == c.address)
    ]
    latest = max(covering, key=lambda p: (p.recorded_at, p.id), default=None)
    if latest is None or latest.status != "opted_out":
        return
    if (
        c.kind == MessageKind.OPT_OUT_CONFIRMATION
        and c.channel in ELECTRONIC
        and c.step_id == f"{CONFIRMATION_STEP}{latest.id}"
    ):
        return  # 1006.14(h)(2)(i): the one confirmation
    where = "every address" if latest.scope == "medium" else "this address"
    _flag(report, c, "opt_out", f"{c.channel} opted out at {where} since {latest.recorded_at:%Y-%m-%d %H:%M} UTC")


def _parties(
    c: _Contact, account: Account, policy: ContactPolicy, mine, holds, prefs, consents, report: Report
) -> None:
    if c.party not in (Party.THIRD_PARTY, Party.GUARANTOR):
        return
    if c.party == Party.GUARANTOR and policy.guarantor.about_debt:
        report.checked["guarantor_content"] += 1
        if c.template not in policy.guarantor.templates:
            _flag(report, c, "guarantor_content", f"{c.template} is not a guarantor template under {policy.preset}")
        return
    report.checked["third_party_content"] += 1
    report.checked["third_party_limit"] += 1
    if c.template not in policy.third_party_templates:
        _flag(
            report,
            c,
            "third_party_content",
            f"{c.template} sent to a contact person: only "
            f"{', '.join(policy.third_party_templates) or 'nothing'} may be",
        )
    earlier = sum(1 for x in mine if x.party == c.party and x.address == c.address and x.at < c.at)
    if earlier >= policy.third_party_max_contacts:
        _flag(
            report,
            c,
            "third_party_limit",
            f"contact person reached {earlier + 1} times (limit {policy.third_party_max_contacts})",
        )


def _validation_notices(contacts: list[_Contact], policy: ContactPolicy) -> dict[str, datetime]:
    """Each episode's first validation notice sent."""
    first: dict[str, datetime] = {}
    if policy.validation_notice_template is None:
        return first
    for c in contacts:
        if c.kind == MessageKind.VALIDATION_NOTICE and c.episode_id is not None:
            first[c.episode_id] = min(first.get(c.episode_id, c.at), c.at)
    return first


def _owed(
    c: _Contact, account: Account, policy: ContactPolicy, notices: dict[str, datetime], holds, mine, report: Report
) -> None:
    if c.party != Party.CONSUMER or c.kind in NOT_COLLECTION:
        return
    if policy.validation_notice_template is not None and c.kind != MessageKind.VALIDATION_NOTICE and c.episode_id:
        report.checked["validation_notice_pending"] += 1
        notice = notices.get(c.episode_id)
        if notice is None or c.at < notice:
            _flag(report, c, "validation_notice_pending", "before the episode's validation notice (12 CFR 1006.34)")
    report.checked["verification_owed"] += 1
    for h in holds:
        if h.hold_type != HoldType.DISPUTE.value or h.resolution != "verified" or h.released_at is None:
            continue
        if h.released_at <= c.at and not any(
            x.kind == MessageKind.DISPUTE_VERIFICATION and h.placed_at <= x.at <= c.at for x in mine
        ):
            _flag(
                report,
                c,
                "verification_owed",
                f"collection after dispute {h.hold_id} was released verified, with no verification sent",
            )


def _deadlines(
    contacts: list[_Contact],
    accounts: dict[str, Account],
    policy: ContactPolicy,
    notices: dict[str, datetime],
    as_of: datetime | None,
    report: Report,
) -> None:
    """1006.34(a)(1)(i)(B): the validation notice within N days of the initial communication."""
    if policy.validation_notice_template is None or as_of is None:
        return
    first: dict[str, _Contact] = {}
    for c in contacts:
        opening = c.party == Party.CONSUMER and c.episode_id and c.kind not in NOT_COLLECTION and c.channel != "agency"
        if opening and c.episode_id and (c.episode_id not in first or c.at < first[c.episode_id].at):
            first[c.episode_id] = c
    days = timedelta(days=policy.validation_notice_within_days)
    for episode_id, c in first.items():
        report.checked["validation_notice_deadline"] += 1
        zone = accounts[c.account_id].timezone if c.account_id in accounts else "UTC"
        due: date = _local(c.at, zone).date() + days
        notice = notices.get(episode_id)
        late = (notice is not None and _local(notice, zone).date() > due) or (
            notice is None and _local(as_of, zone).date() > due
        )
        if late:
            when = f"sent {_local(notice, zone):%Y-%m-%d}" if notice else "not sent"
            _flag(
                report,
                c,
                "validation_notice_deadline",
                f"initial communication {_local(c.at, zone):%Y-%m-%d}; validation notice {when}, due by {due}",
            )


def _furnishing(session: Session, accounts: dict[str, Account], bureau: BureauPolicy, report: Report) -> None:
    """1006.30(a)(1): a negative report only after a notice and its period, or a conversation about the debt."""
    notices, returned, spoke = defaultdict(list), defaultdict(list), defaultdict(list)
    for n in session.scalars(select(BureauNotice)):
        notices[n.episode_id].append((n.sent_at, NoticeSent(n.sent_on, n.recipient, n.result)))
    for c in session.scalars(select(Consent).where(Consent.channel == "letter", Consent.status == "invalid")):
        returned[c.account_id].append((c.recorded_at, c.address))
    for episode_id, kind, outcome, at, dialled in session.execute(
        select(
            ContactOutcomeRecord.episode_id,
            CollectorTask.kind,
            ContactOutcomeRecord.outcome,
            ContactOutcomeRecord.recorded_at,
            CollectorContact.started_at,
        )
        .join(CollectorTask, CollectorTask.id == ContactOutcomeRecord.task_id)
        .outerjoin(CollectorContact, CollectorContact.task_id == ContactOutcomeRecord.task_id)
    ):
        if kind == "call" and outcome in CONVERSATION_OUTCOMES:
            spoke[episode_id].append(dialled or at)
    for episode_id, at in session.execute(
        select(EffectiveCollection.episode_id, EffectiveCollection.occurred_at).where(
            EffectiveCollection.kind == "visit_met"
        )
    ):
        spoke[episode_id].append(at)
    for r in session.scalars(select(BureauReport)):
        if r.withheld or not is_negative(BureauStatus(r.reported_status)):
            continue
        account = accounts.get(r.account_id)
        zone = account.timezone if account else "UTC"
        report.checked["bureau_notice_before_furnishing"] += 1
        cutoff = datetime.combine(r.as_of + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo(zone))
        if bureau.conversation_counts and any(at < cutoff for at in spoke[r.episode_id]):
            continue
        sent_notices = [n for at, n in notices[r.episode_id] if at < cutoff]
        marks = [Returned(address, _local(at, zone).date()) for at, address in returned[r.account_id] if at < cutoff]
        on, problem = effective_notice(sent_notices, marks, bureau.notice_days)
        if on is None or r.as_of < on + timedelta(days=bureau.notice_days):
            why = problem or (
                "no prior notice" if on is None else f"notice of {on}: its {bureau.notice_days} days had not passed"
            )
            report.violations.append(
                Violation(
                    r.account_id,
                    "bureau",
                    cutoff,
                    "bureau_notice_before_furnishing",
                    f"{r.period} reported {r.reported_status}: {why}",
                )
            )
