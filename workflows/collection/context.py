"""What every part of the agenda workflow shares: the input, the state, the clock, the records.

One object, passed down (engine -> acts, updates, economics -> records); no
part calls back into the one that made it.
"""

import asyncio
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from arrears.contracts import errors
    from arrears.contracts.collection import EpisodeInput
    from arrears.contracts.collection_activities import StepCommand
    from arrears.domain.agenda import Agenda, agenda, anchor_of
    from arrears.domain.delinquency import bucket_for_dpd, days_past_due, local_date, stage_for_dpd
    from arrears.domain.episode import Episode
    from arrears.domain.ladder import ScheduledStep
    from arrears.domain.transitions import Terms
    from arrears.runtime import search_attributes as sa
    from arrears.runtime.metrics import count_attention

from workflows.shared import ACTIVITY_TIMEOUT, MIN_WAIT, failure_message, failure_type, retry_policy

# One copy of each strategy per worker, shared by the episodes that run it (it is most of an input's size).
# Strategies are frozen and the copy is only shared when equal to the episode's own: nothing can differ.
_STRATEGIES: dict[str, object] = {}


def with_shared_strategy(inp: EpisodeInput) -> EpisodeInput:
    known = _STRATEGIES.get(inp.strategy_hash)
    if known is not None and known == inp.strategy:
        return inp.model_copy(update={"strategy": known})
    if len(_STRATEGIES) < 64:
        _STRATEGIES[inp.strategy_hash] = inp.strategy
    return inp


def terms_of(inp: EpisodeInput) -> Terms:
    """The episode's terms: the import's figures and the ladder of what opened it (a missed due date, an
    over-limit balance, the early-warning list: Strategy.ladder_for)."""
    return Terms(
        account_id=inp.account_id,
        currency=inp.currency,
        timezone=inp.timezone,
        due_date=inp.due_date,
        opening_overdue=inp.overdue_amount,
        opening_balance=inp.total_balance,
        strategy=inp.strategy.ladder_for(inp.trigger),
    )


