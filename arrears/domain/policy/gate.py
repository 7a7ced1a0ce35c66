"""The gate's rules, one function each, and ``decide``, which asks them in order."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from arrears.domain.holds import ContactEffect, HoldType, rule_for
from arrears.domain.policy.contact_policy import (
    AGENCY_BLOCKING_EFFECTS,
    AGENCY_CHANNEL,
    CHANNELS,
    ELECTRONIC,
    LEGALLY_REQUIRED,
    MAX_DEFERRAL,
    NOT_COLLECTION,
    WEEKDAYS,
    Cap,
    ContactPolicy,
    MessageKind,
    Party,
    Window,
)
from arrears.domain.policy.inputs import (
    CallConsent,
    Decision,
    GateContext,
    PastContact,
    Preference,
    Proposed,
    Verdict,
    is_working_day,
)

# ---- the rules ----------------------------------------------------------------------


def _local_date(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def _midnight(day: date, zone: str, like: datetime) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone)).astimezone(like.tzinfo)


def _party_decision(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision | None:
    """Who may be told what: contact persons only where the cardholder is, a guarantor per preset."""
    party = p.party
    if party == Party.GUARANTOR and policy.guarantor.about_debt and p.kind != MessageKind.LOCATION:
        if p.template not in policy.guarantor.templates:
            allowed = ", ".join(policy.guarantor.templates) or "none"
            return Decision(
                Verdict.SUPPRESS,
                "guarantor_content",
                f"{p.template or p.channel} is not a guarantor template under {policy.preset} (allowed: {allowed})",
            )
        if ctx.third_party_contacts >= policy.guarantor.max_contacts:
            return Decision(
                Verdict.SUPPRESS,
                "guarantor_limit",
                f"this guarantor was messaged {ctx.third_party_contacts} time(s); the limit is "
                f"{policy.guarantor.max_contacts}",
            )
        return None
    if party in (Party.THIRD_PARTY, Party.GUARANTOR):
        # 1006.10(b)(2): a location communication must not state that the consumer owes a debt;
        # art. 68: no collection from people unrelated to the debt. Only allow-listed templates.
        if p.kind != MessageKind.LOCATION or p.template not in policy.third_party_templates:
            allowed = ", ".join(policy.third_party_templates) or "none"
            return Decision(
                Verdict.SUPPRESS,
                "third_party_content",
                f"{p.template or p.kind.value} is not a third-party-safe template under {policy.preset} "
                f"(allowed: {allowed}): a contact person is never told about the debt",
            )
        if ctx.third_party_contacts >= policy.third_party_max_contacts:
            return Decision(
                Verdict.SUPPRESS,
                "third_party_limit",
                f"this contact person was reached {ctx.third_party_contacts} time(s); the limit is "
                f"{policy.third_party_max_contacts}",
            )
    return None


def _hold_decision(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision | None:
    for hold in ctx.holds:
        rule = rule_for(hold.hold_type)
        name = f"hold:{hold.hold_type.value}"
        if p.party == Party.AGENCY:
            # The agency contacts the customer on the bank's behalf: no placement under a hold that stops
            # contact. Telling a placed agency about the hold is what the hold needs, never stopped.
            if p.kind == MessageKind.AGENCY_PLACEMENT and rule.contact in AGENCY_BLOCKING_EFFECTS:
                return Decision(
                    Verdict.SUPPRESS, name, f"{hold.hold_type.value} hold: not placed with an agency ({rule.why})"
                )
            continue
        if rule.contact == ContactEffect.NONE:
            if hold.hold_type == HoldType.DISPUTE and p.kind == MessageKind.DISPUTE_VERIFICATION:
                continue  # the verification is what ends the dispute hold (1006.38(d)(2))
            return Decision(Verdict.SUPPRESS, name, f"{hold.hold_type.value} hold: no contact ({rule.why})")
        if rule.contact == ContactEffect.NOTICES_ONLY and (p.template not in policy.notices_allowed_under_cease):
            return Decision(
                Verdict.SUPPRESS,
                name,
                f"cease-contact hold: {p.template or p.channel} is not a permitted notice ({rule.why})",
            )
        if rule.contact == ContactEffect.CHANNEL and hold.channel == p.channel:
            return Decision(
                Verdict.SUPPRESS, name, f"complaint about {p.channel}: channel closed while it is investigated"
            )
        if rule.contact == ContactEffect.ATTORNEY_ONLY:
            return Decision(
                Verdict.SUPPRESS, name, f"represented by an attorney: contact the attorney only ({rule.why})"
            )
    return None


def _owed_decision(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision | None:
    """Collection waits for what the consumer is owed first: the verification, the validation notice."""
    if p.party != Party.CONSUMER or p.kind in NOT_COLLECTION:
        return None
    if ctx.verification_owed:
        if ctx.verification_until is not None and ctx.verification_until >= p.at:
            return Decision(
                Verdict.DEFER,
                "verification_owed",
                f"{p.channel} waits for the verification of the dispute, due to go first (12 CFR 1006.38(d)(2))",
                until=ctx.verification_until + timedelta(minutes=1),
            )
        return Decision(
            Verdict.SUPPRESS,
            "verification_owed",
            "a dispute was released as verified but no verification was sent: collection stays stopped "
            "until it is (12 CFR 1006.38(d)(2))",
        )
    if ctx.validation_pending and p.kind != MessageKind.VALIDATION_NOTICE:
        if ctx.validation_until is not None and ctx.validation_until >= p.at:
            return Decision(
                Verdict.DEFER,
                "validation_notice_pending",
                f"{p.channel} waits for the validation notice, due to go first (12 CFR 1006.34)",
                until=ctx.validation_until + timedelta(minutes=1),
            )
        return Decision(
            Verdict.SUPPRESS,
            "validation_notice_pending",
            f"no validation notice has gone out in this episode: no {p.channel} before it (12 CFR 1006.34)",
        )
    return None


def _covering(prefs: tuple[Preference, ...], channel: str, address: str) -> Preference | None:
    """The latest record about this address or its whole medium."""
    found = [x for x in prefs if x.channel == channel and (x.address is None or x.address == address)]
    return max(found, key=lambda x: x.at, default=None)


def _address_decision(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision | None:
    if p.party == Party.AGENCY:
        return None
    if p.address and p.address in ctx.invalid_addresses and p.kind not in LEGALLY_REQUIRED:
        return Decision(Verdict.SUPPRESS, "address_invalid", f"the {p.channel} address is known to be invalid")
    if p.kind in LEGALLY_REQUIRED:
        return None  # 1006.14(h)(2)(iii): a medium the person asked us not to use, where the law requires it
    latest = _covering(ctx.preferences, p.channel, p.address)
    medium_wide = latest is not None and latest.address is None
    blocked = (latest is not None and latest.status == "opted_out") or (p.channel, p.address) in ctx.opted_out
    if not blocked:
        return None
    if p.kind == MessageKind.OPT_OUT_CONFIRMATION:
        if p.channel in ELECTRONIC and latest is not None and latest.status == "opted_out" and not latest.confirmed:
            return None  # 1006.14(h)(2)(i): one confirmation, and nothing else in it
        return Decision(Verdict.SUPPRESS, "opt_out", f"{p.channel} opt-out already confirmed (or not electronic)")
    where = "any address (the whole medium)" if medium_wide else "this address"
    return Decision(Verdict.SUPPRESS, "opt_out", f"the person asked not to be contacted by {p.channel} at {where}")


def _window_earliest(at: datetime, window: Window, zone: str, country: str) -> datetime:
    """The earliest moment at or after ``at`` inside the window in ``zone`` (its end included)."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    day = local.date()
    for _ in range(370):
        ok_day = WEEKDAYS[day.weekday()] in window.days and (
            not window.working_days_only or is_working_day(day, country)
        )
        if ok_day:
            start = datetime.combine(day, window.start, tzinfo=tz)
            end = datetime.combine(day, window.end, tzinfo=tz)
            if local <= end:
                candidate = max(local, start)
                # A wall time that does not exist (a DST gap) resolves forward through UTC.
                return candidate.astimezone(at.tzinfo)
        day += timedelta(days=1)
        local = datetime.combine(day, time(0, 0), tzinfo=tz)
    raise ValueError(f"no permitted day within a year for {window}")


