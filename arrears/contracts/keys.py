"""Every idempotency key the activities write, one function per format.

A key is what makes a retried activity find its own earlier row instead of
writing (or sending) a second one: each fills a unique column. The values are
on record in databases and in recorded workflow histories, so a format here
never changes; tests/unit/test_keys.py pins each one. Pure (no I/O): workflow
code may import it.
"""

from datetime import date, datetime

# ---- strategy steps and the gate ----------------------------------------------------------


def step_key(episode_id: str, step: str) -> str:
    """contact_attempts / collector_tasks / account_actions / agency_placements.idempotency_key of a step."""
    return f"{episode_id}:{step}"


def person_contact_key(step_idempotency_key: str, n: int) -> str:
    """contact_attempts.idempotency_key (and outbox) of the n-th person a locate or guarantor step texts."""
    return f"{step_idempotency_key}#{n}"


def person_contacts_prefix(step_idempotency_key: str) -> str:
    """The common start of the person_contact_key values of one step (a LIKE prefix)."""
    return f"{step_idempotency_key}#"


def decision_key(step_idempotency_key: str, proposed_at: datetime) -> str:
    """contact_decisions.idempotency_key: the gate's verdict on one proposal of one step."""
    return f"{step_idempotency_key}@{proposed_at.isoformat()}"


def decisions_prefix(step_idempotency_key: str) -> str:
    """The common start of the decision_key values of one step (a LIKE prefix)."""
    return f"{step_idempotency_key}@"


def step_key_candidates(key: str) -> tuple[str, str, str]:
    """The step keys a recorded key may stem from: itself, a person's contact's step, a decision's step."""
    # A key is never parsed more precisely: step ids may contain "@" and "#" themselves (a ladder
    # step's key is "<id>@<dpd>"), so the caller tries each candidate against the steps it knows.
    return key, key.split("#", 1)[0], key.rsplit("@", 1)[0]


# ---- episode records ------------------------------------------------------------------------


def stage_key(episode_id: str, stage: str) -> str:
    """stage_events.idempotency_key of an episode entering a stage."""
    return f"{episode_id}:stage:{stage}"


OUTCOME_STAGE_SUFFIX = ":outcome"


def outcome_stage_key(episode_id: str) -> str:
    """stage_events.idempotency_key of the episode's closing outcome."""
    return f"{episode_id}{OUTCOME_STAGE_SUFFIX}"


def effective_collection_key(episode_id: str, task_id: int) -> str:
    """effective_collections.idempotency_key of a task's outcome that counts as an effective collection."""
    return f"{episode_id}:outcome:{task_id}"


def strategy_change_key(episode_id: str, to_hash: str, applied_at: datetime) -> str:
    """strategy_changes.idempotency_key."""
    return f"{episode_id}:strategy:{to_hash}:{applied_at.isoformat()}"


def verification_key(episode_id: str, hold_id: str) -> str:
    """contact_attempts.idempotency_key of a disputed debt's verification letter."""
    return f"{episode_id}:verification:{hold_id}"


def hold_task_key(episode_id: str, hold_id: str) -> str:
    """collector_tasks.idempotency_key of the task a hold opens."""
    return f"{episode_id}:hold-{hold_id}"


def confirmation_key(episode_id: str, confirmation_step: str) -> str:
    """contact_attempts.idempotency_key of an opt-out confirmation (step ``opt-out-confirmation:<consent id>``)."""
    return step_key(episode_id, confirmation_step)


def segment_change_key(episode_id: str, request_id: str) -> str:
    """risk_segment_changes.idempotency_key."""
    return f"{episode_id}:{request_id}"


# ---- account actions ------------------------------------------------------------------------


def restriction_key(episode_id: str, level: str) -> str:
    """card_restrictions.apply_key (and its outbox message) of one restriction level applied."""
    return f"{episode_id}:restrict:{level}"


def restriction_lift_key(episode_id: str, level: str) -> str:
    """card_restrictions.lift_key (and its outbox message) of one restriction level lifted."""
    return f"{episode_id}:lift:{level}"


