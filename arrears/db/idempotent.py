"""Insert a row once under its unique key, inside the caller's transaction.

A retried activity, or two attempts racing, must find the row already written
instead of failing or writing it twice. The insert runs in a SAVEPOINT: a
duplicate rolls back that insert alone, so the caller's transaction (and what it
wrote before) stays usable, and the row on record is returned instead.
"""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

Row = TypeVar("Row")
Found = TypeVar("Found")


def insert_once(session: Session, row: Row, *, existing: Callable[[], Found | None]) -> tuple[Row | Found, bool]:
    """``(row, True)`` once ``row`` is inserted; ``(what existing found, False)`` when the key is on record.

    ``existing`` looks the row up by the same unique key, in ``session`` (the row itself, or the
    caller's answer built from it). It is asked first (a retry costs one read) and again after a
    unique violation (a concurrent attempt committed first). A violation it cannot explain (a
    missing parent row, another constraint) is raised: to be retried, never taken as done.
    """
    found = existing()
    if found is not None:
        return found, False
    # Only this row in the savepoint: what the caller added before is flushed outside it, and a
    # duplicate does not take it back.
    session.flush()
    _begin_outer(session)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        found = existing()
        if found is None:
            raise
        return found, False
    return row, True


def _begin_outer(session: Session) -> None:
    # pysqlite opens a transaction only before an INSERT/UPDATE/DELETE. A SAVEPOINT issued first
    # opens one in SQLite itself, and its RELEASE then commits everything so far: the insert would
    # be committed even if the caller's transaction later rolled back.
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN")
