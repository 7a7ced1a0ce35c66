"""Tables of the system of record.

Every row a side-effecting activity writes carries an ``idempotency_key``
under a unique constraint: an activity retried after a crash finds its own
earlier row instead of writing (or sending) a second one.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, false, Integer, LargeBinary, String, Text, UniqueConstraint, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arrears.db.types import Money, UtcDateTime


class Base(DeclarativeBase):
    pass


def _ts() -> Mapped[datetime]:
    return mapped_column(UtcDateTime)


class Account(Base):
    """The customer's contact details: kept here, never in workflow histories."""

    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254), default="")
    billing_address: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    risk_segment: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    contacts: Mapped[dict | list | None] = mapped_column(JSON, nullable=True)
    # Set by a collector's wrong_number outcome; calls and texts stop until a new number is imported.
    phone_invalid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set when an email bounced: email stops until a different address is imported.
    email_invalid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Field-visit territory (a branch or district code); empty when the import did not say.
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()


class Episode(Base):
    """One delinquency episode: one run (chain) of the AccountCollection workflow."""

    __tablename__ = "episodes"

    episode_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    workflow_id: Mapped[str] = mapped_column(String(100))
    run_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = _ts()
    due_date: Mapped[date] = mapped_column(Date)
    dpd_at_start: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    opening_overdue: Mapped[Decimal] = mapped_column(Money)
    opening_balance: Mapped[Decimal] = mapped_column(Money)
    risk_segment: Mapped[str] = mapped_column(String(8))
    strategy_name: Mapped[str] = mapped_column(String(100))
    strategy_hash: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    outcome_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closing_dpd: Mapped[int | None] = mapped_column(Integer, nullable=True)
    closing_overdue: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    closing_balance: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    # What opened it (missed_due, over_limit, early_warning), and the risk model version that set
    # its current segment (None: the import's segment or a supervisor's), like strategy_hash.
    trigger: Mapped[str] = mapped_column(String(16), default="missed_due", server_default="missed_due")
    risk_model_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # The episode's collection clock (arrears.domain.clock.EpisodeClock), so that what the CLI and the
    # API write about the account is stamped in the episode's time (migration 0018). NULL: not known
    # yet; arrears.client.clock asks the workflow and keeps the answer here.
    clock_anchor_real: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    clock_anchor_virtual: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    day_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The contact policy its steps last ran under (compliance_policies), for the activities whose
    # command does not carry it (migration 0018).
    policy_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ArchivedHistory(Base):
    """A closed workflow run's full event history, kept past the namespace's retention.

    ``content`` is the history JSON (as ``temporal workflow show --output json``
    writes it) compressed with zlib; ``sha256`` is over the uncompressed JSON,
    so a row changed behind the system's back is caught when it is read.
    """

    __tablename__ = "archived_histories"
    __table_args__ = (UniqueConstraint("workflow_id", "run_id", name="uq_archived_histories_run"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(100), index=True)
    run_id: Mapped[str] = mapped_column(String(64))
    run_index: Mapped[int] = mapped_column(Integer)  # 0 for the episode's first run, then each continue-as-new
    workflow_type: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    episode_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    closed_at: Mapped[datetime] = _ts()
    close_event: Mapped[str] = mapped_column(String(40))
    events: Mapped[int] = mapped_column(Integer)
    json_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    archived_at: Mapped[datetime] = _ts()


class ContactAttempt(Base):
    """Evidence of every reminder: what was said, to whom, when, and how it went."""

    __tablename__ = "contact_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(300), nullable=True)
    rendered_text: Mapped[str] = mapped_column(Text)
    dpd: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))
    catch_up: Mapped[bool] = mapped_column(Boolean, default=False)
    scheduled_for: Mapped[datetime] = _ts()
    attempted_at: Mapped[datetime] = _ts()
    result: Mapped[str] = mapped_column(String(32))
    adapter: Mapped[str] = mapped_column(String(32))
    # Tamper evidence: each contact's hash covers its content and the previous contact's hash
    # for the account, so an edited or deleted record breaks the chain (arrears audit verify-chain).
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chain_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class OutboxMessage(Base):
    """Messages and events handed to other systems; they drain and mark them."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    topic: Mapped[str] = mapped_column(String(32), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = _ts()
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CollectorTask(Base):
    """Work for people: calls, field visits, agency placement, legal referral."""

    __tablename__ = "collector_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    dpd: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = _ts()
    created_at: Mapped[datetime] = _ts()
    note: Mapped[str] = mapped_column(Text, default="")
    # The desk: who works it (NULL while no eligible collector has room), in which
    # queue ("collector", or "supervisor" once its SLA has passed), and by when.
    assigned_to: Mapped[str | None] = mapped_column(
        ForeignKey("collectors.collector_id", name="fk_collector_tasks_assigned_to"), nullable=True, index=True
    )
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    queue: Mapped[str] = mapped_column(String(16), default="collector", server_default="collector", index=True)
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sla_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # What eligibility was judged on, kept so the sweep can reassign without the strategy.
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    required_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    overdue_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    # The contact policy the task was opened under (compliance_policies): the desk gates the call or
    # visit by it when it is worked (migration 0018). NULL: the configured strategy's, or the baseline.
    policy_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Collector(Base):
    """A member of the collections team, from the roster file."""

    __tablename__ = "collectors"

    collector_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    languages: Mapped[list] = mapped_column(JSON)
    regions: Mapped[list] = mapped_column(JSON)
    daily_capacity: Mapped[int] = mapped_column(Integer)
    # Absent collectors get no new work and their open tasks are reassigned;
    # a collector dropped from the roster is inactive (kept: tasks and outcomes name them).
    absent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = _ts()


class TaskAssignment(Base):
    """Every change of a task's owner or queue, with why and by whom: the desk's evidence."""

    __tablename__ = "task_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("collector_tasks.id"), index=True)
    collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    previous_collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    queue: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = _ts()


class AccountAction(Base):
    """Actions on the account itself: card restriction, bureau report, charge-off."""

    __tablename__ = "account_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    dpd: Mapped[int] = mapped_column(Integer)
    executed_at: Mapped[datetime] = _ts()
    overdue_amount: Mapped[Decimal] = mapped_column(Money)
    total_balance: Mapped[Decimal] = mapped_column(Money)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("account_id", "payment_id", name="uq_payments_account_payment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    payment_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = _ts()
    channel: Mapped[str] = mapped_column(String(32))
    dpd: Mapped[int] = mapped_column(Integer)
    overdue_after: Mapped[Decimal] = mapped_column(Money)
    total_after: Mapped[Decimal] = mapped_column(Money)
    recorded_at: Mapped[datetime] = _ts()


class StageEvent(Base):
    __tablename__ = "stage_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    previous_stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    dpd: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = _ts()


class PromiseToPay(Base):
    """A customer's promise: what, by when, who took it, and whether it was kept."""

    __tablename__ = "promises"
    __table_args__ = (UniqueConstraint("account_id", "promise_id", name="uq_promises_account_promise"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    promise_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    promised_date: Mapped[date] = mapped_column(Date)
    deadline: Mapped[datetime] = _ts()
    collector_id: Mapped[str] = mapped_column(String(64))
    supervisor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    made_at: Mapped[datetime] = _ts()
    made_dpd: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    paid_toward: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Settlement(Base):
    """A discounted payoff offer and its end: paid (with the amount forgiven) or expired."""

    __tablename__ = "settlements"
    __table_args__ = (UniqueConstraint("account_id", "offer_id", name="uq_settlements_account_offer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    offer_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    balance_at_offer: Mapped[Decimal] = mapped_column(Money)
    expires_on: Mapped[date] = mapped_column(Date)
    expires_at: Mapped[datetime] = _ts()
    approved_by: Mapped[str] = mapped_column(String(64))
    approver_role: Mapped[str] = mapped_column(String(16))
    made_at: Mapped[datetime] = _ts()
    status: Mapped[str] = mapped_column(String(16), index=True)
    paid_toward: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    forgiven: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Plan(Base):
    """A negotiated instalment plan, its schedule and terms, and how it ended."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("account_id", "plan_id", name="uq_plans_account_plan"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Money)
    schedule: Mapped[list] = mapped_column(JSON)  # [{"due_date": "YYYY-MM-DD", "amount": "123.45"}]
    fee_waiver: Mapped[Decimal] = mapped_column(Money)
    rate_discount_percent: Mapped[Decimal] = mapped_column(Money)
    approved_by: Mapped[str] = mapped_column(String(64))
    approver_role: Mapped[str] = mapped_column(String(16))
    made_at: Mapped[datetime] = _ts()
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    paid_into: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ContactOutcomeRecord(Base):
    """What a collector recorded for a call or visit task: one outcome per task."""

    __tablename__ = "contact_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("collector_tasks.id"), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(32), index=True)
    reason_for_delinquency: Mapped[str | None] = mapped_column(String(32), nullable=True)
    duration_seconds: Mapped[int] = mapped_column(Integer)
    collector_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    callback_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    visit: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # report with evidence paths and SHA-256
    recorded_at: Mapped[datetime] = _ts()


class Agency(Base):
    """An outside collection agency under contract, from the agencies file."""

    __tablename__ = "agencies"

    agency_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    commission_percent: Mapped[Decimal] = mapped_column(Money)
    capacity: Mapped[int] = mapped_column(Integer)
    placement_days: Mapped[int] = mapped_column(Integer)
    # An agency dropped from the file takes no new accounts; kept because placements name it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = _ts()


class AgencyPlacement(Base):
    """An account placed with an agency for a period: renewed while it collects, else recalled."""

    __tablename__ = "agency_placements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    agency_id: Mapped[str] = mapped_column(
        ForeignKey("agencies.agency_id", name="fk_agency_placements_agency_id"), index=True
    )
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_agency_placements_episode_id"), index=True
    )
    # The terms as agreed when placed: a later agencies file does not change a running placement.
    commission_percent: Mapped[Decimal] = mapped_column(Money)
    placement_days: Mapped[int] = mapped_column(Integer)
    placed_at: Mapped[datetime] = _ts()
    ends_at: Mapped[datetime] = _ts()
    status: Mapped[str] = mapped_column(String(16), index=True)  # placed | renewed | recalled | closed
    renewals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    collected: Mapped[Decimal] = mapped_column(Money)


class AgencyCommission(Base):
    """What an agency earns on one payment it reported: one row per payment."""

    __tablename__ = "agency_commissions"
    __table_args__ = (UniqueConstraint("account_id", "payment_id", name="uq_agency_commissions_account_payment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    payment_id: Mapped[str] = mapped_column(String(64))
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("agency_placements.id", name="fk_agency_commissions_placement_id"), index=True
    )
    agency_id: Mapped[str] = mapped_column(String(64), index=True)
    payment_amount: Mapped[Decimal] = mapped_column(Money)
    percent: Mapped[Decimal] = mapped_column(Money)
    commission: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    recorded_at: Mapped[datetime] = _ts()


class ContactDecision(Base):
    """Every decision of the contact policy gate, with its rule and inputs: the answer to
    "why was this customer called at 20:55 on Tuesday, and why not on Sunday?"."""

    __tablename__ = "contact_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(250), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id", name="fk_contact_decisions_episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    proposed_at: Mapped[datetime] = _ts()  # collection time the contact was due
    verdict: Mapped[str] = mapped_column(String(16), index=True)  # allow | defer | suppress
    rule: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # a deferral's next permitted moment
    detail: Mapped[str] = mapped_column(Text)
    inputs: Mapped[dict] = mapped_column(JSON)
    preset: Mapped[str] = mapped_column(String(32))
    decided_at: Mapped[datetime] = _ts()


class Hold(Base):
    """A hold on an account: dispute, cease contact, hardship, bankruptcy, deceased, complaint, ..."""

    __tablename__ = "holds"
    __table_args__ = (UniqueConstraint("account_id", "hold_id", name="uq_holds_account_hold"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    hold_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id", name="fk_holds_episode_id"), index=True)
    hold_type: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)  # a complaint's channel
    reason: Mapped[str] = mapped_column(Text)
    evidence_ref: Mapped[str] = mapped_column(String(500), default="")
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = _ts()
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # active | released | expired
    resolution: Mapped[str | None] = mapped_column(String(32), nullable=True)  # e.g. verified (a dispute)
    released_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Consent(Base):
    """Consents and opt-outs per channel and address (or a whole medium), as recorded.

    The latest record covering an address wins: one about that address, or one with
    ``scope = medium`` (address ``*``) about every address of the channel, a later one included
    (12 CFR 1006.14(h), comment 14(h)(1)-3.i: "stop calling" covers every number). A
    ``consented`` record is prior consent to calls (1006.14(b)(3)(i)) from ``valid_from`` to
    ``valid_until``."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(254))  # "*" for a whole medium
    status: Mapped[str] = mapped_column(String(16))  # opted_in | opted_out | invalid | consented
    source: Mapped[str] = mapped_column(String(64))  # e.g. "sms reply STOP", "call", "bounce"
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = _ts()
    scope: Mapped[str] = mapped_column(String(8), default="address", server_default="address")  # address | medium
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CompliancePolicy(Base):
    """A contact policy as a task was opened under it, by content hash (migration 0018)."""

    __tablename__ = "compliance_policies"

    policy_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    preset: Mapped[str] = mapped_column(String(32))
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = _ts()


class CollectorContact(Base):
    """A call dialled or a visit begun on a task: when (``started_at``, collection time), what number
    or address, and the gate's decision at that moment (migration 0018).

    ``entered``: ``live`` (started through the desk, refused when the gate forbids), ``after_the_fact``
    (the collector gave the dial time later; kept, and flagged with ``violation_rule`` when the gate
    would have forbidden it) or ``from_outcome`` (no start was recorded; the outcome's time stands in)."""

    __tablename__ = "collector_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("collector_tasks.id", name="fk_collector_contacts_task_id"), unique=True
    )
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_collector_contacts_episode_id"), index=True
    )
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # call | visit
    collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    started_at: Mapped[datetime] = _ts()
    dialled: Mapped[str] = mapped_column(String(500))  # the number dialled or the address visited
    entered: Mapped[str] = mapped_column(String(16))
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_decisions.id", name="fk_collector_contacts_decision_id"), nullable=True
    )
    violation_rule: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    violation_detail: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = _ts()


class EffectiveCollection(Base):
    """A contact that reached the cardholder, with its evidence (the malicious-overdraft register)."""

    __tablename__ = "effective_collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_effective_collections_episode_id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # right_party_contact | visit_met | letter_delivered
    occurred_at: Mapped[datetime] = _ts()
    source_ref: Mapped[str] = mapped_column(String(100))  # task id, contact attempt key
    evidence: Mapped[dict] = mapped_column(JSON)


class StrategyChange(Base):
    """A running episode moved to another strategy by an explicit, recorded decision."""

    __tablename__ = "strategy_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id", name="fk_strategy_changes_episode_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    from_name: Mapped[str] = mapped_column(String(100))
    from_hash: Mapped[str] = mapped_column(String(64))
    to_name: Mapped[str] = mapped_column(String(100))
    to_hash: Mapped[str] = mapped_column(String(64))
    applied_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    dpd: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = _ts()


class LedgerPosting(Base):
    """One line of an episode's ledger: signed changes to principal, interest and fees, with why.

    Written by the ledger activity from the pure computation (arrears.domain.ledger);
    ``posting_key`` is that computation's stable key, so a retry posts nothing twice.
    """

    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    posting_key: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_ledger_postings_episode_id"), index=True
    )
    posted_on: Mapped[date] = mapped_column(Date)  # the account's local date
    kind: Mapped[str] = mapped_column(String(16))  # interest | fee | payment | waiver | write_off | recovery
    currency: Mapped[str] = mapped_column(String(3))
    principal: Mapped[Decimal] = mapped_column(Money)
    interest: Mapped[Decimal] = mapped_column(Money)
    fees: Mapped[Decimal] = mapped_column(Money)
    unapplied: Mapped[Decimal] = mapped_column(Money)  # received but not owed: overpayment or recovery
    explanation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _ts()


