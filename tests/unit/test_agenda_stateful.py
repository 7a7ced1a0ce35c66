"""The agenda's invariants under any sequence of what can happen to an episode (hypothesis, stateful).

The machine drives the pure agenda and transitions exactly as the workflow's
loop and handlers do, with the activities' answers simulated: time passes
(with or without the worker), payments arrive (partial, full, or covering a
whole missed cycle so DPD re-anchors), promises are made and kept or broken
or replaced, plans and settlements are agreed, agencies place the account,
holds come and go, re-ages are granted, and a step's activity may still be
running while any of that happens. After every rule the invariants of
``arrears.domain.agenda.violations`` must hold, a step never runs twice, the
charge-off is never lost, and a lag never sends more than one missed reminder.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from arrears import PROJECT_ROOT
from arrears.domain import transitions as T
from arrears.domain.agency import PlacementRecord, placement_end
from arrears.domain.agenda import DueKind, agenda, charge_off_moment, violations
from arrears.domain.clock import EpisodeClock
from arrears.domain.delinquency import local_date
from arrears.domain.holds import HoldType, hold_days, hold_refusal
from arrears.domain.ladder import ScheduledStep
from arrears.domain.outcome import ContactOutcome
from arrears.domain.plan import Instalment, plan_refusal
from arrears.domain.promise import promise_refusal
from arrears.domain.reage import reage_refusal
from arrears.domain.settlement import settlement_refusal
from arrears.domain.strategy import REMINDERS, Action, Role, Segment
from arrears.config.strategies import load_strategy
from arrears.domain.transitions import StepDone, Terms

PRICED = load_strategy(PROJECT_ROOT / "strategies" / "default.toml")
UNPRICED = PRICED.model_copy(update={"pricing": None})
ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London"]
START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
SLACK = timedelta(seconds=1)


class EpisodeMachine(RuleBasedStateMachine):
    @initialize(priced=st.booleans(), zone=st.sampled_from(ZONES), dpd=st.integers(-5, 100),
                segment=st.sampled_from(list(Segment)), overdue=st.integers(100, 5000))
    def start(self, priced, zone, dpd, segment, overdue):
        self.now = START
        today = local_date(START, zone)
        self.terms = Terms(account_id="A-1", currency="CNY", timezone=zone, due_date=today - timedelta(days=dpd),
                           opening_overdue=Decimal(overdue), opening_balance=Decimal(overdue * 5),
                           strategy=PRICED if priced else UNPRICED)
        clock = EpisodeClock(anchor_real=START, anchor_virtual=START)
        self.ep = T.start(self.terms, "EP-1", clock, segment, START)
        self.ep.opened = True
        self.in_flight: ScheduledStep | None = None
        self.executed: list[str] = []
        self.ids = 0
        self.task_ids = 0

    # ---- helpers --------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        self.ids += 1
        return f"{prefix}-{self.ids}"

    @property
    def today(self) -> date:
        return local_date(self.now, self.terms.timezone)

    @property
    def open(self) -> bool:
        return self.ep.outcome is None

    def _answer(self, step: ScheduledStep, deferred: bool) -> StepDone:
        """What the activity would say: a reminder sent or deferred by the gate, a task opened, an account action."""
        if step.action in REMINDERS or step.action == Action.LOCATE:
            if deferred:
                return StepDone("deferred", deferred_until=self.now + timedelta(hours=9))
            return StepDone("contact", channel=step.action.value)
        if step.action in (Action.CALL, Action.VISIT):
            self.task_ids += 1
            return StepDone("task", channel=step.action.value, record_id=self.task_ids)
        if step.action == Action.AGENCY:
            T.placed(self.ep, PlacementRecord(
                placement_id=self.task_ids + 1000, idempotency_key=f"EP-1:{step.key}", agency_id="AG", agency_name="Ag",
                commission_percent=Decimal(15), placement_days=30, placed_at=self.now,
                ends_at=placement_end(self.now, 30, self.terms.timezone)))
            return StepDone("placement", channel="agency")
        if step.action == Action.LEGAL:
            again = T.legal_recheck_at(self.terms, step, None, 1, self.now, self.ep.anchor_due or self.terms.due_date)
            if again is not None:
                T.add_step(self.ep, again)
            return StepDone("legal", channel="legal")
        return StepDone("account_action", channel=step.action.value)

    def _act(self, deferred: bool = False) -> bool:
        """One turn of the loop at ``now``; False when nothing was due."""
        ep, terms, now = self.ep, self.terms, self.now
        if T.ledger_due(ep, terms, now):
            T.sync_ledger(ep, terms, now)
        plan = agenda(ep, terms.rules, now, SLACK)
        if not plan.due:
            return False
        due = plan.due[0]
        if due.kind == DueKind.NOTICE_RETRY:
            T.schedule_notice_retry(ep, None, posted=True, today=self.today)
        elif due.kind == DueKind.BLACKLIST:
            ep.blacklisted_on = self.today
        elif due.kind == DueKind.HOLD_EXPIRY:
            T.end_hold(ep, ep.holds[due.ref], "expired", None, None, now)
        elif due.kind == DueKind.PROMISE:
            T.judge_promise(ep, terms, ep.promises[due.ref], now)
        elif due.kind == DueKind.OFFER_EXPIRY:
            T.end_offer(ep, ep.settlements[due.ref], "expired", now)
        elif due.kind == DueKind.INSTALMENT:
            T.judge_instalment(ep, terms, ep.plans[due.ref], now)
        elif due.kind == DueKind.PLACEMENT_END:
            T.end_placement_period(ep, terms, now)
        elif due.kind == DueKind.CATCH_UP:
            T.apply_catch_up(ep, terms, now)
        elif due.kind == DueKind.CHARGE_OFF:
            T.write_off_balance(ep, terms, "test", now)
            T.charged_off(ep, "charge-off@180", T.dpd(ep, terms, now), "charge-off")
        else:
            step = next(s for s in ep.ladder if s.key == due.ref)
            T.begin_step(ep, step)
            self._finish(step, deferred)
        return True

    def _finish(self, step: ScheduledStep, deferred: bool) -> None:
        done = self._answer(step, deferred)
        T.finish_step(self.ep, step, done, self.now, SLACK)
        if done.kind != "deferred":
            self.executed.append(step.key)

    # ---- rules: time ----------------------------------------------------------------------

    @rule(hours=st.integers(1, 72))
    def time_passes_with_the_worker(self, hours):
        """The worker is up: every moment the agenda names is acted on when it comes (unless the loop is
        waiting for a step's activity: then time only passes)."""
        target = self.now + timedelta(hours=hours)
        if self.in_flight is not None:
            self.now = target
            return
        for _ in range(500):
            if not self.open:
                return
            while self._act():
                if not self.open:
                    return
            wake = agenda(self.ep, self.terms.rules, self.now, SLACK).wake_at
            if wake is None or wake > target or self.in_flight is not None:
                break
            self.now = max(wake, self.now + timedelta(milliseconds=1))
        self.now = target

    @rule(days=st.integers(2, 70))
    def worker_down_then_back(self, days):
        """The worker was behind for days: at most one missed reminder goes out when it catches up."""
        if self.in_flight is not None or not self.open:
            return
        self.now += timedelta(days=days)
        before = len(self.executed)
        today = self.today
        originals = {s.key: s.due_at for s in self.ep.ladder}
        for _ in range(500):
            if not self._act():
                break
        missed = [k for k in self.executed[before:] if k in originals
                  and local_date(originals[k], self.terms.timezone) < today
                  and any(k.startswith(s.id + "@") for s in self.terms.strategy.steps if s.action in REMINDERS)]
        assert len(missed) <= 1, f"missed reminders all sent at once: {missed}"

    @rule(deferred=st.booleans())
    def a_step_starts_and_stays_in_flight(self, deferred):
        if self.in_flight is not None or not self.open:
            return
        plan = agenda(self.ep, self.terms.rules, self.now, SLACK)
        due = plan.next_due
        if due is None or due.kind != DueKind.STEP:
            return
        self.in_flight = next(s for s in self.ep.ladder if s.key == due.ref)
        self.in_flight_deferred = deferred
        T.begin_step(self.ep, self.in_flight)

    @precondition(lambda self: self.in_flight is not None)
    @rule()
    def the_step_in_flight_finishes(self):
        step, self.in_flight = self.in_flight, None
        self._finish(step, self.in_flight_deferred)

    # ---- rules: money -------------------------------------------------------------------------

    def _pay(self, amount: Decimal) -> None:
        if not self.open or amount <= 0:
            return
        T.apply_payment(self.ep, self.terms, self._id("P"), amount, self.now, "bank_transfer", self.now)

    @rule(share=st.integers(1, 60))
    def partial_payment(self, share):
        self._pay((self.ep.overdue_amount * share / 100).quantize(Decimal("0.01")))

    @rule(chance=st.integers(0, 4))
    def full_payment(self, chance):
        if chance == 0:  # rarer than the rest, or most examples would end cured at once
            self._pay(self.ep.overdue_amount)

    @rule()
    def the_settlement_is_paid(self):
        offer = self.ep.offer
        if offer is not None:
            self._pay(offer.amount - (self.ep.paid_total - offer.paid_before))

    @rule()
    def payment_covering_the_oldest_cycle(self):
        """Covers the oldest unpaid cycle exactly: DPD re-anchors and the ladder is replanned."""
        if not T.priced(self.ep, self.terms) or not self.open:
            return
        ledger = T.ledger_of(self.ep, self.terms, self.today)
        unpaid = [c for c in ledger.cycles if c.unpaid > 0 and c.due_date <= ledger.as_of]
        if unpaid:
            self._pay(unpaid[0].unpaid + ledger.balances.fees + ledger.balances.interest)

    # ---- rules: agreements ----------------------------------------------------------------------

    @rule(days=st.integers(0, 14), share=st.integers(10, 100), replace=st.booleans())
    def promise(self, days, share, replace):
        ep = self.ep
        amount = (ep.overdue_amount * share / 100).quantize(Decimal("0.01"))
        refusal = promise_refusal(
            promise_id="x", amount=amount, promised_date=self.today + timedelta(days=days), collector_id="c-1",
            channel="call", note="", replace=replace, supervisor_id="s-1", today=self.today, overdue=ep.overdue_amount,
            existing=None, active=ep.promise, ended=ep.outcome.value if ep.outcome else None,
            broken_count=ep.broken_promises, policy=self.terms.strategy.promises)
        if refusal is None:
            T.make_promise(ep, self.terms, self._id("PR"), amount, self.today + timedelta(days=days), "c-1", "call", "",
                           "s-1", replace, self.now)

    @rule(count=st.integers(1, 6))
    def plan(self, count):
        ep = self.ep
        if ep.overdue_amount <= 0:
            return
        each = (ep.overdue_amount / count).quantize(Decimal("0.01")) + Decimal("0.01")
        instalments = [Instalment(due_date=self.today + timedelta(days=7 + 30 * i), amount=each) for i in range(count)]
        refusal = plan_refusal(plan_id="x", instalments=instalments, fee_waiver=Decimal(0),
                               rate_discount_percent=Decimal(0), approved_by="s-1", approver_role=Role.SUPERVISOR,
                               today=self.today, overdue=ep.overdue_amount, existing=None, active=ep.plan,
                               ended=ep.outcome.value if ep.outcome else None, policy=self.terms.strategy.plans)
        if refusal is None:
            T.agree_plan(ep, self.terms, self._id("PL"), instalments, Decimal(0), Decimal(0), "s-1", Role.SUPERVISOR,
                         self.now)

    @rule(days=st.integers(1, 30), replace=st.booleans())
    def settlement(self, days, replace):
        ep = self.ep
        amount = (ep.total_balance * Decimal("0.8")).quantize(Decimal("0.01"))
        refusal = settlement_refusal(
            offer_id="x", amount=amount, expires_on=self.today + timedelta(days=days), approved_by="m-1",
            approver_role=Role.MANAGER, replace=replace, today=self.today, balance=ep.total_balance, existing=None,
            open_offer=ep.offer, ended=ep.outcome.value if ep.outcome else None, policy=self.terms.strategy.settlements)
        if refusal is None and amount > 0:
            T.make_offer(ep, self.terms, self._id("OF"), amount, self.today + timedelta(days=days), "m-1", Role.MANAGER,
                         replace, self.now)

    @rule(hold_type=st.sampled_from(list(HoldType)), days=st.integers(1, 90))
    def place_hold(self, hold_type, days):
        ep = self.ep
        length = hold_days(hold_type, days if hold_type == HoldType.HARDSHIP else None, 30)
        channel = "sms" if hold_type == HoldType.COMPLAINT else None
        refusal = hold_refusal(hold_id="x", hold_type=hold_type, reason="r", evidence_ref="", placed_by="o-1",
                               channel=channel, days=length, existing=None,
                               ended=ep.outcome.value if ep.outcome else None)
        if refusal is None:
            hold = T.new_hold(ep, self.terms, self._id("H"), hold_type, "r", "", "o-1", channel, length, self.now)
            T.hold_in_force(ep, hold)

    @rule(data=st.data())
    def release_hold(self, data):
        active = [h for h in self.ep.active_holds()]
        if not active or not self.open:
            return
        hold = data.draw(st.sampled_from(active))
        resolution = data.draw(st.sampled_from(["verified", "withdrawn", "upheld"])) \
            if hold.hold_type == HoldType.DISPUTE else None
        T.end_hold(self.ep, hold, "released", resolution, "o-1", self.now)

    @rule()
    def reage(self):
        ep = self.ep
        if not T.priced(ep, self.terms) or not self.open:
            return
        ledger = T.ledger_of(ep, self.terms, self.today)
        if reage_refusal(self.today, ledger.cycles, ep.reages, self.terms.strategy.pricing.reage) is None:
            T.reaged(ep, self.terms, self._id("RA"), "s-1", Role.SUPERVISOR, "workout", self.now)

    @rule()
    def right_party_contact_with_callback(self):
        calls = [t for t, kind in self.ep.tasks.items() if kind == "call" and t not in self.ep.tasks_done]
        if calls and self.open:
            T.log_outcome(self.ep, self.terms, calls[0], ContactOutcome.CALLBACK_REQUESTED, None,
                          self.now + timedelta(days=2), self.now)

    # ---- invariants ---------------------------------------------------------------------------------

    @invariant()
    def agenda_invariants_hold(self):
        assert violations(self.ep, self.terms.rules, self.now, SLACK) == []

    @invariant()
    def no_step_runs_twice(self):
        assert len(self.executed) == len(set(self.executed)), self.executed

    @invariant()
    def the_step_in_flight_is_planned_at_most_once(self):
        if self.in_flight is not None:
            assert sum(s.key == self.in_flight.key for s in self.ep.ladder) <= 1

    @invariant()
    def a_passed_charge_off_is_due_unless_a_hold_blocks_it(self):
        if not self.open or self.ep.charged_off_step is not None:
            return
        deadline = charge_off_moment(self.ep, self.terms.rules)
        plan = agenda(self.ep, self.terms.rules, self.now, SLACK)
        if deadline <= self.now:
            assert plan.charge_off_blocked_by is not None or any(d.kind == DueKind.CHARGE_OFF for d in plan.due)

    @invariant()
    def the_validation_notice_is_never_dropped(self):
        if self.terms.strategy.compliance and self.terms.strategy.compliance.validation_notice_template:
            assert "validation-notice" in self.executed or any(
                s.key == "validation-notice" for s in self.ep.ladder) or not self.open


    def teardown(self):
        # How the examples ended, for --hypothesis-show-statistics: the machine must reach every end.
        event(f"outcome: {self.ep.outcome.value if self.ep.outcome else 'running'}")
        event(f"re-anchored: {self.ep.anchor_due is not None}")


TestEpisodeMachine = EpisodeMachine.TestCase
TestEpisodeMachine.settings = settings(max_examples=250, stateful_step_count=40, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def test_a_charge_off_a_fraud_claim_held_past_its_deadline_is_due_at_the_release():
    """Found by the machine: a fraud claim blocks the charge-off past DPD 180; at its release the
    charge-off is due at once (a wake-up later than the passed deadline is then no violation)."""
    m = EpisodeMachine()
    m.start(priced=False, zone="Asia/Shanghai", dpd=97, segment=Segment.LOW, overdue=100)
    m.place_hold(days=1, hold_type=HoldType.FRAUD_CLAIM)
    for days in (11, 70, 2):
        m.worker_down_then_back(days=days)
    assert m.ep.outcome is None  # held: the charge-off waited
    T.end_hold(m.ep, m.ep.active_holds()[0], "released", None, "o-1", m.now)
    plan = agenda(m.ep, m.terms.rules, m.now, SLACK)
    assert plan.due and plan.due[0].kind == DueKind.CHARGE_OFF
    assert violations(m.ep, m.terms.rules, m.now, SLACK) == []
