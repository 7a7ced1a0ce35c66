"""The declarative base every table derives from; its metadata is what Alembic compares migrations with."""

from datetime import datetime

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arrears.db.types import UtcDateTime


class Base(DeclarativeBase):
    pass


def _ts() -> Mapped[datetime]:
    return mapped_column(UtcDateTime)