class Context:
    def __init__(self, inp: EpisodeInput, ep: Episode) -> None:
        self.inp = inp
        self.ep = ep
        self.terms = terms_of(inp)
        self.changed = False  # an update changed the state: the loop asks the agenda again
        self.lock = asyncio.Lock()  # updates run one at a time, each re-checking its request under it
        self.records = Records(self)
        self._shown: tuple | None = None  # search attribute values last written (an upsert is an event)
        # Continue-as-new keeps search attributes: a carried run starts from what they show.
        self._hold_types: tuple[str, ...] | None = ep.active_hold_types() if ep.holds else None
        self._attention_shown: str | None = ep.attention

    # ---- the clock --------------------------------------------------------------------

    def now(self) -> datetime:
        return self.ep.clock.virtual(workflow.now())

    def today(self) -> date:
        return local_date(self.now(), self.inp.timezone)

    def anchor(self) -> date:
        return anchor_of(self.ep, self.terms.rules)

    def dpd(self) -> int:
        return days_past_due(self.anchor(), self.now(), self.inp.timezone)

    def slack(self) -> timedelta:
        """Collection time within which a moment counts as reached: timers resolve to milliseconds, and with
        compressed demo days one millisecond is minutes of collection time."""
        return max(timedelta(seconds=1), MIN_WAIT * self.ep.clock.speed)

    def agenda(self) -> Agenda:
        return agenda(self.ep, self.terms.rules, self.now(), self.slack())

    def real_delay(self, target: datetime) -> timedelta:
        return max(MIN_WAIT, self.ep.clock.real_delay(self.now(), target))

    def set_strategy(self, inp: EpisodeInput) -> None:
        self.inp = inp
        self.terms = terms_of(inp)

    async def opened(self) -> None:
        """Records that reference the episode wait until its row exists."""
        await workflow.wait_condition(lambda: self.ep.opened)

    # ---- commands ----------------------------------------------------------------------

    def step_command(self, step: ScheduledStep) -> StepCommand:
        dpd = self.dpd()
        return StepCommand(
            episode_id=self.ep.episode_id,
            account_id=self.inp.account_id,
            step=step,
            executed_at=self.now(),
            dpd=dpd,
            stage=stage_for_dpd(dpd).value,
            currency=self.inp.currency,
            overdue_amount=self.ep.overdue_amount,
            total_balance=self.ep.total_balance,
            due_date=self.anchor(),
            strategy_hash=self.inp.strategy_hash,
            desk=self.inp.strategy.desk,
            compliance=self.inp.strategy.compliance,
            # Holds in force now, even one whose row its activity has not written yet: the gate honours them.
            holds=self.ep.active_holds(),
        )

    # ---- search attributes ----------------------------------------------------------

    def show(self, stage: str, bucket: str) -> None:
        """Stage, bucket, segment and overdue amount in visibility, written only when one changed."""
        values = (stage, bucket, self.ep.segment.value, self.ep.overdue_amount)
        if values == self._shown:
            return
        self._shown = values
        workflow.upsert_search_attributes(
            [
                sa.COLLECTION_STAGE.value_set(stage),
                sa.DELINQUENCY_BUCKET.value_set(bucket),
                sa.RISK_SEGMENT.value_set(self.ep.segment.value),
                # Double only for filtering in visibility; the exact amount is Decimal.
                sa.OVERDUE_AMOUNT.value_set(float(self.ep.overdue_amount)),
            ]
        )

    def show_stage(self) -> None:
        dpd = days_past_due(self.anchor(), self.now() + self.slack(), self.inp.timezone)
        self.show(stage_for_dpd(dpd).value, bucket_for_dpd(dpd))

    def show_holds(self) -> None:
        """HoldType shows the active holds' types; an empty list once none is active."""
        types = self.ep.active_hold_types()
        if types == self._hold_types:
            return
        self._hold_types = types
        workflow.upsert_search_attributes([sa.HOLD_TYPE.value_set(list(types))])

    def flag(self, code: str | None, detail: str | None = None) -> None:
        """Put the episode on the attention list (a short code, no personal data), or take it off."""
        self.ep.attention = code
        self.ep.attention_detail = detail if code else None
        if code == self._attention_shown:
            return
        self._attention_shown = code
        if code:
            count_attention(code)
        workflow.upsert_search_attributes([sa.ATTENTION.value_set(code) if code else sa.ATTENTION.value_unset()])

    def unflag(self, code: str) -> None:
        if self.ep.attention == code:
            self.flag(None)


class Records:
    """Every side effect of the episode goes through ``call``: retried, typed, never silent.

    The episode's writes are short database transactions, so they run as local activities: inside the
    workflow task that decided them, recorded as one marker event instead of a scheduled, started and
    completed activity and a second workflow task. The guarantee is the same at-least-once: a worker that
    dies before the task completes runs the write again on the next attempt, and the write's idempotency
    key (a unique constraint) makes the second run find the first. ``remote=True`` keeps the rare call
    that is not a short local write (starting the recovery workflow) a normal activity.

    An activity is retried with backoff up to the episode's bound (``attention_attempts``); past it, or at once
    for a permanent failure, the episode goes on the attention list (search attribute ``Attention``, status,
    ``arrears doctor``) and the same command is tried again every ``slow_retry_seconds`` until it succeeds: a
    database outage delays a step, it never drops it, and nobody has to notice by chance. A business answer
    from the record (a hold id taken, a legal event refused) is raised to the caller instead.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def call(self, name: str, command, result_type: type | None = None, remote: bool = False):
        inp = self.ctx.inp
        policy = retry_policy(maximum_attempts=inp.attention_attempts, non_retryable=errors.PERMANENT)
        code = f"activity_failing:{name}"
        run = workflow.execute_activity if remote else workflow.execute_local_activity
        while True:
            try:
                result = await run(
                    name, command, result_type=result_type, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=policy
                )
            except (ActivityError, ApplicationError) as exc:  # a local activity's failure may arrive unwrapped
                kind = failure_type(exc)
                if kind in errors.ANSWERS:
                    raise ApplicationError(failure_message(exc), type=kind) from None
                workflow.logger.warning(
                    "%s keeps failing (%s); episode on the attention list, retried slowly", name, kind
                )
                self.ctx.flag(code, f"{kind}: {failure_message(exc)}"[:300])
                await workflow.sleep(timedelta(seconds=inp.slow_retry_seconds))
                continue
            self.ctx.unflag(code)
            return result
