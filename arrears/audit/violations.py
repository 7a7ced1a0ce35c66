"""What the auditor's check of the record finds: the rules it reports on, each violation, and the report.

The contacts it judges (``AuditedContact``) are read from the record by arrears.audit.record_check
and judged by the rules of arrears.audit.audit_rules.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from arrears.compliance.gate_record import BASELINE
from arrears.domain.policy import ContactPolicy, MessageKind, Party

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
class AuditedContact:
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


def flag(report: Report, c: AuditedContact, rule: str, detail: str) -> None:
    report.violations.append(
        Violation(
            c.account_id, c.channel if c.party == Party.CONSUMER else f"{c.channel}:{c.party.value}", c.at, rule, detail
        )
    )


def local(at: datetime, zone: str) -> datetime:
    return at.astimezone(ZoneInfo(zone))
