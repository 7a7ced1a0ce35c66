"""How an episode's state changes: every transition, as a pure function.

The collection workflow is a shell around these: it validates a request, calls
the transition (which changes the ``Episode`` in place and says what happened),
then writes what happened to the system of record through an activity. The
same functions drive the stateful property tests, so the invariants the tests
prove are the ones the workflow keeps.

Times are collection time (UTC); dates are the account's local dates.

terms: the episode's terms, its start and its ladder; money: ledger and payments; arrangements:
promises, offers, plans; holds: agency placements and holds; outcomes: collectors' outcomes, the
prior notice, legal rechecks.
"""

from arrears.domain.transitions.arrangements import (
    agree_plan,
    cancel_promise,
    end_offer,
    end_plan,
    judge_instalment,
    judge_promise,
    make_offer,
    make_promise,
    plan_schedule,
)
from arrears.domain.transitions.holds import (
    RECALLING,
    end_hold,
    end_placement_period,
    hold_in_force,
    new_hold,
    placed,
    recall_placement,
    withdraw_hold,
)
from arrears.domain.transitions.money import (
    PaymentApplied,
    add_charge,
    apply_payment,
    charged_off,
    close,
    ledger_due,
    ledger_of,
    owed,
    priced,
    reaged,
    sync_ledger,
    write_off_balance,
)
from arrears.domain.transitions.outcomes import (
    NOTICE_RETRY_DAYS,
    OutcomeApplied,
    legal_recheck_at,
    log_outcome,
    notice_sent,
    schedule_notice_retry,
)
from arrears.domain.transitions.terms import (
    MIN_DEFERRAL,
    OUTCOME_HOLD_PREFIX,
    OUTCOME_HOLDS,
    ZERO,
    SegmentSet,
    StepDone,
    Terms,
    add_step,
    apply_catch_up,
    begin_step,
    change_strategy,
    dpd,
    finish_step,
    followup_call,
    resume,
    set_risk_segment,
    set_segment,
    start,
    without_charge_off,
)

__all__ = [
    "MIN_DEFERRAL",
    "NOTICE_RETRY_DAYS",
    "OUTCOME_HOLDS",
    "OUTCOME_HOLD_PREFIX",
    "RECALLING",
    "ZERO",
    "OutcomeApplied",
    "PaymentApplied",
    "SegmentSet",
    "StepDone",
    "Terms",
    "add_charge",
    "add_step",
    "agree_plan",
    "apply_catch_up",
    "apply_payment",
    "begin_step",
    "cancel_promise",
    "change_strategy",
    "charged_off",
    "close",
    "dpd",
    "end_hold",
    "end_offer",
    "end_placement_period",
    "end_plan",
    "finish_step",
    "followup_call",
    "hold_in_force",
    "judge_instalment",
    "judge_promise",
    "ledger_due",
    "ledger_of",
    "legal_recheck_at",
    "log_outcome",
    "make_offer",
    "make_promise",
    "new_hold",
    "notice_sent",
    "owed",
    "placed",
    "plan_schedule",
    "priced",
    "reaged",
    "recall_placement",
    "resume",
    "schedule_notice_retry",
    "set_risk_segment",
    "set_segment",
    "start",
    "sync_ledger",
    "withdraw_hold",
    "without_charge_off",
    "write_off_balance",
]
