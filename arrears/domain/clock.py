"""The episode clock: how a workflow's real time maps to collection time.

A production episode runs on real days (``day_seconds = 86400``) and the two
clocks coincide. A demo or simulation compresses days: from the anchor on,
every ``day_seconds`` of real time count as one collection day. The ladder is
always computed in collection ("virtual") time; only the waits are scaled.
"""

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

DAY = 86_400


class EpisodeClock(BaseModel):
    anchor_real: datetime
    anchor_virtual: datetime
    day_seconds: float = Field(default=DAY, gt=0)

    @property
    def speed(self) -> float:
        return DAY / self.day_seconds

    def virtual(self, real: datetime) -> datetime:
        if self.day_seconds == DAY:
            return real
        return self.anchor_virtual + (real - self.anchor_real) * self.speed

    def real_delay(self, virtual_now: datetime, virtual_target: datetime) -> timedelta:
        """How long to wait in real time until the virtual target; zero if passed."""
        delta = virtual_target - virtual_now
        if delta <= timedelta(0):
            return timedelta(0)
        return delta if self.day_seconds == DAY else delta / self.speed
