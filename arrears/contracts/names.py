"""Names other systems and the workflows agree on: workflow types and ids, updates, queries, activities.

Every caller (CLI, API, console, demo, risk, tests) uses these constants, never
a string of its own, so a rename is one edit here and a search away.
Changing a value breaks running workflows and recorded histories: values are
the wire contract (docs/contract.md), only their Python names may change.
"""

# ---- workflow types and ids ----------------------------------------------------
WORKFLOW_TYPE = "AccountCollection"
WORKFLOW_ID_PREFIX = "arrears-"
RECOVERY_TYPE = "AccountRecovery"
RECOVERY_ID_PREFIX = "arrears-recovery-"
DESK_SWEEP_TYPE = "DeskSweep"
DESK_SWEEP_ID = "arrears-desk-sweep"
HISTORY_ARCHIVER_TYPE = "HistoryArchiver"
HISTORY_ARCHIVER_ID = "arrears-history-archiver"
BUREAU_CYCLE_TYPE = "BureauCycle"
BUREAU_CYCLE_ID = "arrears-bureau-cycle"
RISK_RESCORE_TYPE = "RiskRescore"
RISK_RESCORE_ID = "arrears-risk-rescore"


def workflow_id_for(account_id: str) -> str:
    """The collection episode's workflow id: one running episode per account."""
    return f"{WORKFLOW_ID_PREFIX}{account_id}"


def recovery_workflow_id(account_id: str) -> str:
    """The recovery workflow's id, started after a charge-off."""
    return f"{RECOVERY_ID_PREFIX}{account_id}"


class Updates:
    """Update names. AccountCollection takes all but those marked; AccountRecovery the three marked."""

    RECORD_PAYMENT = "record_payment"  # also AccountRecovery
    PROMISE_TO_PAY = "promise_to_pay"
    OFFER_SETTLEMENT = "offer_settlement"  # also AccountRecovery
    AGREE_PLAN = "agree_plan"
    CANCEL_PLAN = "cancel_plan"
    LOG_CONTACT_OUTCOME = "log_contact_outcome"
    PLACE_HOLD = "place_hold"
    RELEASE_HOLD = "release_hold"
    APPLY_STRATEGY = "apply_strategy"
    REAGE = "reage"
    UPDATE_LEGAL_CASE = "update_legal_case"  # also AccountRecovery
    SET_RISK_SEGMENT = "set_risk_segment"
    CLOSE = "close"  # also AccountRecovery


class Queries:
    """Query names, by workflow."""

    STATUS = "status"  # AccountCollection, AccountRecovery
    NEXT_REPORT = "next_report"  # BureauCycle
    LAST_REPORT = "last_report"
    LAST_SWEEP = "last_sweep"  # DeskSweep
    LAST_ROUND = "last_round"  # HistoryArchiver
    NEXT_RESCORE = "next_rescore"  # RiskRescore
    LAST_RESCORE = "last_rescore"
    LAST_EVENT_ROUND = "last_event_round"


class Signals:
    RESCORE_NOW = "rescore_now"  # RiskRescore


# The update's name kept under its old constant for the risk callers.
SET_RISK_SEGMENT = Updates.SET_RISK_SEGMENT

# ---- activity names: workflows call activities by name, so their sandbox never imports the database layer ----
# collection episode
OPEN_EPISODE = "open_episode"
EXECUTE_STEP = "execute_step"
RECORD_PAYMENT = "record_payment"
RECORD_STAGE_CHANGE = "record_stage_change"
CLOSE_EPISODE = "close_episode"
RECORD_PROMISE = "record_promise"
RESOLVE_PROMISE = "resolve_promise"
RECORD_SETTLEMENT = "record_settlement"
RESOLVE_SETTLEMENT = "resolve_settlement"
RECORD_PLAN = "record_plan"
RESOLVE_PLAN = "resolve_plan"
RECORD_OUTCOME = "record_outcome"
PLACE_WITH_AGENCY = "place_with_agency"
RENEW_PLACEMENT = "renew_placement"
RECALL_PLACEMENT = "recall_placement"
CLOSE_PLACEMENT = "close_placement"
RECORD_COMMISSION = "record_commission"
RECORD_HOLD = "record_hold"
RECORD_STRATEGY_CHANGE = "record_strategy_change"
END_HOLD = "end_hold"
SEND_DISPUTE_VERIFICATION = "send_dispute_verification"
NOTIFY_AGENCY_OF_HOLD = "notify_agency_of_hold"
RECORD_SEGMENT_CHANGE = "record_segment_change"
START_RECOVERY = "start_recovery"
# account actions
APPLY_RESTRICTION = "apply_restriction"
LIFT_RESTRICTIONS = "lift_restrictions"
LIST_ON_BLACKLIST = "list_on_blacklist"
SCHEDULE_BLACKLIST_REMOVAL = "schedule_blacklist_removal"
RECORD_BUREAU_NOTICE = "record_bureau_notice"
REFER_TO_LEGAL = "refer_to_legal"
RECORD_LEGAL_EVENT = "record_legal_event"
# ledger
POST_LEDGER = "post_ledger"
RECORD_REAGE = "record_reage"
# recovery
RECORD_RECOVERY = "record_recovery"
CLOSE_RECOVERY = "close_recovery"
LOAD_LEGAL_CASE = "load_legal_case"
# service workflows
SWEEP_DESK = "sweep_desk"
ARCHIVE_HISTORIES = "archive_histories"
RUN_BUREAU_CYCLE = "run_bureau_cycle"
RESCORE_PAGE = "rescore_page"
RESCORE_EVENTS = "rescore_events"
