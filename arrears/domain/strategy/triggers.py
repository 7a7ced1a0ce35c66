"""What opens an episode besides a missed due date: over-limit and early-warning ladders."""

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.domain.delinquency import CHARGE_OFF_DPD
from arrears.domain.strategy.steps import REMINDERS, Action, Step

# What opened an episode. A missed due date is the classic one; an account whose balance went
# over its credit limit (超限) can open one too, and so can an account on the early-warning watch
# list whose next due date is near. Each picks its ladder with Strategy.ladder_for().
MISSED_DUE = "missed_due"
OVER_LIMIT = "over_limit"
EARLY_WARNING = "early_warning"
TRIGGERS = (MISSED_DUE, OVER_LIMIT, EARLY_WARNING)


def _step_name(index: int, step: Step) -> str:
    return f"steps[{index}] (id {step.id!r})"


class OverLimitLadder(BaseModel):
    """The ladder's over-limit variant (trigger ``over_limit``).

    An over-limit episode's DPD counts from the statement date that showed the
    balance over the limit, and its overdue amount is the amount over the
    limit: paying it down ends the episode as a cure. The variant's own steps
    run first; from ``main_ladder_from_dpd`` on the main ladder's steps apply
    (restriction, agency, legal, charge-off), so a customer who never comes
    back under the limit is not left without an end.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: tuple[Step, ...] = Field(min_length=1)
    main_ladder_from_dpd: int = Field(default=31, ge=1, le=CHARGE_OFF_DPD)
    why: str = ""

    @model_validator(mode="after")
    def _check(self) -> "OverLimitLadder":
        seen: set[str] = set()
        for i, step in enumerate(self.steps):
            if step.id in seen:
                raise ValueError(f"{_step_name(i, step)}: the id is used twice")
            seen.add(step.id)
            if step.action == Action.CHARGE_OFF:
                raise ValueError(
                    f"{_step_name(i, step)}: charge_off belongs to the main ladder, which takes over "
                    f"from main_ladder_from_dpd ({self.main_ladder_from_dpd})"
                )
            if step.dpd < 0:
                raise ValueError(
                    f"{_step_name(i, step)}: dpd {step.dpd}: an over-limit episode opens at DPD 0 "
                    "(the statement that showed it), so its steps are at DPD 0 or later"
                )
            last = max(step.occurrence_dpds())
            if last >= self.main_ladder_from_dpd:
                raise ValueError(
                    f"{_step_name(i, step)}: runs at DPD {last}, but from main_ladder_from_dpd "
                    f"({self.main_ladder_from_dpd}) on the main ladder applies"
                )
        return self


class EarlyWarning(BaseModel):
    """Pre-due steps for accounts on the early-warning watch list (trigger ``early_warning``).

    `arrears risk watchlist --start` opens an episode before the due date for a
    listed account; these steps run before the main ladder's own (which still
    applies if the due date is then missed). ``limit_review`` asks the card
    system, through the outbox, to review the listed account's credit limit.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: tuple[Step, ...] = ()
    limit_review: bool = False
    why: str = ""

    @model_validator(mode="after")
    def _check(self) -> "EarlyWarning":
        seen: set[str] = set()
        allowed = REMINDERS | {Action.CALL}
        for i, step in enumerate(self.steps):
            if step.id in seen:
                raise ValueError(f"{_step_name(i, step)}: the id is used twice")
            seen.add(step.id)
            if step.action not in allowed:
                raise ValueError(
                    f"{_step_name(i, step)}: action {step.action.value}: a pre-due step is a courteous "
                    "reminder (sms, email, im, letter) or a call"
                )
            last = max(step.occurrence_dpds())
            if last >= 0:
                raise ValueError(
                    f"{_step_name(i, step)}: runs at DPD {last}; pre-due steps run before the due date (DPD -30 to -1)"
                )
        if not self.steps and not self.limit_review:
            raise ValueError("list pre-due steps or set limit_review = true (or leave [early_warning] out)")
        return self


def _from_dpd(step: Step, first: int) -> Step | None:
    """The step's occurrences from DPD ``first`` on, or None when it has none left."""
    left = [d for d in step.occurrence_dpds() if d >= first]
    if not left:
        return None
    if left[0] == step.dpd:
        return step
    if len(left) == 1:
        return step.model_copy(update={"dpd": left[0], "repeat_every_days": None, "until_dpd": None})
    return step.model_copy(update={"dpd": left[0]})
