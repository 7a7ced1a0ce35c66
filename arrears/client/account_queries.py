"""Reading the blacklist and legal cases for other systems (CLI and API); nothing here writes."""

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.db.models import Account, BlacklistEntryRecord, LegalCaseEvent, LegalCaseRecord
from arrears.domain.blacklist import BlacklistCheck, BlacklistEntry, BlacklistPurpose, is_blocked
from arrears.domain.delinquency import local_date


def entries_for(session: Session, account_id: str) -> list[BlacklistEntryRecord]:
    return list(
        session.scalars(
            select(BlacklistEntryRecord)
            .where(BlacklistEntryRecord.account_id == account_id)
            .order_by(BlacklistEntryRecord.listed_from, BlacklistEntryRecord.id)
        )
    )


def as_entry(row: BlacklistEntryRecord) -> BlacklistEntry:
    return BlacklistEntry(
        reason=row.reason,
        listed_from=row.listed_from,
        listed_until=row.listed_until,
        blocks=tuple(BlacklistPurpose(p) for p in row.blocks),
    )


def account_today(session: Session, account_id: str, now: datetime) -> date:
    """Today on the account's own calendar (UTC for an account not on record)."""
    account = session.get(Account, account_id)
    return local_date(now, account.timezone if account else "UTC")


def check_blacklist(session: Session, account_id: str, on: date, purpose: BlacklistPurpose | str) -> BlacklistCheck:
    return is_blocked([as_entry(r) for r in entries_for(session, account_id)], on, purpose)


def cases_for(session: Session, account_id: str) -> list[tuple[LegalCaseRecord, list[LegalCaseEvent]]]:
    cases = session.scalars(
        select(LegalCaseRecord).where(LegalCaseRecord.account_id == account_id).order_by(LegalCaseRecord.id)
    )
    return [
        (
            case,
            list(
                session.scalars(
                    select(LegalCaseEvent).where(LegalCaseEvent.case_id == case.id).order_by(LegalCaseEvent.id)
                )
            ),
        )
        for case in cases
    ]
