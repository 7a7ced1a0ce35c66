"""The BureauCycle's activity: report one month to the credit bureau from the system of record."""

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from arrears.bureau.cycle import configured, run_cycle, summary_of
from arrears.contracts.housekeeping import BureauCycleRequest, BureauCycleSummary
from arrears.contracts.names import RUN_BUREAU_CYCLE


class BureauActivities:
    def __init__(self, sessions: sessionmaker[Session], out_dir: Path, institution: str, strategy_path: Path) -> None:
        self.sessions = sessions
        self.out_dir = out_dir
        self.institution = institution
        self.strategy_path = strategy_path

    def all(self) -> list[Callable]:
        return [self.run_bureau_cycle]

    @activity.defn(name=RUN_BUREAU_CYCLE)
    def run_bureau_cycle(self, request: BureauCycleRequest) -> BureauCycleSummary:
        # A period is recorded once (unique per account and period) and its file rewritten from
        # that record: a retried or repeated run reports nothing twice. A strategy file that does
        # not load fails the attempt; Temporal retries it until the file is fixed.
        policy, pricing = configured(self.strategy_path)
        result = run_cycle(
            self.sessions,
            request.period,
            self.out_dir,
            policy,
            now=request.at,
            institution=self.institution,
            pricing=pricing,
        )
        summary = summary_of(result)
        activity.logger.info("bureau cycle %s", summary.line())
        return summary
