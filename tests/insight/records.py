"""Hand-built records for the insight tests: a few rows per table, written as a test reads them.

Times are given as "day N at HH:MM" from a fixed origin (UTC), so every
expected figure can be worked out by hand in the test beside it.
"""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import count

from sqlalchemy.orm import Session, sessionmaker

from arrears.db.engine import make_engine, make_sessionmaker
from arrears.db.migrate import upgrade
from arrears.db.models import (
    Account,
    Agency,
    Base,
    AgencyCommission,
    AgencyPlacement,
    Collector,
    CollectorTask,
    Complaint,
    ContactAttempt,
    ContactOutcomeRecord,
    Episode,
    Payment,
    PromiseToPay,
    QualityReview,
    Recovery,
)

ORIGIN = datetime(2026, 3, 1, tzinfo=timezone.utc)  # a Sunday; March 2026 has 22 weekdays


def at(day: float, hour: int = 0, minute: int = 0) -> datetime:
    """Day ``day`` after the origin (day 0 is 1 March 2026) at HH:MM UTC."""
    return ORIGIN + timedelta(days=day, hours=hour, minutes=minute)


class Record:
    """A migrated database and small writers for each kind of fact."""

    def __init__(self, url: str, migrate: bool = True) -> None:
        if migrate:
            upgrade(url)
        self.engine = make_engine(url)
        if not migrate:  # the models' tables straight away: for property tests that build hundreds of records
            Base.metadata.create_all(self.engine)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)
        self._ids = count(1)

    def add(self, *rows) -> list:
        with self.sessions.begin() as s:
            s.add_all(rows)
            s.flush()
            for row in rows:
                s.refresh(row)
            s.expunge_all()
        return list(rows)

    # ---- people ------------------------------------------------------------------------

    def collector(self, collector_id: str, team: str = "east", role: str = "collector") -> None:
        with self.sessions() as s:
            if s.get(Collector, collector_id) is not None:
                return
        self.add(Collector(collector_id=collector_id, name=collector_id.upper(), team=team, role=role,
                           languages=["zh-CN"], regions=["SH-PD"], daily_capacity=50, updated_at=ORIGIN))

    def agency(self, agency_id: str, percent: str = "10") -> None:
        self.add(Agency(agency_id=agency_id, name=f"Agency {agency_id}", commission_percent=Decimal(percent),
                        capacity=100, placement_days=30, updated_at=ORIGIN))

    # ---- an account and its episode -------------------------------------------------------

    def episode(self, account_id: str, overdue: str = "1000.00", due: date = date(2026, 2, 20), started: datetime | None = None,
                currency: str = "CNY", tz: str = "UTC", outcome: str | None = None, closed: datetime | None = None,
                closing_balance: str | None = None, dpd_at_start: int | None = None, strategy: str = "default",
                strategy_hash: str = "h" * 64) -> str:
        started = started or at(0)
        with self.sessions.begin() as s:
            if s.get(Account, account_id) is None:
                s.add(Account(account_id=account_id, customer_name="Test", phone="+86 138 0000 0000", email="",
                              billing_address="somewhere", language="zh-CN", timezone=tz, risk_segment="medium",
                              currency=currency, created_at=started, updated_at=started))
        episode_id = f"ep-{account_id}-{next(self._ids)}"
        self.add(Episode(
            episode_id=episode_id, account_id=account_id, workflow_id=f"arrears-{account_id}", run_id="r",
            started_at=started, due_date=due,
            dpd_at_start=dpd_at_start if dpd_at_start is not None else (started.date() - due).days,
            currency=currency, opening_overdue=Decimal(overdue), opening_balance=Decimal(overdue) * 2,
            risk_segment="medium", strategy_name=strategy, strategy_hash=strategy_hash, outcome=outcome,
            closed_at=closed, closing_balance=Decimal(closing_balance) if closing_balance else None,
            closing_dpd=(closed.date() - due).days if closed else None,
        ))
        return episode_id

    def task(self, episode_id: str, kind: str = "call", holder: str | None = "c1", due: datetime | None = None,
             step_id: str = "early-call") -> int:
        account_id = episode_id.split("-")[1]
        (row,) = self.add(CollectorTask(
            idempotency_key=f"{episode_id}:{step_id}:{next(self._ids)}", episode_id=episode_id, account_id=account_id,
            step_id=step_id, kind=kind, status="open", dpd=10, stage="early", due_at=due or at(1, 10),
            created_at=due or at(1, 10), assigned_to=holder, assigned_at=due or at(1, 10), queue="collector",
            team="east", overdue_amount=Decimal("1000"), currency="CNY",
        ))
        return row.id

    def outcome(self, episode_id: str, task_id: int, outcome: str, by: str = "c1", when: datetime | None = None,
                seconds: int = 0, met: bool | None = None) -> None:
        account_id = episode_id.split("-")[1]
        visit = None if met is None else {"address_verified": True, "met_cardholder": met, "evidence": [], "safety_note": ""}
        self.add(ContactOutcomeRecord(task_id=task_id, episode_id=episode_id, account_id=account_id, outcome=outcome,
                                      duration_seconds=seconds, collector_id=by, note="", visit=visit,
                                      recorded_at=when or at(1, 11)))
        with self.sessions.begin() as s:
            s.get(CollectorTask, task_id).status = "done"

    def work(self, episode_id: str, outcome: str, by: str = "c1", when: datetime | None = None, seconds: int = 0,
             kind: str = "call", met: bool | None = None, step_id: str = "early-call") -> int:
        """A task opened and worked at the same moment: the usual shape of a call."""
        when = when or at(1, 10)
        task_id = self.task(episode_id, kind=kind, holder=by, due=when, step_id=step_id)
        self.outcome(episode_id, task_id, outcome, by=by, when=when, seconds=seconds, met=met)
        return task_id

    def contact(self, episode_id: str, when: datetime, channel: str = "sms", step_id: str = "early-sms",
                result: str = "queued", dpd: int = 5) -> int:
        account_id = episode_id.split("-")[1]
        (row,) = self.add(ContactAttempt(
            idempotency_key=f"{episode_id}:{step_id}@{next(self._ids)}", episode_id=episode_id, account_id=account_id,
            step_id=step_id, channel=channel, template=channel, language="zh-CN", recipient="x", subject=None,
            rendered_text="text", dpd=dpd, stage="early", catch_up=False, scheduled_for=when, attempted_at=when,
            result=result, adapter="outbox",
        ))
        return row.id

    def pay(self, episode_id: str, amount: str, when: datetime, payment_id: str | None = None, currency: str = "CNY",
            channel: str = "bank_transfer") -> int:
        account_id = episode_id.split("-")[1]
        (row,) = self.add(Payment(
            account_id=account_id, payment_id=payment_id or f"P{next(self._ids)}", episode_id=episode_id,
            amount=Decimal(amount), currency=currency, paid_at=when, channel=channel, dpd=10,
            overdue_after=Decimal(0), total_after=Decimal(0), recorded_at=when,
        ))
        return row.id

    def place(self, episode_id: str, agency_id: str, placed: datetime, ended: datetime | None = None,
              status: str = "placed", currency: str = "CNY") -> int:
        account_id = episode_id.split("-")[1]
        (row,) = self.add(AgencyPlacement(
            idempotency_key=f"{episode_id}:agency:{next(self._ids)}", agency_id=agency_id, account_id=account_id,
            episode_id=episode_id, commission_percent=Decimal("10"), placement_days=30, placed_at=placed,
            ends_at=placed + timedelta(days=30), status=status, renewals=0, ended_at=ended, reason="",
            currency=currency, collected=Decimal(0),
        ))
        return row.id

    def commission(self, episode_id: str, placement_id: int, agency_id: str, payment_id: str, amount: str, commission: str) -> None:
        account_id = episode_id.split("-")[1]
        self.add(AgencyCommission(account_id=account_id, payment_id=payment_id, placement_id=placement_id,
                                  agency_id=agency_id, payment_amount=Decimal(amount), percent=Decimal("10"),
                                  commission=Decimal(commission), currency="CNY", recorded_at=ORIGIN))

    def promise(self, episode_id: str, amount: str, made: datetime, status: str, by: str = "c1",
                resolved: datetime | None = None, currency: str = "CNY") -> None:
        account_id = episode_id.split("-")[1]
        self.add(PromiseToPay(
            account_id=account_id, promise_id=f"PTP{next(self._ids)}", episode_id=episode_id, amount=Decimal(amount),
            currency=currency, promised_date=(made + timedelta(days=3)).date(), deadline=made + timedelta(days=4),
            collector_id=by, channel="call", made_at=made, made_dpd=10, status=status, resolved_at=resolved,
        ))

    def complaint(self, account_id: str, received: datetime, collector: str | None = None, agency: str | None = None,
                  deadline_days: int = 15, resolved: datetime | None = None, category: str = "conduct") -> None:
        deadline = received + timedelta(days=deadline_days)
        self.add(Complaint(
            account_id=account_id, complaint_id=f"C{next(self._ids)}", episode_id=None, channel="call",
            category=category, description="", collector_id=collector, agency_id=agency, received_at=received,
            deadline_at=deadline, recorded_by="s1", status="resolved" if resolved else "open",
            outcome="upheld" if resolved else None, resolved_at=resolved,
            handled_in_time=(resolved <= deadline) if resolved else None, recorded_at=received,
        ))

    def review(self, episode_id: str, task_id: int, score: str, collector: str | None = "c1", agency: str | None = None,
               worked: datetime | None = None, reviewer: str = "s1") -> None:
        account_id = episode_id.split("-")[1]
        self.add(QualityReview(
            review_key=f"task:{task_id}:{reviewer}:{next(self._ids)}", task_id=task_id, account_id=account_id, episode_id=episode_id, collector_id=collector, agency_id=agency,
            reviewer_id=reviewer, rubric_name="r", rubric_hash="h" * 64, scores={}, score=Decimal(score), comment="",
            worked_at=worked or at(1, 10), reviewed_at=worked or at(1, 10),
        ))

    def recovery(self, episode_id: str, amount: str, when: datetime) -> None:
        account_id = episode_id.split("-")[1]
        self.add(Recovery(
            idempotency_key=f"{episode_id}:recovery:{next(self._ids)}", account_id=account_id, episode_id=episode_id,
            payment_id=f"R{next(self._ids)}", amount=Decimal(amount), currency="CNY", channel="bank_transfer",
            paid_at=when, recovered_total_after=Decimal(amount), recorded_at=when,
        ))

    def close(self) -> None:
        self.engine.dispose()
