"""One gate for every contact, on SQLite and PostgreSQL (issue 22).

Every path that reaches a person is run once with the gate allowing it, and once under a hold that
stops contact; an adapter that witnesses each hand-over checks, at that moment, that the gate's
allowing decision for that message is on record. The set of (channel, message kind, party) seen
must be every one the system has; under the hold none reaches the adapter. A scan of the code makes
sure nothing else calls an adapter.
"""

import ast
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from activities.account_actions import AccountActionActivities
from arrears import PROJECT_ROOT
from arrears.contracts.account import BureauNoticeCommand
from arrears.desk.agencies import import_agencies
from arrears.channels.adapter import OutboundMessage, OutboxAdapter
from arrears.channels.gateway import CONTACT_TOPICS, GateRefused, deliver, publish
from arrears.compliance.consent_record import record_consent
from arrears.contracts.collection_activities import (
    AgencyHoldNoticeCommand,
    DisputeVerificationCommand,
    HoldCommand,
    HoldEndCommand,
    PlacementChangeCommand,
    PlacementCommand,
)
from arrears.db.models import Account, ContactDecision, OutboxMessage
from arrears.desk.calls import start
from arrears.domain.holds import HoldRecord, HoldType
from arrears.domain.ladder import ScheduledStep
from arrears.domain.policy import ContactPolicy
from arrears.domain.strategy import Action
from arrears.config.strategies import load_preset
from arrears.compliance.notices import confirm_opt_out
from tests.db.test_activities_idempotency import DUE, NOW, Env, account_row, step_cmd

REGF = ContactPolicy.model_validate(load_preset("us-regf"))
CN = ContactPolicy.model_validate(load_preset("cn-bank"))
CONTACTS = [{"name": "王强", "relationship": "guarantor", "phone": "+8613911112222"},
            {"name": "张伟", "relationship": "friend", "phone": "+8613977778888"}]


@dataclass
class Seen:
    topic: str
    kind: str
    party: str
    decision: ContactDecision | None