class Reage(Base):
    """An account brought current by agreement; counted per account against the re-age limits."""

    __tablename__ = "reages"
    __table_args__ = (UniqueConstraint("account_id", "reage_id", name="uq_reages_account_reage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    reage_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.episode_id", name="fk_reages_episode_id"), index=True)
    reaged_on: Mapped[date] = mapped_column(Date)  # the account's local date
    approved_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    overdue_cleared: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    recorded_at: Mapped[datetime] = _ts()


# ---- account actions: card restrictions, blacklist, bureau, legal (migration 0013) ----------


class CardRestriction(Base):
    """One restriction level on an account's card: applied once, lifted at most once."""

    __tablename__ = "card_restrictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Keyed per episode and level: a step retried, or a later step reaching the same level, applies it once.
    apply_key: Mapped[str] = mapped_column(String(200), unique=True)
    lift_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_card_restrictions_episode_id"), index=True
    )
    level: Mapped[str] = mapped_column(String(32))
    step_id: Mapped[str] = mapped_column(String(64))
    dpd: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = _ts()
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    lift_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)


class BlacklistEntryRecord(Base):
    """An account on the internal blacklist: no new card or limit increase while it applies."""

    __tablename__ = "blacklist_entries"
    __table_args__ = (UniqueConstraint("episode_id", "reason", name="uq_blacklist_entries_episode_reason"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_blacklist_entries_episode_id"), index=True
    )
    reason: Mapped[str] = mapped_column(String(64))
    blocks: Mapped[list] = mapped_column(JSON)  # purposes, as the policy said when listed
    listed_from: Mapped[date] = mapped_column(Date)
    listed_until: Mapped[date | None] = mapped_column(Date, nullable=True)  # first day no longer listed
    dpd: Mapped[int] = mapped_column(Integer)
    listed_at: Mapped[datetime] = _ts()
    removal_set_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class BureauNotice(Base):
    """The prior notice of negative credit reporting, as sent."""

    __tablename__ = "bureau_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_bureau_notices_episode_id"), index=True
    )
    sent_on: Mapped[date] = mapped_column(Date)  # the account's local date: the notice period counts from it
    sent_at: Mapped[datetime] = _ts()
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(500))
    rendered_text: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(32))
    dpd: Mapped[int] = mapped_column(Integer)
    step_id: Mapped[str] = mapped_column(String(64))  # the strategy step that sent it