def _in_window(at: datetime, window: Window, zone: str, country: str) -> bool:
    return _window_earliest(at, window, zone, country) == at


def consent_covers(consent: CallConsent, at: datetime, conversations: list[datetime], zone: str, days: int) -> bool:
    """Whether a call at ``at`` is placed under this prior consent (1006.14(b)(3)(i), comment 14(b)(3)(i)-2)."""
    if at < consent.received_at:
        return False
    if consent.valid_from is not None and at < consent.valid_from:
        return False
    if consent.valid_until is not None and at >= consent.valid_until:
        return False
    if _local_date(at, zone) >= _local_date(consent.received_at, zone) + timedelta(days=days):
        return False
    # A telephone conversation about the debt after it was given ends it.
    return not any(consent.received_at < talk < at for talk in conversations)


def _conversations(history: tuple[PastContact, ...]) -> list[datetime]:
    return sorted(h.at for h in history if h.conversation)


def _consented(at: datetime, ctx: GateContext, policy: ContactPolicy) -> bool:
    talks = _conversations(ctx.history)
    return any(consent_covers(c, at, talks, ctx.zones[0], policy.consent_days) for c in ctx.consents)


def _counted(h: PastContact, channel: str, ctx: GateContext, policy: ContactPolicy) -> bool:
    """Whether an earlier contact counts toward the channel's frequency."""
    if h.channel != channel:
        return False
    if channel == "call":
        if not h.connected:
            return False  # 1006.14(b)(3)(ii)
        if h.address and h.address in ctx.invalid_addresses:
            return False  # comment 14(b)(2)(i)-3: calls to a number found not to be the person's
        if _consented(h.at, ctx, policy):
            return False  # 1006.14(b)(3)(i)
    return True