class Witness(OutboxAdapter):
    """An outbox adapter that notes, for each contact handed to it, the decision on record for it then."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []

    def deliver(self, session, message, now):
        if message.topic in CONTACT_TOPICS:
            found = message.payload.get("decision_id")
            decision = session.get(ContactDecision, found) if found is not None else None
            inputs = decision.inputs if decision is not None else {}
            self.seen.append(Seen(message.topic, inputs.get("kind", "?"), inputs.get("party", "?"), decision))
        return super().deliver(session, message, now)


@pytest.fixture
def env(any_db_url):
    witness = Witness()
    e = Env(any_db_url, adapter=witness)
    e.witness = witness
    e.actions = AccountActionActivities(e.sessions, e.renderer, adapter=witness, clock=lambda: NOW)
    yield e
    e.engine.dispose()


def _open(env, account_id: str, **account) -> str:
    env.add_account(account_row(account_id).model_copy(update={"contacts": CONTACTS}))
    if account:
        with env.sessions.begin() as s:
            for name, value in account.items():
                setattr(s.get(Account, account_id), name, value)
    return env.open(account_id)


def _step(account_id, episode, action, step_id, template=None, policy=REGF, key=None):
    cmd = step_cmd(account_id, episode, action, step_id, template=template).model_copy(update={"compliance": policy})
    if key is not None:
        cmd = cmd.model_copy(update={"step": cmd.step.model_copy(update={"key": key})})
    return cmd


def _hold(account_id, episode, hold_id, hold_type, at=NOW):
    return HoldCommand(episode_id=episode, account_id=account_id, dpd=8, stage="early", currency="CNY",
                       overdue_amount=Decimal("1234.56"),
                       hold=HoldRecord(hold_id=hold_id, hold_type=hold_type, reason="in writing", placed_by="sup",
                                       placed_at=at))


def _every_path(env, tmp_path, account_id: str, episode: str, locate_account: str, locate_episode: str) -> None:
    """Each way the system reaches a person, once."""
    acts = env.acts
    # The ladder's messages under us-regf: the validation notice first, then the rest of the day's contacts.
    acts.execute_step(_step(account_id, episode, Action.LETTER, "validation-notice", "letter_validation_notice",
                            key="validation-notice"))
    for action, step_id, template in ((Action.SMS, "sms-1", "sms_early"), (Action.EMAIL, "email-1", "email_early"),
                                      (Action.IM, "im-1", "im_early"), (Action.LETTER, "letter-1", "letter_mid"),
                                      (Action.LETTER, "remedy-1", "letter_remedy_notice")):
        acts.execute_step(_step(account_id, episode, action, step_id, template))
    # Calls and visits: the ladder opens the task; the contact is the collector working it.
    for action in (Action.CALL, Action.VISIT):
        task = acts.execute_step(_step(account_id, episode, action, f"{action.value}-1"))
        if task.kind == "task":
            try:
                start(env.sessions, env.witness, task.record_id, "c-1", NOW, NOW)
            except Exception:  # noqa: BLE001 - refused under the hold: the witness sees nothing
                pass
    # The bureau's prior notice, a locate text, a guarantor text (cn-bank allows it).
    env.actions.record_bureau_notice(BureauNoticeCommand(
        episode_id=episode, account_id=account_id, step_id="bureau", dpd=35, sent_at=NOW, currency="CNY",
        overdue_amount=Decimal("1234.56"), total_balance=Decimal("8000.00"), due_date=DUE, compliance=REGF))
    acts.execute_step(_step(locate_account, locate_episode, Action.LOCATE, "locate-1", "sms_locate"))
    acts.execute_step(_step(account_id, episode, Action.GUARANTOR, "guarantor-1", "sms_guarantor", policy=CN))
    # An opt-out, and its one confirmation.
    with env.sessions.begin() as s:
        row = record_consent(s, account_id, "sms", "opted_out", "sms reply STOP", NOW + timedelta(minutes=1))
        confirm_opt_out(s, env.renderer, env.witness, row, NOW + timedelta(minutes=1), REGF)
    # An agency placement, a hold it is told about, the end of the placement.
    import_agencies(env.sessions, _agencies(tmp_path), NOW)
    placed = acts.place_with_agency(PlacementCommand(step=_step(account_id, episode, Action.AGENCY, "agency-1"),
                                                     timezone="Asia/Shanghai"))
    acts.notify_agency_of_hold(AgencyHoldNoticeCommand(episode_id=episode, account_id=account_id, hold_id="C-1",
                                                       hold_type=HoldType.CEASE_CONTACT, at=NOW))
    if placed.placement is not None:
        acts.close_placement(PlacementChangeCommand(
            episode_id=episode, account_id=account_id, idempotency_key=placed.placement.idempotency_key,
            status="closed", renewals=0, ends_at=NOW, reason="test", at=NOW))
    # A dispute, its verification, its release.
    acts.record_hold(_hold(account_id, episode, "D-1", HoldType.DISPUTE))
    acts.send_dispute_verification(DisputeVerificationCommand(
        episode_id=episode, account_id=account_id, hold_id="D-1", at=NOW, dpd=8, currency="CNY",
        overdue_amount=Decimal("1234.56"), total_balance=Decimal("8000.00"), due_date=DUE, compliance=REGF))
    acts.end_hold(HoldEndCommand(episode_id=episode, account_id=account_id, hold_id="D-1", status="released",
                                 resolution="verified", released_by="sup", at=NOW))


def _agencies(tmp_path: Path) -> Path:
    path = tmp_path / "agencies.csv"
    path.write_text("agency_id,name,commission_percent,capacity,placement_days\nAG1,North,15,10,30\n", encoding="utf-8")
    return path


EVERY_KIND = {
    ("letter", "validation_notice", "consumer"), ("sms", "collection", "consumer"), ("email", "collection", "consumer"),
    ("im", "collection", "consumer"), ("letter", "collection", "consumer"), ("letter", "remedy_notice", "consumer"),
    ("call", "collection", "consumer"), ("visit", "collection", "consumer"), ("letter", "bureau_notice", "consumer"),
    ("sms", "location", "third_party"), ("sms", "location", "guarantor"), ("sms", "collection", "guarantor"),
    ("sms", "opt_out_confirmation", "consumer"),
    ("agency", "agency_placement", "agency"), ("agency", "agency_notice", "agency"),
    ("letter", "dispute_verification", "consumer"),
}


def test_every_channel_and_kind_reaches_its_adapter_only_with_an_allowing_decision_on_record(env, tmp_path):
    episode = _open(env, "G1")
    locate_episode = _open(env, "G2", phone_invalid=True)
    _every_path(env, tmp_path, "G1", episode, "G2", locate_episode)
    seen = env.witness.seen
    for s in seen:
        assert s.decision is not None, f"{s.topic} {s.kind} reached the adapter without a decision"
        assert (s.decision.verdict, s.decision.account_id in ("G1", "G2")) == ("allow", True)
    assert {(s.topic, s.kind, s.party) for s in seen} == EVERY_KIND
    # The outbox holds exactly what the witness saw, each with its decision's id.
    with env.sessions() as s:
        contacts = s.scalars(select(OutboxMessage).where(OutboxMessage.topic.in_(CONTACT_TOPICS))).all()
    assert len(contacts) == len(seen) and all(m.payload["decision_id"] for m in contacts)


def test_under_a_hold_that_stops_contact_nothing_reaches_an_adapter(env, tmp_path):
    episode = _open(env, "B1")
    locate_episode = _open(env, "B2", phone_invalid=True)
    for account_id, ep in (("B1", episode), ("B2", locate_episode)):
        env.acts.record_hold(_hold(account_id, ep, "BK-1", HoldType.BANKRUPTCY, at=NOW - timedelta(days=1)))
    _every_path(env, tmp_path, "B1", episode, "B2", locate_episode)
    reached = [(s.topic, s.kind) for s in env.witness.seen]
    # Only the agency may be told (of the hold): nothing was placed, so not even that.
    assert reached == []
    with env.sessions() as s:
        refused = {d.rule for d in s.scalars(select(ContactDecision).where(ContactDecision.verdict != "allow"))}
    assert "hold:bankruptcy" in refused


def test_the_gateway_refuses_a_contact_without_an_allowing_decision(env):
    episode = _open(env, "R1")
    no = ContactDecision(idempotency_key="x@1", episode_id=episode, account_id="R1", step_id="s", channel="sms",
                         proposed_at=NOW, verdict="suppress", rule="opt_out", detail="", inputs={}, preset="p",
                         decided_at=NOW)
    message = OutboundMessage(idempotency_key="m1", topic="sms", account_id="R1", payload={})
    with env.sessions.begin() as s, pytest.raises(GateRefused):
        deliver(s, OutboxAdapter(), no, message, NOW)
    with env.sessions.begin() as s, pytest.raises(GateRefused):
        publish(s, OutboxAdapter(), message, NOW)  # a contact is not an event
    assert env.count(OutboxMessage) == 0


def test_nothing_else_in_the_code_calls_an_adapter():
    """The gateway is the only caller of ChannelAdapter.deliver (arrears/channels/ holds it)."""
    offenders = []
    for folder in ("arrears", "activities", "workflows"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            if path.parent.name == "channels":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "deliver":
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert offenders == []
