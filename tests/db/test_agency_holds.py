"""Cease contact and agencies, on SQLite and PostgreSQL (issue 22 item 4): an account under a hold that stops
contact is not placed; an agency holding an account is told of a hold placed later, with its rules."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from arrears.desk.agencies import import_agencies
from arrears.contracts.collection_activities import HoldCommand, PlacementCommand
from arrears.db.models import AgencyPlacement, CollectorTask, ContactDecision, OutboxMessage
from arrears.domain.holds import HoldRecord, HoldType
from arrears.domain.policy import ContactPolicy
from arrears.domain.strategy import Action
from arrears.config.strategies import load_preset
from tests.db.test_activities_idempotency import NOW, Env, account_row, step_cmd

CN = ContactPolicy.model_validate(load_preset("cn-bank"))


@pytest.fixture
def env(any_db_url, tmp_path):
    e = Env(any_db_url)
    path = tmp_path / "agencies.csv"
    path.write_text("agency_id,name,commission_percent,capacity,placement_days\nAG1,North,15,10,30\n", encoding="utf-8")
    import_agencies(e.sessions, path, NOW)
    yield e
    e.engine.dispose()


def opened(env, account_id):
    env.add_account(account_row(account_id))
    return env.open(account_id)


def hold(env, account_id, episode, hold_type, hold_id="H-1", at=NOW):
    return env.acts.record_hold(HoldCommand(
        episode_id=episode, account_id=account_id, dpd=120, stage="late", currency="CNY", overdue_amount=Decimal("1"),
        hold=HoldRecord(hold_id=hold_id, hold_type=hold_type, reason="written request", placed_by="sup", placed_at=at)))


def place(env, account_id, episode):
    step = step_cmd(account_id, episode, Action.AGENCY, "late-agency", dpd=120, stage="late").model_copy(
        update={"compliance": CN})
    return env.acts.place_with_agency(PlacementCommand(step=step, timezone="Asia/Shanghai"))


@pytest.mark.parametrize("hold_type", [HoldType.CEASE_CONTACT, HoldType.DISPUTE, HoldType.BANKRUPTCY,
                                       HoldType.ATTORNEY_REPRESENTED])
def test_an_account_under_such_a_hold_is_not_placed(env, hold_type):
    episode = opened(env, "N1")
    hold(env, "N1", episode, hold_type, at=NOW - timedelta(days=1))
    result = place(env, "N1", episode)
    assert (result.placement, result.task_id, result.refused) == (None, None, f"hold:{hold_type.value}")
    assert result.detail.startswith(f"not placed: hold:{hold_type.value}")
    again = place(env, "N1", episode)
    assert again.duplicate and again.refused == result.refused
    assert env.count(AgencyPlacement) == 0 and env.count(OutboxMessage, topic="agency") == 0
    assert env.count(CollectorTask, kind="agency") == 0
    with env.sessions() as s:
        assert s.scalar(select(ContactDecision.rule).where(ContactDecision.channel == "agency")) == f"hold:{hold_type.value}"


def test_a_complaint_about_one_channel_does_not_stop_a_placement(env):
    episode = opened(env, "N2")
    env.acts.record_hold(HoldCommand(
        episode_id=episode, account_id="N2", dpd=120, stage="late", currency="CNY", overdue_amount=Decimal("1"),
        hold=HoldRecord(hold_id="CMP", hold_type=HoldType.COMPLAINT, channel="sms", reason="texts", placed_by="sup",
                        placed_at=NOW - timedelta(days=1))))
    assert place(env, "N2", episode).placement is not None


def test_a_placed_account_that_gets_a_cease_hold_has_its_agency_told_with_the_rules(env):
    episode = opened(env, "N3")
    placed = place(env, "N3", episode)
    assert placed.placement is not None
    hold(env, "N3", episode, HoldType.CEASE_CONTACT, hold_id="CC-9", at=NOW + timedelta(days=2))
    hold(env, "N3", episode, HoldType.CEASE_CONTACT, hold_id="CC-9", at=NOW + timedelta(days=2))  # a retry
    with env.sessions() as s:
        told = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "agency").order_by(OutboxMessage.id)).all()
        placement = s.scalar(select(AgencyPlacement))
    assert [m.payload["event"] for m in told] == ["placed", "hold"]
    notice = told[1].payload
    assert (notice["hold_type"], notice["contact"]) == ("cease_contact", "notices_only")
    assert "letter_remedy_notice" in notice["allowed"] and notice["decision_id"]
    assert "told of cease_contact hold CC-9" in placement.reason