class BureauReport(Base):
    """What one monthly cycle reported for one account, and what it held back."""

    __tablename__ = "bureau_reports"
    __table_args__ = (UniqueConstraint("account_id", "period", name="uq_bureau_reports_account_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_bureau_reports_episode_id"), index=True
    )
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # what is true
    reported_status: Mapped[str] = mapped_column(String(16))  # what the file says
    dpd: Mapped[int] = mapped_column(Integer)
    reported_dpd: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(4))
    overdue_amount: Mapped[Decimal] = mapped_column(Money)
    reported_overdue: Mapped[Decimal] = mapped_column(Money)
    total_balance: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    withheld: Mapped[bool] = mapped_column(Boolean)
    correction: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _ts()


class LegalCaseRecord(Base):
    """An account referred to the legal team: one case per episode."""

    __tablename__ = "legal_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_legal_cases_episode_id"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), index=True)
    referred_on: Mapped[date] = mapped_column(Date)
    last_event_on: Mapped[date] = mapped_column(Date)
    step_id: Mapped[str] = mapped_column(String(64))
    dpd: Mapped[int] = mapped_column(Integer)
    principal: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    criteria: Mapped[str] = mapped_column(String(64))
    decision: Mapped[list] = mapped_column(JSON)  # the reasons the criteria gave
    costs_recoverable: Mapped[bool] = mapped_column(Boolean)  # as the strategy said at referral
    costs: Mapped[Decimal] = mapped_column(Money)
    recoverable_costs: Mapped[Decimal] = mapped_column(Money)
    referred_at: Mapped[datetime] = _ts()


