"""Notices the law requires, or allows, whatever else holds: the verification of a disputed debt,
and the one confirmation of an opt-out.

A dispute stops collection until the verification is sent (12 CFR 1006.38(d)(2)); the
verification itself is the one message the dispute hold does not stop. It goes through the
contact gate like every contact (another hold, a bankruptcy say, still stops it; a medium the
customer asked us not to use does not, 1006.14(h)(2)(iii)), is recorded as a contact, and while
it has not gone the gate keeps every collection message back (rule ``verification_owed``).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.evidence_chain import chain
from arrears.channels.adapter import ChannelAdapter, OutboundMessage
from arrears.channels.gateway import deliver
from arrears.channels.render import Renderer
from arrears.compliance.decision_record import earlier_decision, episode_policy, record_decision
from arrears.compliance.gate_record import CONFIRMATION_STEP, VERIFICATION_STEP, address_for, gate, sent
from arrears.contracts import keys
from arrears.contracts.collection_activities import NoticeResult
from arrears.db.models import Account, Consent, ContactAttempt, Episode, Hold, Payment
from arrears.domain.delinquency import days_past_due, stage_for_dpd
from arrears.domain.policy import ELECTRONIC, ContactPolicy, MessageKind, Verdict


@dataclass(frozen=True)
class Debt:
    """The figures a notice states, as the record has them."""

    currency: str
    overdue: Decimal
    balance: Decimal
    due_date: date
    dpd: int


def debt_on_record(session: Session, episode_id: str, at: datetime) -> Debt | None:
    """The episode's figures now: its latest recorded payment's balances, else its opening ones."""
    episode = session.get(Episode, episode_id)
    account = session.get(Account, episode.account_id) if episode is not None else None
    if episode is None or account is None:
        return None
    last = session.scalars(
        select(Payment)
        .where(Payment.episode_id == episode_id)
        .order_by(Payment.paid_at.desc(), Payment.id.desc())
        .limit(1)
    ).first()
    overdue, balance = (
        (last.overdue_after, last.total_after) if last else (episode.opening_overdue, episode.opening_balance)
    )
    return Debt(
        episode.currency, overdue, balance, episode.due_date, days_past_due(episode.due_date, at, account.timezone)
    )


def verify_dispute(
    session: Session,
    renderer: Renderer,
    adapter: ChannelAdapter,
    *,
    episode_id: str,
    account_id: str,
    hold_id: str,
    at: datetime,
    debt: Debt,
    policy: ContactPolicy | None,
    key: str,
    now: datetime,
    verified: str = "",
) -> NoticeResult:
    """Send (or find) the verification letter for one dispute; deferred or suppressed by the gate's rule."""
    earlier = session.scalar(select(ContactAttempt).where(ContactAttempt.idempotency_key == key))
    if earlier is not None:
        return NoticeResult(
            kind="sent" if sent(earlier.result) else "suppressed",
            channel="letter",
            record_id=earlier.id,
            duplicate=True,
            rule="",
            detail=earlier.result,
        )
    account = session.get(Account, account_id)
    if account is None:
        raise ValueError(f"account {account_id} is not in the system of record")
    policy = episode_policy(session, episode_id, policy)
    template = policy.verification_template
    dkey = keys.decision_key(key, at)
    row = earlier_decision(session, dkey) or record_decision(
        session,
        dkey,
        episode_id,
        account_id,
        VERIFICATION_STEP,
        "letter",
        at,
        gate(
            session,
            account,
            "letter",
            at,
            policy,
            template=template,
            episode_id=episode_id,
            kind=MessageKind.DISPUTE_VERIFICATION,
        ),
        policy,
        now,
    )
    if row.verdict == Verdict.DEFER.value:
        return NoticeResult(
            kind="deferred",
            channel="letter",
            record_id=row.id,
            duplicate=False,
            rule=row.rule,
            detail=f"{row.rule}: {row.detail}",
            deferred_until=row.until,
        )
    hold = session.scalar(select(Hold).where(Hold.account_id == account_id, Hold.hold_id == hold_id))
    rendered = renderer.render(
        account.language,
        template,
        customer_name=account.customer_name,
        account_id=account_id,
        overdue_amount=debt.overdue,
        total_balance=debt.balance,
        currency=debt.currency,
        due_date=debt.due_date,
        dpd=debt.dpd,
        dispute_ref=f"{hold_id}" + (f", {hold.evidence_ref}" if hold is not None and hold.evidence_ref else ""),
        disputed=hold.reason if hold is not None else "",
        verified=verified,
    )
    recipient = account.billing_address or ""
    if row.verdict != Verdict.ALLOW.value:
        result = f"suppressed:{row.rule}"
    elif not recipient:
        result = "no_address"
    else:
        result = deliver(
            session,
            adapter,
            row,
            OutboundMessage(
                idempotency_key=key,
                topic="letter",
                account_id=account_id,
                payload={
                    "to": recipient,
                    "language": account.language,
                    "subject": rendered.subject,
                    "body": rendered.body,
                    "template": template,
                    "registered": True,
                },
            ),
            now,
        )
    attempt = ContactAttempt(
        idempotency_key=key,
        episode_id=episode_id,
        account_id=account_id,
        step_id=VERIFICATION_STEP,
        channel="letter",
        template=template,
        language=account.language,
        recipient=recipient,
        subject=rendered.subject,
        rendered_text=rendered.body,
        dpd=debt.dpd,
        stage=stage_for_dpd(debt.dpd).value,
        catch_up=False,
        scheduled_for=at,
        attempted_at=at,
        result=result,
        adapter=adapter.name,
    )
    session.add(attempt)
    chain(session, attempt)
    kind = "sent" if sent(result) else "suppressed"
    return NoticeResult(
        kind=kind,
        channel="letter",
        record_id=attempt.id,
        duplicate=False,
        rule=row.rule,
        detail=f"{row.rule}: {row.detail}" if kind != "sent" else result,
    )


