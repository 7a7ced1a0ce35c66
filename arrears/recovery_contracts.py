"""The recovery workflow's contract: what continues after a charge-off.

AccountCollection starts AccountRecovery (as a child it abandons) when an
episode ends ``charged_off``: agency and legal work and payments go on against
the written-off amount.
"""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from arrears.domain.agency import PlacementRecord
from arrears.domain.strategy import Strategy

RECOVERY_TYPE = "AccountRecovery"
RECOVERY_ID_PREFIX = "arrears-recovery-"


def recovery_workflow_id(account_id: str) -> str:
    return f"{RECOVERY_ID_PREFIX}{account_id}"


class RecoveryInput(BaseModel):
    account_id: str
    episode_id: str  # the charged-off episode: recoveries are recorded against it
    currency: str
    written_off: Decimal  # the balance written off at charge-off (principal, interest and fees)
    written_off_on: date  # the account's local date of the write-off
    timezone: str
    day_seconds: float = Field(default=86_400, gt=0)  # compressed days for demos, as for episodes
    strategy: Strategy  # the episode's pinned strategy: settlement limits, legal policy, agencies
    strategy_hash: str
    placement: PlacementRecord | None = None  # an agency placement still running at charge-off continues
    legal_case_id: str | None = None  # a legal case opened during the episode continues
