"""What crosses the wire for the ledger: activity names, commands and results.

Kept apart from arrears.contracts.collection so that the workflow can import it without
the activities' database code; the models are pure (pydantic, Decimal, dates).
"""

from pydantic import BaseModel, Field

from arrears.domain.bounds import (
    AccountId,
    Count,
    CurrencyCode,
    Id64,
    Line500,
    Money,
    Reason,
    SaneDate,
)
from arrears.domain.ledger import Cycle, Posting
from arrears.domain.pricing import ReagePolicy


class PostLedgerCommand(BaseModel):
    account_id: AccountId
    episode_id: Id64
    currency: CurrencyCode
    # From arrears.domain.ledger.compute_ledger; posting again what is already posted is harmless.
    postings: list[Posting]


class PostLedgerResult(BaseModel):
    posted: Count  # written now
    already: Count  # found with the same amounts (an earlier attempt or an earlier run)
    # Keys already posted with different amounts: an event arrived after later postings were made.
    # Nothing is overwritten; someone must look.
    conflicts: list[Line500] = Field(default_factory=list)


class ReageCommand(BaseModel):
    account_id: AccountId
    episode_id: Id64
    reage_id: Id64 = Field(min_length=1, max_length=64)
    on: SaneDate  # the account's local date
    approved_by: Id64
    reason: Reason = ""
    currency: CurrencyCode
    overdue_cleared: Money  # the ledger's overdue amount that the re-age brings current
    cycles: list[Cycle]  # the ledger's cycles as of ``on``: the payment evidence
    policy: ReagePolicy


class ReageResult(BaseModel):
    recorded: bool  # False when refused or already recorded
    duplicate: bool = False
    refusal: Reason | None = None
    # Re-ages of the account, this one included when recorded.
    in_12_months: Count
    in_5_years: Count
