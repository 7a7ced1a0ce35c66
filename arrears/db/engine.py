"""Engines and sessions for SQLite (embedded default) and PostgreSQL."""

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from arrears.config.settings import Settings


def make_engine(url: str, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    """An engine for ``url``; ``pool_size`` and ``max_overflow`` size a server database's connection pool."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            # WAL lets the starter and the worker's activity threads write side by side.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow)


def engine_for(settings: "Settings") -> Engine:
    """The engine the settings describe: ARREARS_DATABASE_URL, ARREARS_DATABASE_POOL_SIZE and _MAX_OVERFLOW."""
    return make_engine(
        settings.database_url, pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
