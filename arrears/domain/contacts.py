"""Contact persons: who may be approached, and only to locate the cardholder.

An account's ``contacts`` (from the import file) list people the cardholder
named: ``{"name": ..., "relationship": ..., "phone": ...}``. Only someone with
a stated relationship to the cardholder and a phone is ever approached, and
only with a message that does not mention the debt (Regulation F 1006.6(d),
1006.10; 商业银行信用卡业务监督管理办法 art. 68). Anyone marked unrelated, or
without a relationship, is never contacted.
"""

from dataclasses import dataclass
from typing import Any

RELATIONSHIPS = frozenset(
    {"guarantor", "spouse", "parent", "child", "sibling", "relative", "friend", "colleague", "employer"}
)


@dataclass(frozen=True)
class ContactPerson:
    name: str
    relationship: str
    phone: str


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
