"""Tables of the system of record.

Every row a side-effecting activity writes carries an ``idempotency_key``
under a unique constraint: an activity retried after a crash finds its own
earlier row instead of writing (or sending) a second one.

One module per capability; every model is re-exported here, and importing this package registers
every table on ``Base.metadata`` (what Alembic and the migration tests compare with).
"""

from arrears.db.models.accounts import Account, AccountAction, Episode, Reage, StageEvent, StrategyChange
from arrears.db.models.agencies import Agency, AgencyCommission, AgencyPlacement
from arrears.db.models.api import ApiRequest, ApiToken
from arrears.db.models.arrangements import Payment, Plan, PromiseToPay, Settlement
from arrears.db.models.base import Base
from arrears.db.models.contacts import (
    CompliancePolicy,
    Consent,
    ContactAttempt,
    ContactDecision,
    EffectiveCollection,
    OutboxMessage,
)
from arrears.db.models.desk import Collector, CollectorContact, CollectorTask, ContactOutcomeRecord, TaskAssignment
from arrears.db.models.holds import BlacklistEntryRecord, CardRestriction, Hold
from arrears.db.models.insight import Complaint, ExperimentAssignment, ExperimentDecision, QualityReview
from arrears.db.models.ledger import LedgerPosting, Recovery, RecoveryOutcomeRecord
from arrears.db.models.legal import BureauNotice, BureauReport, LegalCaseEvent, LegalCaseRecord
from arrears.db.models.records import ArchivedHistory, EvidenceFile
from arrears.db.models.risk import AccountBehaviour, RescoreEvent, RiskModel, RiskSegmentChange, WatchlistEntry

__all__ = [
    "Account",
    "AccountAction",
    "AccountBehaviour",
    "Agency",
    "AgencyCommission",
    "AgencyPlacement",
    "ApiRequest",
    "ApiToken",
    "ArchivedHistory",
    "Base",
    "BlacklistEntryRecord",
    "BureauNotice",
    "BureauReport",
    "CardRestriction",
    "Collector",
    "CollectorContact",
    "CollectorTask",
    "Complaint",
    "CompliancePolicy",
    "Consent",
    "ContactAttempt",
    "ContactDecision",
    "ContactOutcomeRecord",
    "EffectiveCollection",
    "Episode",
    "EvidenceFile",
    "ExperimentAssignment",
    "ExperimentDecision",
    "Hold",
    "LedgerPosting",
    "LegalCaseEvent",
    "LegalCaseRecord",
    "OutboxMessage",
    "Payment",
    "Plan",
    "PromiseToPay",
    "QualityReview",
    "Reage",
    "Recovery",
    "RecoveryOutcomeRecord",
    "RescoreEvent",
    "RiskModel",
    "RiskSegmentChange",
    "Settlement",
    "StageEvent",
    "StrategyChange",
    "TaskAssignment",
    "WatchlistEntry",
]