def confirm_opt_out(
    session: Session,
    renderer: Renderer,
    adapter: ChannelAdapter,
    consent: Consent,
    now: datetime,
    policy: ContactPolicy | None = None,
) -> NoticeResult:
    """The one confirmation an electronic opt-out may receive (12 CFR 1006.14(h)(2)(i)): a message that
    says nothing but that the request was received and will be honoured, through the gate, to the
    address opted out (for a whole medium, the account's current one). Recorded as a contact of the
    account's latest episode under ``opt-out-confirmation:<consent id>``; without an episode there is
    nothing to record it against, and nothing is sent."""
    channel = consent.channel
    key_step = f"{CONFIRMATION_STEP}{consent.id}"
    account = session.get(Account, consent.account_id)
    episode = session.scalar(
        select(Episode).where(Episode.account_id == consent.account_id).order_by(Episode.started_at.desc()).limit(1)
    )
    if consent.status != "opted_out" or channel not in ELECTRONIC or account is None or episode is None:
        return NoticeResult(
            kind="suppressed",
            channel=channel,
            record_id=None,
            duplicate=False,
            rule="not_confirmable",
            detail="only an electronic opt-out of an account with an episode is confirmed",
        )
    key = keys.confirmation_key(episode.episode_id, key_step)
    earlier = session.scalar(select(ContactAttempt).where(ContactAttempt.idempotency_key == key))
    if earlier is not None:
        return NoticeResult(
            kind="sent" if sent(earlier.result) else "suppressed",
            channel=channel,
            record_id=earlier.id,
            duplicate=True,
            rule="",
            detail=earlier.result,
        )
    policy = episode_policy(session, episode.episode_id, policy)
    template = policy.opt_out_confirmation_templates.get(channel)
    address = consent.address if consent.scope == "address" else address_for(account, channel)
    decision = gate(
        session,
        account,
        channel,
        now,
        policy,
        template=template,
        episode_id=episode.episode_id,
        kind=MessageKind.OPT_OUT_CONFIRMATION,
        address=address,
    )
    row = record_decision(
        session,
        keys.decision_key(key, now),
        episode.episode_id,
        account.account_id,
        key_step[:64],
        channel,
        now,
        decision,
        policy,
        now,
    )
    if row.verdict == Verdict.DEFER.value:
        return NoticeResult(
            kind="deferred",
            channel=channel,
            record_id=row.id,
            duplicate=False,
            rule=row.rule,
            detail=f"{row.rule}: {row.detail}",
            deferred_until=row.until,
        )
    debt = debt_on_record(session, episode.episode_id, now)
    if template is None:  # rendering cannot go on; say which setting is missing rather than fail inside Jinja
        raise ValueError(f"the contact policy names no opt-out confirmation template for {channel}")
    rendered = renderer.render(
        account.language,
        template,
        customer_name=account.customer_name,
        account_id=account.account_id,
        overdue_amount=debt.overdue if debt else Decimal(0),
        total_balance=debt.balance if debt else Decimal(0),
        currency=episode.currency,
        due_date=episode.due_date,
        dpd=debt.dpd if debt else 0,
    )
    if row.verdict != Verdict.ALLOW.value:
        result = f"suppressed:{row.rule}"
    else:
        result = deliver(
            session,
            adapter,
            row,
            OutboundMessage(
                idempotency_key=key,
                topic=channel,
                account_id=account.account_id,
                payload={
                    "to": address,
                    "language": account.language,
                    "subject": rendered.subject,
                    "body": rendered.body,
                    "template": template,
                    "registered": False,
                },
            ),
            now,
        )
    attempt = ContactAttempt(
        idempotency_key=key,
        episode_id=episode.episode_id,
        account_id=account.account_id,
        step_id=key_step[:64],
        channel=channel,
        template=template,
        language=account.language,
        recipient=address,
        subject=rendered.subject,
        rendered_text=rendered.body,
        dpd=debt.dpd if debt else 0,
        stage=stage_for_dpd(debt.dpd if debt else 0).value,
        catch_up=False,
        scheduled_for=now,
        attempted_at=now,
        result=result,
        adapter=adapter.name,
    )
    session.add(attempt)
    chain(session, attempt)
    return NoticeResult(
        kind="sent" if sent(result) else "suppressed",
        channel=channel,
        record_id=attempt.id,
        duplicate=False,
        rule=row.rule,
        detail=result,
    )
