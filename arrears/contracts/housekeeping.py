"""Wire types of the service workflows: desk sweep, history archiver, bureau cycle, risk rescore."""

from pydantic import BaseModel, Field

# Records the episode keeps (they live in the domain, where the agenda reads them).
from arrears.domain.bounds import (
    AccountId,
    Code32,
    Count,
    Detail,
    Interval,
    Line80,
    Line500,
    Moment,
    Period,
    PositiveCount,
    Ref500,
    SaneDate,
)


class SweepInput(BaseModel):
    every_seconds: Interval = Field(gt=0)
    # Rounds per run before continuing as new, keeping each run's history short.
    rounds_per_run: PositiveCount = 100


class ArchiverInput(BaseModel):
    every_seconds: Interval = Field(gt=0)
    rounds_per_run: PositiveCount = 100


class BureauCycleInput(BaseModel):
    # Day of the month the previous month is reported, at 00:00 UTC (see reporting_moment).
    report_day: int = Field(default=2, ge=2, le=28)
    # The next period to report (YYYY-MM); None on a first start: last month.
    next_period: Period | None = None
    # Periods per run before continuing as new: a year of history per run.
    periods_per_run: PositiveCount = 12
    # The last report's summary, carried across continue-as-new for `arrears bureau schedule`.
    last_report: Detail | None = None


class BureauCycleRequest(BaseModel):
    period: Period
    at: Moment


class BureauCycleSummary(BaseModel):
    period: Period
    accounts: Count
    withheld: Count
    corrections: Count
    file: Ref500
    created: bool  # False: the period had been reported already; its file was written again from the record

    def line(self) -> str:
        again = "" if self.created else " (already reported: file written again from the record)"
        return (
            f"{self.period}: {self.accounts} account(s), {self.withheld} withheld pending notice, "
            f"{self.corrections} correction(s) -> {self.file}{again}"
        )


class RescoreInput(BaseModel):
    # Calendar: on this day of each month at 00:00 UTC every open episode is rescored ...
    rescore_day: int = Field(default=1, ge=1, le=28)
    # ... or, when set, every this many hours instead (a period is then one interval).
    every_hours: float | None = Field(default=None, gt=0, le=24 * 31)
    # How often the record is searched for events that call for rescoring one episode.
    events_every_minutes: float = Field(default=15, gt=0, le=24 * 60)
    episodes_per_page: int = Field(default=500, ge=1, le=10_000)
    # Rounds per run before continuing as new, keeping each run's history short.
    rounds_per_run: PositiveCount = 200
    done_period: Code32 | None = None  # the last period rescored (carried across continue-as-new)
    last_summary: Line500 | None = None


class RescorePageRequest(BaseModel):
    period: Code32
    as_of: SaneDate  # the day features are computed for (data before it)
    after_account: AccountId | None = None  # the page starts after this account id
    limit: PositiveCount = 500
    at: Moment


class RescorePageResult(BaseModel):
    period: Code32
    scored: Count
    changed: Count
    sent: Count
    overridden: Count
    failed: list[Line500] = []  # "account: why" for updates the episode refused
    next_after: AccountId | None  # None: the last page
    model_version: Line80 | None = None  # None: no active model; nothing was scored


class RescoreEventsRequest(BaseModel):
    as_of: SaneDate
    at: Moment
    limit: PositiveCount = 500


class RescoreEventsResult(BaseModel):
    events: Count
    scored: Count
    changed: Count
    sent: Count
    failed: list[Line500] = []
