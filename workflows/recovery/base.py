"""What every part of AccountRecovery reads: its input, its state, its clock and what has been recovered.

The workflow class (workflow.py) sets these attributes in its ``__init__``;
the parts (settlements.py, legal.py) are its bases and only read and change them.
"""

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from arrears.contracts.recovery import RecoveryInput, RecoveryOutcome, RecoveryState
    from arrears.domain.settlement import SettlementOffer

from workflows.shared import MIN_WAIT, act


class RecoveryBase:
    inp: RecoveryInput
    state: RecoveryState
    outcome: RecoveryOutcome | None
    outcome_reason: str | None
    closed_by: str | None
    ended_by: str | None  # the payment that ended it, for the answer to its repeat
    forgiven: Decimal
    changed: bool
    _payments: asyncio.Lock
    _legal: asyncio.Lock

    async def _act(self, name: str, command: Any, result_type: type | Any = None) -> Any:
        return await act(name, command, result_type)

    def _now(self) -> datetime:
        return self.state.clock.virtual(workflow.now())

    def _slack(self) -> timedelta:
        # Timers have millisecond resolution; with compressed demo days that is minutes of collection time.
        return max(timedelta(seconds=1), MIN_WAIT * self.state.clock.speed)

    def _recovered(self) -> Decimal:
        return sum((p.amount for p in self.state.payments.values()), Decimal(0))

    def _outstanding(self) -> Decimal:
        return max(Decimal(0), self.inp.written_off - self._recovered())

    def _open_offer(self) -> SettlementOffer | None:
        offer = self.state.open_offer
        return self.state.settlements[offer] if offer else None

    def _ended(self) -> str | None:
        return f"the recovery has ended ({self.outcome.value})" if self.outcome else None
