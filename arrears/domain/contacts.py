"""Contact persons: who may be approached, and about what.

An account's ``contacts`` (from the import file) list people the cardholder
named: ``{"name": ..., "relationship": ..., "phone": ...}``. Only someone with
a stated relationship to the cardholder and a phone is ever approached, and
by default only with a message that does not mention the debt (Regulation F
1006.6(d), 1006.10(b)(2); 商业银行信用卡业务监督管理办法 art. 68). Anyone marked
unrelated, or without a relationship, is never contacted.

A ``guarantor`` is the one relationship a preset may treat differently: art. 68
names the cardholder and the guarantor as the people a bank may ask to pay, so
under ``cn-bank`` a guarantor step may raise the debt with them
(``ContactPolicy.guarantor``). Under ``us-regf`` a guarantor is a contact person
like any other.
"""

from dataclasses import dataclass
from typing import Any

from arrears.domain.policy import Party

GUARANTOR = "guarantor"
RELATIONSHIPS = frozenset(
    {GUARANTOR, "spouse", "parent", "child", "sibling", "relative", "friend", "colleague", "employer"}
)


@dataclass(frozen=True)
class ContactPerson:
    name: str
    relationship: str
    phone: str

    @property
    def party(self) -> Party:
        return Party.GUARANTOR if self.relationship == GUARANTOR else Party.THIRD_PARTY


def locatable_persons(contacts: Any) -> list[ContactPerson]:
    if not isinstance(contacts, list):
        return []
    found = []
    for entry in contacts:
        if not isinstance(entry, dict):
            continue
        relationship = str(entry.get("relationship") or "").strip().lower()
        phone = str(entry.get("phone") or "").strip()
        if relationship in RELATIONSHIPS and phone:
            found.append(ContactPerson(str(entry.get("name") or "").strip(), relationship, phone))
    return found


def guarantors(contacts: Any) -> list[ContactPerson]:
    return [p for p in locatable_persons(contacts) if p.party == Party.GUARANTOR]
