"""Column types that keep money exact on every backend."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class Money(TypeDecorator[Decimal]):
    """NUMERIC(20, 4) where the database has it; text on SQLite.

    SQLite has no decimal type and SQLAlchemy would round-trip through a
    float there, so the exact decimal string is stored instead.
    """

    impl = Numeric(20, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(20, 4, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be Decimal, got {type(value).__name__}")
        # The same refusal on every backend: PostgreSQL would round a fifth decimal away
        # silently and fail on overflow, SQLite would store either as text.
        _fits(value)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value) if isinstance(value, str) else value


def _fits(value: Decimal) -> None:
    from arrears.domain.bounds import MONEY_MAX, MONEY_SCALE, decimals

    if not value.is_finite() or abs(value) > MONEY_MAX or decimals(value) > MONEY_SCALE:
        raise ValueError(
            f"amount does not fit NUMERIC(20, {MONEY_SCALE}): at most {MONEY_SCALE} decimals "
            f"and {MONEY_MAX} in absolute value"
        )


class UtcDateTime(TypeDecorator[datetime]):
    """An aware timestamp stored as UTC on every backend.

    SQLite keeps no offset: a 10:00+08:00 written as is would read back as
    10:00 with no zone, eight hours off. Values are converted to UTC on the way
    in (naive ones are refused) and marked UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp without a time zone: {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
