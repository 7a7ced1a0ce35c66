"""Temporal workflows: deterministic, no I/O; decisions come from arrears.domain."""

from workflows.account_collection import AccountCollection
from workflows.desk_sweep import DeskSweep

WORKFLOWS = [AccountCollection, DeskSweep]
