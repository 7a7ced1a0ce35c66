"""What crosses the wire for the ledger: activity names, commands and results.

Kept apart from arrears.contracts so that the workflow can import it without
the activities' database code; the models are pure (pydantic, Decimal, dates).
"""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from arrears.domain.ledger import Cycle, Posting
from arrears.domain.pricing import ReagePolicy

POST_LEDGER = "post_ledger"
RECORD_REAGE = "record_reage"


class PostLedgerCommand(BaseModel):
    account_id: str
    episode_id: str
    currency: str
    # From arrears.domain.ledger.compute_ledger; posting again what is already posted is harmless.
    postings: list[Posting]


class PostLedgerResult(BaseModel):
    posted: int  # written now
    already: int  # found with the same amounts (an earlier attempt or an earlier run)
    # Keys already posted with different amounts: an event arrived after later postings were made.
    # Nothing is overwritten; someone must look.
    conflicts: list[str] = Field(default_factory=list)


class ReageCommand(BaseModel):
    account_id: str
    episode_id: str
    reage_id: str = Field(min_length=1, max_length=64)
    on: date  # the account's local date
    approved_by: str = Field(min_length=1, max_length=64)
    reason: str = ""
    currency: str
    overdue_cleared: Decimal  # the ledger's overdue amount that the re-age brings current
    cycles: list[Cycle]  # the ledger's cycles as of ``on``: the payment evidence
    policy: ReagePolicy


class ReageResult(BaseModel):
    recorded: bool  # False when refused or already recorded
    duplicate: bool = False
    refusal: str | None = None
    # Re-ages of the account, this one included when recorded.
    in_12_months: int
    in_5_years: int
