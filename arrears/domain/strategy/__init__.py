"""The collection strategy: the escalation ladder as data.

A strategy file (TOML or YAML) lists steps: at which DPD, which action, for
which risk segments, at what local time, optionally repeating. Parsing it
validates every field; a bad file is refused with the field and the problem
named (``steps[3].at: ...``). Reading the file is arrears.config.strategies's.

steps: actions, segments, one step; terms: promises, settlements, plans, the
desk, holds; triggers: over-limit and early-warning ladders; model: the
Strategy and its experiment; parsing: data to a checked Strategy.
"""

from arrears.domain.strategy.model import ARM_NAME, CHAMPION, Experiment, ExperimentArm, Strategy
from arrears.domain.strategy.parsing import StrategyError, parse_strategy, third_party_problems
from arrears.domain.strategy.steps import (
    ACCOUNT_ACTIONS,
    COLLECTOR_TASKS,
    EARLIEST_DPD,
    MESSAGES,
    REMINDERS,
    THIRD_PARTY,
    Action,
    Segment,
    Step,
)
from arrears.domain.strategy.terms import (
    DeskPolicy,
    HoldPolicy,
    LegalRecheck,
    PlanPolicy,
    PromisePolicy,
    RestorationPolicy,
    Role,
    SettlementPolicy,
)
from arrears.domain.strategy.triggers import (
    EARLY_WARNING,
    MISSED_DUE,
    OVER_LIMIT,
    TRIGGERS,
    EarlyWarning,
    OverLimitLadder,
)

__all__ = [
    "ACCOUNT_ACTIONS",
    "ARM_NAME",
    "CHAMPION",
    "COLLECTOR_TASKS",
    "EARLIEST_DPD",
    "EARLY_WARNING",
    "MESSAGES",
    "MISSED_DUE",
    "OVER_LIMIT",
    "REMINDERS",
    "THIRD_PARTY",
    "TRIGGERS",
    "Action",
    "DeskPolicy",
    "EarlyWarning",
    "Experiment",
    "ExperimentArm",
    "HoldPolicy",
    "LegalRecheck",
    "OverLimitLadder",
    "PlanPolicy",
    "PromisePolicy",
    "RestorationPolicy",
    "Role",
    "Segment",
    "SettlementPolicy",
    "Step",
    "Strategy",
    "StrategyError",
    "parse_strategy",
    "third_party_problems",
]
