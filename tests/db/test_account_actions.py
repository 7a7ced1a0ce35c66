"""Account-action activities write each fact once, retried or raced, on SQLite and PostgreSQL."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from temporalio.exceptions import ApplicationError

from activities.account_actions import AccountActionActivities
from arrears.compliance.consent_record import record_consent
from arrears.compliance.gate_record import BASELINE
from arrears.contracts.account import (
    BlacklistCommand,
    BlacklistRemovalCommand,
    BureauNoticeCommand,
    LegalEventCommand,
    LegalReferralCommand,
    LiftCommand,
    RestrictionCommand,
)
from arrears.db.models import (
    AccountAction,
    BlacklistEntryRecord,
    BureauNotice,
    CardRestriction,
    LegalCaseEvent,
    LegalCaseRecord,
    OutboxMessage,
)
from arrears.domain.blacklist import BlacklistPolicy
from arrears.domain.legal import LegalEvent, LegalState
from arrears.domain.restrictions import RestrictionLevel as L, RestrictionPolicy
from arrears.audit.evidence_store import EvidenceStore, record
from tests.db.test_activities_idempotency import DUE, NOW, Env, account_row


@pytest.fixture
def env(any_db_url):
    e = Env(any_db_url)
    e.add_account(account_row("R1"))
    e.open("R1", "ep-1")
    e.actions = AccountActionActivities(e.sessions, e.renderer, clock=lambda: NOW,
                                    policies=lambda _strategy: BASELINE)  # the worker's strategy, as runner passes it
    yield e
    e.engine.dispose()


def restrict(level: L, episode_id="ep-1", step_id="mid-restrict", dpd=31) -> RestrictionCommand:
    return RestrictionCommand(episode_id=episode_id, account_id="R1", step_id=step_id, level=level, dpd=dpd, at=NOW)


def card_events(env) -> list[tuple[str, str]]:
    return [(m.payload["action"], m.payload["level"]) for m in env.rows(OutboxMessage) if m.topic == "card"]


# ---- card restrictions -------------------------------------------------------------------------


def test_a_jump_applies_the_lower_levels_first_and_a_retry_applies_nothing(env):
    first = env.actions.apply_restriction(restrict(L.PURCHASES_BLOCKED))
    assert first.applied == [L.CASH_ADVANCE_BLOCKED, L.PURCHASES_BLOCKED] == first.on_card
    again = env.actions.apply_restriction(restrict(L.PURCHASES_BLOCKED))
    assert again.applied == [] and again.on_card == first.on_card
    assert card_events(env) == [("restrict", "cash_advance_blocked"), ("restrict", "purchases_blocked")]
    harsher = env.actions.apply_restriction(restrict(L.CARD_FROZEN, step_id="late-freeze", dpd=91))
    assert harsher.applied == [L.CARD_FROZEN]
    milder = env.actions.apply_restriction(restrict(L.CASH_ADVANCE_BLOCKED, step_id="again"))
    assert milder.applied == [] and milder.on_card == [L.CASH_ADVANCE_BLOCKED, L.PURCHASES_BLOCKED, L.CARD_FROZEN]
    assert env.count(CardRestriction) == 3 and env.count(OutboxMessage, topic="card") == 3


def test_cure_lifts_in_reverse_order_once_and_keeps_a_closed_card(env):
    env.actions.apply_restriction(restrict(L.CARD_CLOSED))
    lift = LiftCommand(episode_id="ep-1", account_id="R1", at=NOW + timedelta(days=5),
                       policy=RestrictionPolicy(keep_on_cure=()))
    first = env.actions.lift_restrictions(lift)
    assert first.lifted == [L.CARD_CLOSED, L.CARD_FROZEN, L.PURCHASES_BLOCKED, L.CASH_ADVANCE_BLOCKED]
    assert first.kept == []
    assert env.actions.lift_restrictions(lift) == first  # a retry reports the same and sends nothing
    assert [e for e in card_events(env) if e[0] == "lift"] == [
        ("lift", "card_closed"), ("lift", "card_frozen"), ("lift", "purchases_blocked"), ("lift", "cash_advance_blocked")]
    assert all(r.lifted_at == NOW + timedelta(days=5) and r.lift_reason == "cured" for r in env.rows(CardRestriction))


def test_default_policy_keeps_a_closed_card_closed(env):
    env.actions.apply_restriction(restrict(L.CARD_CLOSED))
    result = env.actions.lift_restrictions(LiftCommand(episode_id="ep-1", account_id="R1", at=NOW))
    assert result.lifted == [] and result.kept == list(L)
    assert env.count(OutboxMessage, topic="card") == 4


def test_a_kept_level_from_an_earlier_episode_is_not_applied_again(env):
    env.actions.apply_restriction(restrict(L.CARD_CLOSED))
    env.actions.lift_restrictions(LiftCommand(episode_id="ep-1", account_id="R1", at=NOW))
    env.open("R1", "ep-2")
    assert env.actions.apply_restriction(restrict(L.CASH_ADVANCE_BLOCKED, episode_id="ep-2")).applied == []


def test_a_restriction_that_loses_the_race_returns_the_winners_state(env, monkeypatch):
    env.actions.apply_restriction(restrict(L.PURCHASES_BLOCKED))
    # The loser read the card before the winner committed: it tries to apply the same levels again.
    monkeypatch.setattr(AccountActionActivities, "_on_card", staticmethod(lambda session, account_id: []))
    real_scalars = None

    from sqlalchemy.orm import Session
    real_scalars = Session.scalars

    def stale(self, stmt, *a, **kw):
        if "card_restrictions.level" in str(stmt) and "episode_id" in str(stmt):
            return iter(())
        return real_scalars(self, stmt, *a, **kw)

    monkeypatch.setattr(Session, "scalars", stale)
    loser = env.actions.apply_restriction(restrict(L.PURCHASES_BLOCKED))
    assert loser.applied == []
    assert env.count(CardRestriction) == 2 and env.count(OutboxMessage, topic="card") == 2


def test_a_lift_that_loses_the_race_returns_the_winners_lifts(env, monkeypatch):
    env.actions.apply_restriction(restrict(L.PURCHASES_BLOCKED))
    lift = LiftCommand(episode_id="ep-1", account_id="R1", at=NOW)
    winner = env.actions.lift_restrictions(lift)
    from sqlalchemy import select

    def as_read_before_the_winner_committed(session, account_id):
        rows = list(session.scalars(select(CardRestriction).where(CardRestriction.account_id == account_id)))
        for row in rows:
            row.lifted_at = row.lift_key = None
        return rows

    real = AccountActionActivities._on_card
    calls = []

    def stale_once(session, account_id):
        calls.append(1)
        return as_read_before_the_winner_committed(session, account_id) if len(calls) == 1 else real(session, account_id)

    monkeypatch.setattr(AccountActionActivities, "_on_card", staticmethod(stale_once))
    loser = env.actions.lift_restrictions(lift)
    assert loser == winner and winner.lifted == [L.PURCHASES_BLOCKED, L.CASH_ADVANCE_BLOCKED]
    assert [e for e in card_events(env) if e[0] == "lift"] == [("lift", "purchases_blocked"), ("lift", "cash_advance_blocked")]


def test_restricting_an_episode_not_yet_on_record_is_retried_not_taken_as_done(env):
    from sqlalchemy.exc import IntegrityError
    with pytest.raises(IntegrityError):
        env.actions.apply_restriction(restrict(L.CASH_ADVANCE_BLOCKED, episode_id="not-opened"))
    assert env.count(CardRestriction) == 0 and env.count(OutboxMessage, topic="card") == 0


# ---- blacklist -------------------------------------------------------------------------------------


def listing(reason="delinquency") -> BlacklistCommand:
    return BlacklistCommand(episode_id="ep-1", account_id="R1", reason=reason, listed_from=date(2026, 6, 1), dpd=91,
                            at=NOW, blocks=("new_card", "limit_increase"))


def test_listed_once_then_given_its_removal_date_once(env):
    assert env.actions.list_on_blacklist(listing()) is True
    assert env.actions.list_on_blacklist(listing()) is False
    removal = BlacklistRemovalCommand(episode_id="ep-1", account_id="R1", cure_date=date(2026, 7, 10), at=NOW,
                                      policy=BlacklistPolicy(restoration_days=90))
    first = env.actions.schedule_blacklist_removal(removal)
    assert (first.updated, first.listed_until) == (1, date(2026, 10, 8))
    later_cure = removal.model_copy(update={"cure_date": date(2026, 8, 1)})
    again = env.actions.schedule_blacklist_removal(later_cure)
    assert (again.updated, again.listed_until) == (0, date(2026, 10, 8))  # the first date stands
    (row,) = env.rows(BlacklistEntryRecord)
    assert (row.listed_from, row.listed_until, row.blocks) == (date(2026, 6, 1), date(2026, 10, 8), ["new_card", "limit_increase"])


def test_a_listing_that_loses_the_race_reports_already_listed(env, monkeypatch):
    env.actions.list_on_blacklist(listing())
    from sqlalchemy.orm import Session
    real = Session.scalar
    calls = []

    def stale_first(self, stmt, *a, **kw):
        if "blacklist_entries" in str(stmt) and not calls:
            calls.append(1)
            return None
        return real(self, stmt, *a, **kw)

    monkeypatch.setattr(Session, "scalar", stale_first)
    assert env.actions.list_on_blacklist(listing()) is False
    assert calls and env.count(BlacklistEntryRecord) == 1


# ---- bureau notice -----------------------------------------------------------------------------------


def notice_cmd(template="letter_bureau_notice") -> BureauNoticeCommand:
    return BureauNoticeCommand(episode_id="ep-1", account_id="R1", step_id="mid-notice", dpd=35, sent_at=NOW,
                               template=template, currency="CNY", overdue_amount=Decimal("1234.56"),
                               total_balance=Decimal("8000.00"), due_date=DUE)


def test_the_notice_is_sent_and_recorded_once_on_the_local_date(env):
    first = env.actions.record_bureau_notice(notice_cmd())
    again = env.actions.record_bureau_notice(notice_cmd())
    assert first.created and not again.created and again.notice_id == first.notice_id
    assert first.sent_on == date(2026, 3, 9) and first.result == "queued"  # 02:00 UTC is 10:00 in Shanghai
    (row,) = env.rows(BureauNotice)
    assert "征信业管理条例" in row.rendered_text and row.language == "zh-CN"
    (letter,) = [m for m in env.rows(OutboxMessage) if m.topic == "letter"]
    assert letter.idempotency_key == "ep-1:bureau-notice" and letter.payload["registered"] is True


def test_no_notice_is_posted_to_an_address_recorded_invalid(env):
    with env.sessions.begin() as s:
        record_consent(s, "R1", "letter", "invalid", "returned mail", NOW - timedelta(days=3))
    sent = env.actions.record_bureau_notice(notice_cmd())
    assert sent.created and sent.result == "invalid_address"
    assert env.count(OutboxMessage, topic="letter") == 0
    (row,) = env.rows(BureauNotice)
    assert row.result == "invalid_address" and row.rendered_text, "the attempt is on record with what it would have said"


def test_a_notice_that_loses_the_race_returns_the_winners(env, monkeypatch):
    winner = env.actions.record_bureau_notice(notice_cmd())
    from sqlalchemy.orm import Session
    real = Session.scalar
    calls = []

    def stale_first(self, stmt, *a, **kw):
        if "bureau_notices" in str(stmt) and not calls:
            calls.append(1)
            return None
        return real(self, stmt, *a, **kw)

    monkeypatch.setattr(Session, "scalar", stale_first)
    loser = env.actions.record_bureau_notice(notice_cmd())
    assert calls and not loser.created and loser.notice_id == winner.notice_id
    assert env.count(BureauNotice) == 1 and env.count(OutboxMessage, topic="letter") == 1


# ---- legal --------------------------------------------------------------------------------------------


def referral(allowed=True, recoverable=True) -> LegalReferralCommand:
    return LegalReferralCommand(
        episode_id="ep-1", account_id="R1", step_id="late-legal", dpd=150, referred_at=NOW, referred_on=date(2026, 7, 1),
        principal=Decimal("60000.00"), currency="CNY", allowed=allowed,
        reasons=["criteria cn-malicious-overdraft met"] if allowed else ["effective collections: 1 after the due date, 2 required"],
        criteria="cn-malicious-overdraft", costs_recoverable=recoverable,
    )


def event(event_id, on, state=None, cost="0", **kw) -> LegalEventCommand:
    return LegalEventCommand(account_id="R1", episode_id="ep-1", event=LegalEvent(
        event_id=event_id, on=on, by="lawyer-1", new_state=state, cost=Decimal(cost), **kw))


def test_a_refused_referral_opens_no_case_and_is_recorded_once(env):
    result = env.actions.refer_to_legal(referral(allowed=False))
    again = env.actions.refer_to_legal(referral(allowed=False))  # a retry
    assert not result.referred and result.reasons == ["effective collections: 1 after the due date, 2 required"]
    assert not again.referred
    assert env.count(LegalCaseRecord) == 0 and env.count(OutboxMessage, topic="legal") == 0
    assert env.count(AccountAction) == 1  # the step ran and referred nobody: on record, once


def test_referral_once_then_events_with_costs_documents_and_the_ledger(env, tmp_path):
    first = env.actions.refer_to_legal(referral())
    again = env.actions.refer_to_legal(referral())
    assert first.created and not again.created and again.case_id == first.case_id
    store = EvidenceStore(tmp_path / "evidence", 1 << 20, ["application/pdf"])
    complaint = record(env.sessions, "R1", store.put([b"%PDF-1.7 complaint"]), uploaded_by="lawyer-1", source="cli",
                       filename="complaint.pdf", now=NOW)
    filed = event("e1", date(2026, 7, 20), LegalState.FILED, "1200.00", document_id=complaint.evidence_id)
    assert env.actions.record_legal_event(filed).created
    assert not env.actions.record_legal_event(filed).created  # a retry
    fee = env.actions.record_legal_event(event("e2", date(2026, 7, 21), cost="300.50", note="court fee"))
    assert (fee.state, fee.costs, fee.recoverable_costs) == (LegalState.FILED, Decimal("1500.50"), Decimal("1500.50"))
    events = env.rows(LegalCaseEvent)
    assert [(e.from_state, e.to_state) for e in events] == [("referred", "filed"), ("filed", "filed")]
    assert events[0].document_sha256 == complaint.sha256 and events[1].document_sha256 is None
    assert events[0].document_id == complaint.evidence_id and events[0].document_path is None
    postings = [m.payload for m in env.rows(OutboxMessage) if m.topic == "ledger"]
    assert [(p["amount"], p["event_id"]) for p in postings] == [("1200.00", "e1"), ("300.50", "e2")]
    assert env.count(OutboxMessage, topic="legal") == 1


def test_costs_not_recoverable_are_recorded_but_not_posted(env):
    env.actions.refer_to_legal(referral(recoverable=False))
    done = env.actions.record_legal_event(event("e1", date(2026, 7, 20), LegalState.FILED, "800"))
    assert (done.costs, done.recoverable_costs) == (Decimal("800"), Decimal(0))
    assert env.count(OutboxMessage, topic="ledger") == 0


def test_wrong_transitions_reused_ids_and_missing_documents_are_refused_for_good(env):
    env.actions.refer_to_legal(referral())
    with pytest.raises(ApplicationError) as back:
        env.actions.record_legal_event(event("e1", date(2026, 7, 20), LegalState.JUDGMENT))
    assert back.value.non_retryable and "moves to filed or closed, not judgment" in back.value.message
    env.actions.record_legal_event(event("e1", date(2026, 7, 20), LegalState.FILED))
    with pytest.raises(ApplicationError, match="already used on case"):
        env.actions.record_legal_event(event("e1", date(2026, 7, 21), LegalState.FILED))
    with pytest.raises(ApplicationError, match="not in the evidence store for account R1") as unknown:
        env.actions.record_legal_event(event("e2", date(2026, 7, 22), document_id="ev-" + "0" * 64))
    assert unknown.value.non_retryable
    env.actions.record_legal_event(event("e3", date(2026, 7, 23), LegalState.CLOSED, note="settled out of court"))
    with pytest.raises(ApplicationError, match="closed; nothing follows"):
        env.actions.record_legal_event(event("e4", date(2026, 7, 24), cost="5"))
    with pytest.raises(ApplicationError, match="no legal case"):
        env.actions.record_legal_event(LegalEventCommand(account_id="R1", episode_id="ep-9", event=event(
            "x", date(2026, 7, 24), note="n").event))
    (case,) = env.rows(LegalCaseRecord)
    assert case.state == "closed" and env.count(LegalCaseEvent) == 2


def test_a_legal_event_that_loses_the_race_returns_the_winners(env, monkeypatch):
    env.actions.refer_to_legal(referral())
    cmd = event("e1", date(2026, 7, 20), LegalState.FILED, "100")
    env.actions.record_legal_event(cmd)
    from sqlalchemy.orm import Session
    real_scalar, real_case = Session.scalar, AccountActionActivities._case
    looks = []

    def stale(self, stmt, *a, **kw):
        if "legal_case_events" in str(stmt) and not looks:
            looks.append(1)
            return None
        return real_scalar(self, stmt, *a, **kw)

    def case_as_read_before_the_winner_committed(session, c):
        case = real_case(session, c)
        if not looks:
            case.state, case.last_event_on, case.costs, case.recoverable_costs = (
                "referred", case.referred_on, Decimal(0), Decimal(0))
        return case

    # The loser saw no event and the case still referred: its insert hits the unique key.
    monkeypatch.setattr(Session, "scalar", stale)
    monkeypatch.setattr(AccountActionActivities, "_case", staticmethod(case_as_read_before_the_winner_committed))
    loser = env.actions.record_legal_event(cmd)
    assert looks == [1] and not loser.created and loser.state == LegalState.FILED
    assert env.count(LegalCaseEvent) == 1 and env.count(OutboxMessage, topic="ledger") == 1
    (case,) = env.rows(LegalCaseRecord)
    assert (case.state, case.costs) == ("filed", Decimal("100"))