def _cap_earliest(at: datetime, channel: str, cap: Cap, ctx: GateContext, policy: ContactPolicy) -> datetime:
    """The earliest moment at or after ``at`` at which one more contact stays within the cap.

    Days are the account's local calendar days: "seven times within seven consecutive days"
    lets the eighth call go on the eighth day at any permitted hour (comment 14(b)(2)(i)-1.i)."""
    zone = ctx.zones[0]
    days = sorted(_local_date(h.at, zone) for h in ctx.history if _counted(h, channel, ctx, policy))
    candidate = at
    for _ in range(100):
        moved = candidate
        today = _local_date(candidate, zone)
        if cap.per_day is not None and sum(1 for d in days if d == today) >= cap.per_day:
            moved = _midnight(today + timedelta(days=1), zone, at)
        if cap.per_window is not None and cap.window_days is not None:
            span = timedelta(days=cap.window_days)
            recent = sorted((d for d in days if today - span < d <= today), reverse=True)
            if len(recent) >= cap.per_window:
                # The first day on which fewer than per_window of them lie in the window.
                moved = max(moved, _midnight(recent[cap.per_window - 1] + span, zone, at))
        if moved == candidate:
            return candidate
        candidate = moved
    return candidate


def _quiet_earliest(at: datetime, ctx: GateContext, days: int) -> datetime:
    """No call within ``days`` consecutive days after a conversation, its date the first of them."""
    zone = ctx.zones[0]
    talks = [h.at for h in ctx.history if h.conversation and h.at <= at]
    if not talks:
        return at
    return max(at, _midnight(_local_date(max(talks), zone) + timedelta(days=days), zone, at))