class LegalCaseEvent(Base):
    """An update to a legal case: a state change, a cost, a document (with its SHA-256), by whom."""

    __tablename__ = "legal_case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("legal_cases.id", name="fk_legal_case_events_case_id"), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    event_on: Mapped[date] = mapped_column(Date)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    cost: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    recoverable: Mapped[bool] = mapped_column(Boolean)
    document_path: Mapped[str | None] = mapped_column(String(500), nullable=True)  # before the evidence store (0017)
    document_id: Mapped[str | None] = mapped_column(String(67), nullable=True)  # an evidence-store id
    document_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = _ts()


# ---- recovery after charge-off (migration 0014) ---------------------------------------------------


class Recovery(Base):
    """A payment received after the write-off, against the written-off amount.

    Written by the recovery activity together with its ledger posting (same key,
    same transaction): a retried activity finds its row and posts nothing twice.
    """

    __tablename__ = "recoveries"
    __table_args__ = (UniqueConstraint("account_id", "payment_id", name="uq_recoveries_account_payment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)  # <episode_id>:recovery:<payment_id>
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_recoveries_episode_id"), index=True
    )
    payment_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(32))
    paid_at: Mapped[datetime] = _ts()
    recovered_total_after: Mapped[Decimal] = mapped_column(Money)
    recorded_at: Mapped[datetime] = _ts()