def restriction_lift_prefix(episode_id: str) -> str:
    """The common start of an episode's card_restrictions.lift_key values (a LIKE prefix)."""
    return f"{episode_id}:lift:"


def bureau_notice_key(episode_id: str, attempt: int) -> str:
    """bureau_notices.idempotency_key (and its letter's outbox message); the first attempt has no suffix."""
    return f"{episode_id}:bureau-notice" + (f":{attempt}" if attempt > 1 else "")


def legal_refusal_key(episode_id: str, step: str | None, referred_on: date) -> str:
    """account_actions.idempotency_key of a refused legal referral: the step's, else one per referral day."""
    return step_key(episode_id, step or f"legal-refused@{referred_on}")


def legal_case_key(episode_id: str) -> str:
    """legal_cases.idempotency_key (and its outbox message): one case per episode."""
    return f"{episode_id}:legal"


def legal_event_key(case_id: int, event_id: str) -> str:
    """legal_case_events.idempotency_key."""
    return f"legal-case-{case_id}:{event_id}"


def legal_cost_key(event_key: str) -> str:
    """outbox.idempotency_key of a legal event's recoverable cost handed to the ledger."""
    return f"{event_key}:cost"


# ---- agencies -------------------------------------------------------------------------------


def placement_event_key(placement_key: str, event: str) -> str:
    """outbox.idempotency_key (and its decision's step key) of one event of a placement told to the agency."""
    return f"{placement_key}:agency:{event}"


def placement_hold_key(placement_key: str, hold_id: str) -> str:
    """outbox.idempotency_key of telling the agency holding a placement about a hold."""
    return placement_event_key(placement_key, f"hold:{hold_id}")


# ---- recovery -------------------------------------------------------------------------------


def recovery_key(episode_id: str, payment_id: str) -> str:
    """recoveries.idempotency_key and its ledger_postings.posting_key: one of each per payment."""
    return f"{episode_id}:recovery:{payment_id}"


def recovery_outcome_key(episode_id: str) -> str:
    """recovery_outcomes.idempotency_key: one outcome per recovery."""
    return f"{episode_id}:recovery-outcome"


# ---- the desk -------------------------------------------------------------------------------


def desk_start_key(task_id: int) -> str:
    """The step key of a collector starting a task; contact_decisions.idempotency_key through decision_key."""
    return f"task-{task_id}:start"


def desk_worked_key(task_id: int) -> str:
    """The step key of a task's contact entered with its outcome; contact_decisions.idempotency_key through decision_key."""
    return f"task-{task_id}:worked"


def desk_contact_key(task_id: int) -> str:
    """collector_contacts.idempotency_key (and its outbox message): one contact per task."""
    return f"task-{task_id}:contact"


# ---- risk and insight -----------------------------------------------------------------------


def broken_promise_event_key(account_id: str, promise_id: str) -> str:
    """rescore_events.event_key of a broken promise rescored for."""
    return f"promise:{account_id}:{promise_id}:broken"


def broken_plan_event_key(account_id: str, plan_id: str) -> str:
    """rescore_events.event_key of a broken plan rescored for."""
    return f"plan:{account_id}:{plan_id}:broken"


def job_loss_event_key(account_id: str, task_id: int) -> str:
    """rescore_events.event_key of a contact that reported a job loss."""
    return f"outcome:{account_id}:{task_id}:job_loss"


def limit_review_key(as_of: date, account_id: str) -> str:
    """outbox.idempotency_key of a watchlist's limit-review request: one per account and day."""
    return f"limit-review:{as_of}:{account_id}"


def task_review_key(task_id: int, reviewer_id: str) -> str:
    """quality_reviews.review_key of a reviewer's score of a desk task."""
    return f"task:{task_id}:{reviewer_id}"


def placement_review_key(placement_id: int, work_ref: str, reviewer_id: str) -> str:
    """quality_reviews.review_key of a reviewer's score of one piece of an agency's work (work_ref as stripped)."""
    return f"placement:{placement_id}:{work_ref}:{reviewer_id}"
