"""The rules the auditor judges the record by: each contact's hours, caps, holds, opt-outs and parties,
what was owed before it (a validation notice, a verification), the validation notice's deadline, and
negative bureau reports furnished without a notice (arrears.audit.record_check runs them).

Each judge counts the contacts it judged in the report and flags those that broke its rule.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.violations import AuditedContact, Report, Violation, flag, local
from arrears.compliance.gate_record import CONFIRMATION_STEP
from arrears.db.models import (
    Account,
    BureauNotice,
    BureauReport,
    CollectorContact,
    CollectorTask,
    Consent,
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
    WEEKDAYS,
    ContactPolicy,
    MessageKind,
    Party,
    consent_covers,
    is_working_day,
)


def judge_times(
    c: AuditedContact, account: Account, policy: ContactPolicy, mine, holds, prefs, consents, report: Report
) -> None:
    if c.party == Party.AGENCY:
        return
    window = policy.window(c.channel)
    country = zone_country(account.timezone) or policy.holiday_country
    phone = c.address if c.party != Party.CONSUMER else account.phone
    zones = possible_zones(account.timezone, phone, c.channel)
    report.checked["contact_window"] += 1
    outside = [
        z for z in zones if not window.permits(local(c.at, z)) or WEEKDAYS[local(c.at, z).weekday()] not in window.days
    ]
    if outside:
        flag(report, c, "contact_window", ", ".join(f"{local(c.at, z):%a %H:%M} in {z}" for z in outside))
    if window.working_days_only:
        report.checked["non_working_day"] += 1
        off = [z for z in zones if not is_working_day(local(c.at, z).date(), country)]
        if off:
            flag(report, c, "non_working_day", f"{local(c.at, off[0]).date()} in {country}")
    if c.party != Party.CONSUMER or c.kind in (LEGALLY_REQUIRED | {MessageKind.OPT_OUT_CONFIRMATION}):
        return
    zone = account.timezone
    talks = sorted(x.at for x in mine if x.conversation)
    invalid = {p.address for p in prefs if p.status == "invalid"} | (
        {account.phone} if account.phone_invalid else set()
    )

    def consented(t: datetime) -> bool:
        return c.channel == "call" and any(consent_covers(k, t, talks, zone, policy.consent_days) for k in consents)

    def counted(x: AuditedContact) -> bool:
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
    day = local(c.at, zone).date()
    if cap is not None:
        report.checked["frequency_cap"] += 1
        days = [local(x.at, zone).date() for x in mine if counted(x)]
        if cap.per_day is not None and sum(1 for d in days if d == day) > cap.per_day:
            flag(report, c, "frequency_cap", f"{sum(1 for d in days if d == day)} that day (cap {cap.per_day})")
        if cap.per_window is not None and cap.window_days is not None:
            recent = sum(1 for d in days if day - timedelta(days=cap.window_days) < d <= day)
            if recent > cap.per_window:
                flag(
                    report, c, "frequency_cap", f"{recent} in {cap.window_days} consecutive days (cap {cap.per_window})"
                )
    quiet = policy.call_quiet_days_after_conversation
    if c.channel == "call" and quiet:
        report.checked["after_conversation"] += 1
        earlier = [t for t in talks if t < c.at]
        if earlier and day < local(max(earlier), zone).date() + timedelta(days=quiet):
            flag(
                report,
                c,
                "after_conversation",
                f"call within {quiet} days of the conversation of {local(max(earlier), zone):%Y-%m-%d}",
            )


def _in_force(h: Hold, at: datetime) -> bool:
    ended = h.released_at or h.expires_at
    return h.placed_at <= at and (ended is None or at < ended)


def judge_holds(
    c: AuditedContact, account: Account, policy: ContactPolicy, mine, holds, prefs, consents, report: Report
) -> None:
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
            flag(report, c, f"hold:{h.hold_type}", f"hold {h.hold_id} active since {h.placed_at:%Y-%m-%d %H:%M} UTC")


def judge_opt_outs(
    c: AuditedContact, account: Account, policy: ContactPolicy, mine, holds, prefs, consents, report: Report
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
    flag(report, c, "opt_out", f"{c.channel} opted out at {where} since {latest.recorded_at:%Y-%m-%d %H:%M} UTC")


def judge_parties(
    c: AuditedContact, account: Account, policy: ContactPolicy, mine, holds, prefs, consents, report: Report
) -> None:
    if c.party not in (Party.THIRD_PARTY, Party.GUARANTOR):
        return
    if c.party == Party.GUARANTOR and policy.guarantor.about_debt:
        report.checked["guarantor_content"] += 1
        if c.template not in policy.guarantor.templates:
            flag(report, c, "guarantor_content", f"{c.template} is not a guarantor template under {policy.preset}")
        return
    report.checked["third_party_content"] += 1
    report.checked["third_party_limit"] += 1
    if c.template not in policy.third_party_templates:
        flag(
            report,
            c,
            "third_party_content",
            f"{c.template} sent to a contact person: only "
            f"{', '.join(policy.third_party_templates) or 'nothing'} may be",
        )
    earlier = sum(1 for x in mine if x.party == c.party and x.address == c.address and x.at < c.at)
    if earlier >= policy.third_party_max_contacts:
        flag(
            report,
            c,
            "third_party_limit",
            f"contact person reached {earlier + 1} times (limit {policy.third_party_max_contacts})",
        )


def validation_notices(contacts: list[AuditedContact], policy: ContactPolicy) -> dict[str, datetime]:
    """Each episode's first validation notice sent."""
    first: dict[str, datetime] = {}
    if policy.validation_notice_template is None:
        return first
    for c in contacts:
        if c.kind == MessageKind.VALIDATION_NOTICE and c.episode_id is not None:
            first[c.episode_id] = min(first.get(c.episode_id, c.at), c.at)
    return first