class RecoveryOutcomeRecord(Base):
    """How the recovery of a charged-off episode ended: recovered, settled or closed; one row per episode."""

    __tablename__ = "recovery_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)  # <episode_id>:recovery-outcome
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_recovery_outcomes_episode_id"), index=True
    )
    workflow_id: Mapped[str] = mapped_column(String(100))
    recovery_outcome: Mapped[str] = mapped_column(String(16), index=True)  # recovered | settled | closed
    reason: Mapped[str] = mapped_column(Text)
    closed_by: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    written_off: Mapped[Decimal] = mapped_column(Money)
    recovered_total: Mapped[Decimal] = mapped_column(Money)
    forgiven: Mapped[Decimal] = mapped_column(Money)
    closed_at: Mapped[datetime] = _ts()
    recorded_at: Mapped[datetime] = _ts()


# ---- security (migration 0017) ------------------------------------------------------------------


class ApiToken(Base):
    """A desk API bearer token: shown once when issued, kept as SHA-256, with a name, an expiry and its last use.

    The token's public part (``token_id``) finds the row; its secret is compared by hash in constant time.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_id: Mapped[str] = mapped_column(String(16), unique=True)
    collector_id: Mapped[str] = mapped_column(
        ForeignKey("collectors.collector_id", name="fk_api_tokens_collector_id"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _ts()
    expires_at: Mapped[datetime] = _ts()
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_used_from: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ApiRequest(Base):
    """Every write through the desk API, refused or done: who, what, when, from where, with what result."""

    __tablename__ = "api_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # None: not authenticated
    token_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    account_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    remote_addr: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)


class EvidenceFile(Base):
    """A file in the evidence store, for one account: its bytes live once under ARREARS_EVIDENCE_DIR by SHA-256."""

    __tablename__ = "evidence_files"
    __table_args__ = (UniqueConstraint("account_id", "sha256", name="uq_evidence_files_account_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    evidence_id: Mapped[str] = mapped_column(String(67), index=True)  # ev- and the SHA-256
    sha256: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255), default="")  # as uploaded, for people; never used as a path
    uploaded_by: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # api | cli
    uploaded_at: Mapped[datetime] = _ts()


# ---- insight: quality reviews, complaints, champion/challenger (migration 0019) -------------------


class QualityReview(Base):
    """A supervisor's score of a worked call or visit (or of an agency's work on a placement) against the
    rubric in the scorecard file."""

    __tablename__ = "quality_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # task:<id>:<reviewer> or placement:<id>:<ref>:<reviewer>: one review per piece of work and reviewer.
    review_key: Mapped[str] = mapped_column(String(250), unique=True)
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("collector_tasks.id", name="fk_quality_reviews_task_id"), nullable=True, index=True
    )
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency_placements.id", name="fk_quality_reviews_placement_id"), nullable=True, index=True
    )
    work_ref: Mapped[str] = mapped_column(String(100), default="")  # an agency's call recording, letter, ...
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_quality_reviews_episode_id"), index=True
    )
    # Whose work it was: the collector who recorded the outcome, or the agency holding the placement.
    collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    agency_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    reviewer_id: Mapped[str] = mapped_column(String(64))
    rubric_name: Mapped[str] = mapped_column(String(100))
    rubric_hash: Mapped[str] = mapped_column(String(64))
    scores: Mapped[dict] = mapped_column(JSON)  # {"communication": 4, ...} as given, on the rubric's scale
    score: Mapped[Decimal] = mapped_column(Money)  # the weighted score on 0-100
    comment: Mapped[str] = mapped_column(Text, default="")
    worked_at: Mapped[datetime] = _ts()  # when the work was done (the outcome's time): the month it counts in
    reviewed_at: Mapped[datetime] = _ts()


class Complaint(Base):
    """A customer's complaint: what about, whom, by when it must be answered, and how it ended."""

    __tablename__ = "complaints"
    __table_args__ = (UniqueConstraint("account_id", "complaint_id", name="uq_complaints_account_complaint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    complaint_id: Mapped[str] = mapped_column(String(64))
    episode_id: Mapped[str | None] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_complaints_episode_id"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(16))  # the channel complained about
    category: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    collector_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    agency_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    received_at: Mapped[datetime] = _ts()
    deadline_at: Mapped[datetime] = _ts()
    recorded_by: Mapped[str] = mapped_column(String(64))
    hold_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the complaint hold placed, if any
    hold_note: Mapped[str] = mapped_column(Text, default="")  # why no hold, when none was placed
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | resolved
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)  # upheld | partly_upheld | not_upheld | withdrawn
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    handled_in_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    recorded_at: Mapped[datetime] = _ts()


class ExperimentAssignment(Base):
    """Which arm of a champion/challenger experiment an account's episode runs, decided at import."""

    __tablename__ = "experiment_assignments"
    __table_args__ = (
        UniqueConstraint("experiment", "account_id", "due_date", name="uq_experiment_assignments_episode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment: Mapped[str] = mapped_column(String(64), index=True)
    arm: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    due_date: Mapped[date] = mapped_column(Date)  # the missed due date: one assignment per delinquency
    point: Mapped[int] = mapped_column(Integer)  # the hash point 0-9999 the shares were applied to
    traffic_version: Mapped[int] = mapped_column(Integer)  # 0: the file's shares; n: after the n-th promotion
    strategy_name: Mapped[str] = mapped_column(String(100))
    strategy_hash: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = _ts()


class ExperimentDecision(Base):
    """A recorded move of an experiment's traffic (arrears strategy promote): who decided, why, on what evidence."""

    __tablename__ = "experiment_decisions"
    __table_args__ = (UniqueConstraint("experiment", "version", name="uq_experiment_decisions_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    promoted_arm: Mapped[str] = mapped_column(String(32))
    previous_shares: Mapped[dict] = mapped_column(JSON)  # {"champion": "50", "challenger-a": "50"}
    shares: Mapped[dict] = mapped_column(JSON)
    decided_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON)  # the comparison as it stood when decided
    decided_at: Mapped[datetime] = _ts()



# ---- risk assessment (arrears/risk) -------------------------------------------------------------


class AccountBehaviour(Base):
    """One statement month of a card account, delinquent or not: the input for risk features.

    The statement is cut on the month's last day; its balance, minimum due, limit, cash
    advances and over-limit amount are as of that cut, ``amount_paid`` is what was paid
    during the month and ``payment_reversals`` the payments returned unpaid in it. A row is
    known from the day after the cut: features as of a date use only months ended before it.
    """

    __tablename__ = "account_behaviour"
    __table_args__ = (UniqueConstraint("account_id", "statement_month", name="uq_account_behaviour_account_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    statement_month: Mapped[date] = mapped_column(Date)  # the month's first day
    credit_limit: Mapped[Decimal] = mapped_column(Money)
    statement_balance: Mapped[Decimal] = mapped_column(Money)
    minimum_due: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money)
    cash_advance: Mapped[Decimal] = mapped_column(Money)
    over_limit_amount: Mapped[Decimal] = mapped_column(Money)
    months_on_book: Mapped[int] = mapped_column(Integer)
    payment_reversals: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    payment_due_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # the statement's due date
    imported_at: Mapped[datetime] = _ts()


class RiskModel(Base):
    """A trained risk model, registered by the SHA-256 of its file's content; one active per target."""

    __tablename__ = "risk_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_hash: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[str] = mapped_column(String(80), unique=True)
    target: Mapped[str] = mapped_column(String(32), index=True)
    content: Mapped[dict] = mapped_column(JSON)  # the model file itself: a rollback needs nothing else
    card: Mapped[str] = mapped_column(Text)
    trained_at: Mapped[datetime] = _ts()
    registered_at: Mapped[datetime] = _ts()
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    activated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class RiskSegmentChange(Base):
    """A risk segment set on a running episode, by the model or a supervisor: one row per request."""

    __tablename__ = "risk_segment_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)  # <episode_id>:<request_id>
    episode_id: Mapped[str] = mapped_column(
        ForeignKey("episodes.episode_id", name="fk_risk_segment_changes_episode_id"), index=True
    )
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    request_id: Mapped[str] = mapped_column(String(100))
    segment: Mapped[str] = mapped_column(String(8))  # what the ladder follows after the request
    previous: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))  # model | supervisor
    model_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    reasons: Mapped[list] = mapped_column(JSON)
    set_by: Mapped[str] = mapped_column(String(64))
    override: Mapped[bool] = mapped_column(Boolean)
    release_override: Mapped[bool] = mapped_column(Boolean)
    changed: Mapped[bool] = mapped_column(Boolean)
    overridden: Mapped[bool] = mapped_column(Boolean)  # a model's request an override outranked
    dpd: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = _ts()


class WatchlistEntry(Base):
    """An account not yet delinquent that the early-warning rules or score flagged on a date."""

    __tablename__ = "watchlist_entries"
    __table_args__ = (UniqueConstraint("as_of", "account_id", name="uq_watchlist_entries_day_account"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    flags: Mapped[list] = mapped_column(JSON)  # rule names, e.g. ["over_limit", "min_payment_streak"]
    reasons: Mapped[list] = mapped_column(JSON)  # each flag with its figures
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # a probability, not money
    model_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    listed_at: Mapped[datetime] = _ts()


class RescoreEvent(Base):
    """An event in the record that called for rescoring one episode, once handled."""

    __tablename__ = "rescore_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. promise:<account>:<promise_id>:broken
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    episode_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # broken_promise | broken_plan | job_loss
    handled_at: Mapped[datetime] = _ts()
