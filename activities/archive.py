"""The HistoryArchiver's activity: it reads histories from Temporal and writes the record."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.client import Client

from arrears.audit.archive import archive_closed
from arrears.contracts.names import ARCHIVE_HISTORIES


class ArchiveActivities:
    def __init__(self, client: Client, sessions: sessionmaker[Session]) -> None:
        self.client = client
        self.sessions = sessions

    def all(self) -> list[Callable]:
        return [self.archive_histories]

    @activity.defn(name=ARCHIVE_HISTORIES)
    async def archive_histories(self, at: datetime) -> str:
        # Each run is stored once under a unique (workflow_id, run_id): a retried
        # round skips what an earlier attempt stored.
        report = await archive_closed(self.client, self.sessions, at)
        return f"{at:%Y-%m-%d %H:%M} UTC: {report}"
