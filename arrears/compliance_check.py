"""An auditor's check that reads only the system of record: did any contact break the policy?

It does not ask the gate; it recomputes each rule from the stored contacts,
tasks, outcomes, holds and consents, so a gate bug (or a contact that went
around the gate) shows up as a violation. `arrears compliance check` runs it;
the test suite runs it over a simulated portfolio.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.compliance import BASELINE, NOT_ATTEMPTED_PREFIXES
from arrears.db.models import Account, CollectorTask, Consent, ContactAttempt, ContactOutcomeRecord, Hold
from arrears.domain.geo import possible_zones, zone_country
from arrears.domain.holds import ContactEffect, HoldType, rule_for
from arrears.domain.policy import CONVERSATION_OUTCOMES, WEEKDAYS, ContactPolicy, is_working_day


@dataclass(frozen=True)
class Violation:
    account_id: str
    channel: str
    at: datetime
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.account_id} {self.channel} at {self.at:%Y-%m-%d %H:%M} UTC: {self.rule}: {self.detail}"


@dataclass(frozen=True)
class _Contact:
    account_id: str
    channel: str
    at: datetime
    address: str
    template: str | None


def _contacts(session: Session, accounts: dict[str, Account]) -> list[_Contact]:
    found = []
    for c in session.scalars(select(ContactAttempt)):
        if not c.result.startswith(NOT_ATTEMPTED_PREFIXES):
            found.append(_Contact(c.account_id, c.channel, c.attempted_at, c.recipient, c.template))
    for t in session.scalars(select(CollectorTask).where(CollectorTask.kind.in_(("call", "visit")))):
        account = accounts.get(t.account_id)
        address = account.phone if account and t.kind == "call" else (account.billing_address if account else "")
        found.append(_Contact(t.account_id, t.kind, t.due_at, address, None))
    return found


def find_violations(session: Session, policy: ContactPolicy | None) -> list[Violation]:
    policy = policy or BASELINE
    accounts = {a.account_id: a for a in session.scalars(select(Account))}
    contacts = _contacts(session, accounts)
    holds = defaultdict(list)
    for h in session.scalars(select(Hold)):
        holds[h.account_id].append(h)
    opt_outs = defaultdict(list)
    for c in session.scalars(select(Consent).where(Consent.status.in_(("opted_out", "invalid")))):
        opt_outs[c.account_id].append(c)
    talks = defaultdict(list)
    for outcome, at, account_id in session.execute(
        select(ContactOutcomeRecord.outcome, ContactOutcomeRecord.recorded_at, ContactOutcomeRecord.account_id)
    ):
        if outcome in CONVERSATION_OUTCOMES:
            talks[account_id].append(at)
    by_account = defaultdict(list)
    for c in contacts:
        by_account[(c.account_id, c.channel)].append(c.at)

    problems: list[Violation] = []
    for c in contacts:
        account = accounts.get(c.account_id)
        if account is None:
            problems.append(Violation(c.account_id, c.channel, c.at, "unknown_account", "contact with no account"))
            continue
        problems.extend(_check(c, account, policy, holds[c.account_id], opt_outs[c.account_id], talks[c.account_id],
                               sorted(by_account[(c.account_id, c.channel)])))
    return problems


def _check(c: _Contact, account: Account, policy: ContactPolicy, holds, opt_outs, talks, same_channel) -> list[Violation]:
    out = []
    window = policy.window(c.channel)
    country = zone_country(account.timezone) or policy.holiday_country
    for zone in possible_zones(account.timezone, account.phone, c.channel):
        local = c.at.astimezone(ZoneInfo(zone))
        if not (window.start <= local.time() < window.end) or WEEKDAYS[local.weekday()] not in window.days:
            out.append(Violation(c.account_id, c.channel, c.at, "contact_window", f"{local:%a %H:%M} in {zone}"))
        if window.working_days_only and not is_working_day(local.date(), country):
            out.append(Violation(c.account_id, c.channel, c.at, "non_working_day", f"{local.date()} in {country}"))
    cap = policy.caps.get(c.channel)
    if cap is not None:
        tz = ZoneInfo(account.timezone)
        if cap.per_day is not None:
            same_day = [t for t in same_channel if t.astimezone(tz).date() == c.at.astimezone(tz).date() and t <= c.at]
            if len(same_day) > cap.per_day:
                out.append(Violation(c.account_id, c.channel, c.at, "frequency_cap", f"{len(same_day)} that day"))
        if cap.per_window is not None and cap.window_days is not None:
            span = timedelta(days=cap.window_days)
            recent = [t for t in same_channel if c.at - span < t <= c.at]
            if len(recent) > cap.per_window:
                out.append(Violation(c.account_id, c.channel, c.at, "frequency_cap", f"{len(recent)} in {cap.window_days} days"))
    if c.channel == "call" and policy.call_quiet_days_after_conversation:
        quiet = timedelta(days=policy.call_quiet_days_after_conversation)
        if any(t < c.at < t + quiet for t in talks):
            out.append(Violation(c.account_id, c.channel, c.at, "after_conversation", "call within the quiet period"))
    for h in holds:
        ended = h.released_at or (h.expires_at if h.expires_at else None)
        if not (h.placed_at <= c.at and (ended is None or c.at < ended)):
            continue
        effect = rule_for(HoldType(h.hold_type)).contact
        if effect in (ContactEffect.NONE, ContactEffect.ATTORNEY_ONLY) or (
            effect == ContactEffect.CHANNEL and h.channel == c.channel
        ) or (effect == ContactEffect.NOTICES_ONLY and c.template not in policy.notices_allowed_under_cease):
            out.append(Violation(c.account_id, c.channel, c.at, f"hold:{h.hold_type}", f"hold {h.hold_id} active"))
    for o in opt_outs:
        if o.channel == c.channel and o.address == c.address and o.recorded_at <= c.at:
            out.append(Violation(c.account_id, c.channel, c.at, "opt_out", f"{o.status} since {o.recorded_at:%Y-%m-%d}"))
    return out