def judge_owed(
    c: AuditedContact,
    account: Account,
    policy: ContactPolicy,
    notices: dict[str, datetime],
    holds,
    mine,
    report: Report,
) -> None:
    if c.party != Party.CONSUMER or c.kind in NOT_COLLECTION:
        return
    if policy.validation_notice_template is not None and c.kind != MessageKind.VALIDATION_NOTICE and c.episode_id:
        report.checked["validation_notice_pending"] += 1
        notice = notices.get(c.episode_id)
        if notice is None or c.at < notice:
            flag(report, c, "validation_notice_pending", "before the episode's validation notice (12 CFR 1006.34)")
    report.checked["verification_owed"] += 1
    for h in holds:
        if h.hold_type != HoldType.DISPUTE.value or h.resolution != "verified" or h.released_at is None:
            continue
        if h.released_at <= c.at and not any(
            x.kind == MessageKind.DISPUTE_VERIFICATION and h.placed_at <= x.at <= c.at for x in mine
        ):
            flag(
                report,
                c,
                "verification_owed",
                f"collection after dispute {h.hold_id} was released verified, with no verification sent",
            )


def judge_deadlines(
    contacts: list[AuditedContact],
    accounts: dict[str, Account],
    policy: ContactPolicy,
    notices: dict[str, datetime],
    as_of: datetime | None,
    report: Report,
) -> None:
    """1006.34(a)(1)(i)(B): the validation notice within N days of the initial communication."""
    if policy.validation_notice_template is None or as_of is None:
        return
    first: dict[str, AuditedContact] = {}
    for c in contacts:
        opening = c.party == Party.CONSUMER and c.episode_id and c.kind not in NOT_COLLECTION and c.channel != "agency"
        if opening and c.episode_id and (c.episode_id not in first or c.at < first[c.episode_id].at):
            first[c.episode_id] = c
    days = timedelta(days=policy.validation_notice_within_days)
    for episode_id, c in first.items():
        report.checked["validation_notice_deadline"] += 1
        zone = accounts[c.account_id].timezone if c.account_id in accounts else "UTC"
        due: date = local(c.at, zone).date() + days
        notice = notices.get(episode_id)
        late = (notice is not None and local(notice, zone).date() > due) or (
            notice is None and local(as_of, zone).date() > due
        )
        if late:
            when = f"sent {local(notice, zone):%Y-%m-%d}" if notice else "not sent"
            flag(
                report,
                c,
                "validation_notice_deadline",
                f"initial communication {local(c.at, zone):%Y-%m-%d}; validation notice {when}, due by {due}",
            )


def judge_furnishing(session: Session, accounts: dict[str, Account], bureau: BureauPolicy, report: Report) -> None:
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
        marks = [Returned(address, local(at, zone).date()) for at, address in returned[r.account_id] if at < cutoff]
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
