"""One lock for every change of who works what.

Assignment reads every collector's open load and then writes a choice; two
assigners reading the same loads at once would both pick the same "least
loaded" collector, and a reassignment racing an assignment could hand one
task to two people. Every desk-writing transaction therefore takes this lock
first: on PostgreSQL the roster rows, locked in one order (so two
transactions never deadlock); on SQLite the database's write lock, taken at
the start of the transaction instead of at its first write.
"""

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from arrears.db.models import Collector


def lock_desk(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.flush()
        raw = session.connection().connection.dbapi_connection
        # Python's sqlite3 opens a transaction at the first write: if one has been
        # written already the write lock is held; otherwise take it now, before reading.
        if raw is not None and not raw.in_transaction:
            session.execute(text("BEGIN IMMEDIATE"))
        return
    session.execute(select(Collector.collector_id).order_by(Collector.collector_id).with_for_update())