def earliest_permitted(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> tuple[datetime, str, str]:
    """The first moment at or after ``p.at`` that every time rule allows, and the rule that moved it first."""
    country = ctx.country or policy.holiday_country
    window = policy.window(p.channel)
    frequency_applies = p.party == Party.CONSUMER and p.kind not in (
        LEGALLY_REQUIRED | {MessageKind.OPT_OUT_CONFIRMATION}
    )
    cap = policy.caps.get(p.channel) if frequency_applies else None
    quiet = policy.call_quiet_days_after_conversation if frequency_applies and p.channel == "call" else None
    candidate = p.at
    first_rule, first_detail = "", ""
    for _ in range(200):
        before = candidate
        for zone in ctx.zones:
            moved = _window_earliest(candidate, window, zone, country)
            if moved != candidate and not first_rule:
                local = candidate.astimezone(ZoneInfo(zone))
                if window.working_days_only and not is_working_day(local.date(), country):
                    first_rule, first_detail = "non_working_day", f"{local:%Y-%m-%d} is not a working day in {country}"
                else:
                    first_rule = "contact_window"
                    first_detail = (
                        f"{local:%a %H:%M} in {zone} is outside {p.channel} hours "
                        f"{window.start:%H:%M}-{window.end:%H:%M} on {','.join(window.days)}"
                    )
            candidate = moved
        consented = p.channel == "call" and _consented(candidate, ctx, policy)
        if cap is not None and not consented:
            moved = _cap_earliest(candidate, p.channel, cap, ctx, policy)
            if moved != candidate and not first_rule:
                first_rule = "frequency_cap"
                first_detail = f"{p.channel} cap reached ({_describe_cap(cap)})"
            candidate = moved
        if quiet and not consented:
            moved = _quiet_earliest(candidate, ctx, quiet)
            if moved != candidate and not first_rule:
                first_rule = "after_conversation"
                first_detail = (
                    f"no call within {quiet} consecutive days after a telephone conversation "
                    f"(its date the first of them)"
                )
            candidate = moved
        if candidate == before:
            return candidate, first_rule, first_detail
    return candidate, first_rule, first_detail


def _describe_cap(cap: Cap) -> str:
    parts = []
    if cap.per_day is not None:
        parts.append(f"{cap.per_day} per day")
    if cap.per_window is not None:
        parts.append(f"{cap.per_window} in {cap.window_days} consecutive days")
    return ", ".join(parts)


def decide(p: Proposed, ctx: GateContext, policy: ContactPolicy) -> Decision:
    """Allow, defer (until the next permitted moment) or suppress one proposed contact."""
    if p.channel not in CHANNELS and not (p.party == Party.AGENCY and p.channel == AGENCY_CHANNEL):
        raise ValueError(f"unknown channel {p.channel!r}")
    inputs = {
        "channel": p.channel,
        "proposed_at": p.at.isoformat(),
        "template": p.template,
        "party": p.party.value,
        "kind": p.kind.value,
        "address": p.address,
        "zones": list(ctx.zones),
        "country": ctx.country or policy.holiday_country,
        "holds": [h.hold_type.value for h in ctx.holds],
        "history_same_channel": sum(1 for h in ctx.history if h.channel == p.channel),
        "consents": len(ctx.consents),
        "validation_pending": ctx.validation_pending,
        "verification_owed": ctx.verification_owed,
        "preset": policy.preset,
    }
    for check in (_party_decision, _hold_decision, _owed_decision, _address_decision):
        found = check(p, ctx, policy)
        if found is not None:
            return Decision(found.verdict, found.rule, found.detail, until=found.until, inputs=inputs)
    if p.party == Party.AGENCY:
        # Between the bank and its agent: no consumer hours apply.
        return Decision(Verdict.ALLOW, "permitted", f"{p.kind.value} to the agency", inputs=inputs)
    when, rule, detail = earliest_permitted(p, ctx, policy)
    if when == p.at:
        return Decision(Verdict.ALLOW, "permitted", f"{p.channel} within hours, caps and holds", inputs=inputs)
    if when - p.at > MAX_DEFERRAL:
        return Decision(
            Verdict.SUPPRESS,
            "no_permitted_time",
            f"no permitted moment within {MAX_DEFERRAL.days} days ({detail})",
            inputs=inputs,
        )
    return Decision(Verdict.DEFER, rule, detail, until=when, inputs=inputs)
