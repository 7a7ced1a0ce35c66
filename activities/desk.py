"""Activities of the DeskSweep workflow."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from arrears.contracts.names import SWEEP_DESK
from arrears.desk.assign import sweep


class DeskActivities:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def all(self) -> list[Callable]:
        return [self.sweep_desk]

    @activity.defn(name=SWEEP_DESK)
    def sweep_desk(self, at: datetime) -> str:
        # Every change is compare-and-set under the desk lock: a retried sweep
        # finds the work done and changes nothing twice.
        return f"{at:%Y-%m-%d %H:%M} UTC: {sweep(self.sessions, at)}"
