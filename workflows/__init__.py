"""Temporal workflows: deterministic, no I/O; decisions come from arrears.domain."""

from workflows.collection.workflow import AccountCollection
from workflows.account_recovery import AccountRecovery
from workflows.bureau_cycle import BureauCycle
from workflows.desk_sweep import DeskSweep
from workflows.history_archiver import HistoryArchiver
from workflows.risk_rescore import RiskRescore

WORKFLOWS = [AccountCollection, AccountRecovery, BureauCycle, DeskSweep, HistoryArchiver, RiskRescore]
