"""Temporal workflows: deterministic, no I/O; decisions come from arrears.domain.

- collection/  AccountCollection, one per delinquency episode, on the agenda engine
- recovery/    AccountRecovery, what continues after a charge-off; the episode's
               ``start_recovery`` activity starts it (it has no parent workflow)
- shared.py    what both share: activity options, typed refusals, placement and
               settlement commands
- legacy/      the first collection engine, frozen, for episodes started before the agenda
- bureau_cycle.py, desk_sweep.py, history_archiver.py, risk_rescore.py: one instance
  per namespace each, on a schedule of its own
"""

from workflows.bureau_cycle import BureauCycle
from workflows.collection.workflow import AccountCollection
from workflows.desk_sweep import DeskSweep
from workflows.history_archiver import HistoryArchiver
from workflows.recovery import AccountRecovery
from workflows.risk_rescore import RiskRescore

WORKFLOWS = [AccountCollection, AccountRecovery, BureauCycle, DeskSweep, HistoryArchiver, RiskRescore]
