"""Every idempotency key's format, pinned: the values are in databases and recorded histories."""

from datetime import date, datetime, timezone

from arrears.contracts import keys

AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def test_step_and_gate_keys() -> None:
    assert keys.step_key("ep-1", "sms-1@5") == "ep-1:sms-1@5"
    assert keys.person_contact_key("ep-1:locate@40", 2) == "ep-1:locate@40#2"
    assert keys.person_contacts_prefix("ep-1:locate@40") == "ep-1:locate@40#"
    assert keys.decision_key("ep-1:sms-1@5", AT) == "ep-1:sms-1@5@2026-03-04T05:06:07+00:00"
    assert keys.decisions_prefix("ep-1:sms-1@5") == "ep-1:sms-1@5@"


def test_step_key_candidates_find_the_step_of_any_recorded_key() -> None:
    step = keys.step_key("ep-1", "locate@40")
    for recorded in (step, keys.person_contact_key(step, 3), keys.decision_key(step, AT)):
        assert step in keys.step_key_candidates(recorded)


def test_episode_record_keys() -> None:
    assert keys.stage_key("ep-1", "early") == "ep-1:stage:early"
    assert keys.outcome_stage_key("ep-1") == "ep-1:outcome"
    assert keys.effective_collection_key("ep-1", 42) == "ep-1:outcome:42"
    assert keys.strategy_change_key("ep-1", "abc", AT) == "ep-1:strategy:abc:2026-03-04T05:06:07+00:00"
    assert keys.verification_key("ep-1", "h-1") == "ep-1:verification:h-1"
    assert keys.hold_task_key("ep-1", "h-1") == "ep-1:hold-h-1"
    assert keys.confirmation_key("ep-1", "opt-out-confirmation:7") == "ep-1:opt-out-confirmation:7"
    assert keys.segment_change_key("ep-1", "rescore:2026-03:ep-1") == "ep-1:rescore:2026-03:ep-1"


def test_account_action_keys() -> None:
    assert keys.restriction_key("ep-1", "block") == "ep-1:restrict:block"
    assert keys.restriction_lift_key("ep-1", "block") == "ep-1:lift:block"
    assert keys.restriction_lift_prefix("ep-1") == "ep-1:lift:"
    assert keys.bureau_notice_key("ep-1", 1) == "ep-1:bureau-notice"
    assert keys.bureau_notice_key("ep-1", 2) == "ep-1:bureau-notice:2"
    assert keys.legal_refusal_key("ep-1", "legal@120", date(2026, 3, 4)) == "ep-1:legal@120"
    assert keys.legal_refusal_key("ep-1", None, date(2026, 3, 4)) == "ep-1:legal-refused@2026-03-04"
    assert keys.legal_refusal_key("ep-1", "", date(2026, 3, 4)) == "ep-1:legal-refused@2026-03-04"
    assert keys.legal_case_key("ep-1") == "ep-1:legal"
    assert keys.legal_event_key(9, "ev-1") == "legal-case-9:ev-1"
    assert keys.legal_cost_key("legal-case-9:ev-1") == "legal-case-9:ev-1:cost"


def test_agency_keys() -> None:
    assert keys.placement_event_key("ep-1:agency@90", "renewed:1") == "ep-1:agency@90:agency:renewed:1"
    assert keys.placement_hold_key("ep-1:agency@90", "h-1") == "ep-1:agency@90:agency:hold:h-1"


def test_recovery_keys() -> None:
    assert keys.recovery_key("ep-1", "pay-1") == "ep-1:recovery:pay-1"
    assert keys.recovery_outcome_key("ep-1") == "ep-1:recovery-outcome"


def test_desk_keys() -> None:
    assert keys.desk_start_key(5) == "task-5:start"
    assert keys.desk_worked_key(5) == "task-5:worked"
    assert keys.desk_contact_key(5) == "task-5:contact"


def test_risk_and_insight_keys() -> None:
    assert keys.broken_promise_event_key("acc-1", "p-1") == "promise:acc-1:p-1:broken"
    assert keys.broken_plan_event_key("acc-1", "pl-1") == "plan:acc-1:pl-1:broken"
    assert keys.job_loss_event_key("acc-1", 5) == "outcome:acc-1:5:job_loss"
    assert keys.limit_review_key(date(2026, 3, 4), "acc-1") == "limit-review:2026-03-04:acc-1"
    assert keys.task_review_key(5, "sup-1") == "task:5:sup-1"
    assert keys.placement_review_key(3, "rec-1", "sup-1") == "placement:3:rec-1:sup-1"
