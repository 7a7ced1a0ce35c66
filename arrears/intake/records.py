"""Writing imported accounts to the record: one INSERT .. ON CONFLICT per batch, built once per dialect."""

from datetime import datetime
from functools import lru_cache

from sqlalchemy import Engine, case, false
from sqlalchemy.dialects import postgresql, sqlite

from arrears.db.models import Account
from arrears.domain.account import AccountRow

_ACCOUNT_COLUMNS = (
    "account_id",
    "customer_name",
    "phone",
    "email",
    "billing_address",
    "language",
    "timezone",
    "risk_segment",
    "currency",
    "contacts",
    "region",
    "created_at",
    "updated_at",
)


@lru_cache(maxsize=2)
def _upsert_statement(dialect_name: str):
    """One INSERT .. ON CONFLICT DO UPDATE per dialect, built once and run over many rows.

    Building a fresh multi-row VALUES statement per batch cost more CPU than
    the database work itself.
    """
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(Account)
    refreshed = {c: stmt.excluded[c] for c in _ACCOUNT_COLUMNS if c not in ("account_id", "created_at")}
    # A number marked wrong by a collector stays blocked until the bank sends a different one.
    refreshed["phone_invalid"] = case((Account.phone == stmt.excluded.phone, Account.phone_invalid), else_=false())
    return stmt.on_conflict_do_update(index_elements=["account_id"], set_=refreshed)


def upsert_accounts(engine: Engine, rows: list[AccountRow], now: datetime) -> None:
    """Insert or refresh contact details (a repeat import updates them)."""
    if not rows:
        return
    values = [
        {
            "account_id": r.account_id,
            "customer_name": r.customer_name,
            "phone": r.phone,
            "email": r.email,
            "billing_address": r.billing_address,
            "language": r.language,
            "timezone": r.timezone,
            "risk_segment": r.risk_segment.value,
            "currency": r.currency,
            "contacts": r.contacts,
            "region": r.region,
            "created_at": now,
            "updated_at": now,
        }
        for r in rows
    ]
    with engine.begin() as conn:
        conn.execute(_upsert_statement(engine.dialect.name), values)
