"""The strategy as a whole, and the champion/challenger experiment that splits episodes between strategies."""

import hashlib
import json
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.domain.blacklist import BlacklistPolicy
from arrears.domain.bureau import BureauPolicy
from arrears.domain.legal import LegalPolicy
from arrears.domain.policy import ContactPolicy
from arrears.domain.pricing import Pricing
from arrears.domain.restrictions import RestrictionPolicy
from arrears.domain.strategy.steps import Action, Segment, Step
from arrears.domain.strategy.terms import (
    DeskPolicy,
    HoldPolicy,
    LegalRecheck,
    PlanPolicy,
    PromisePolicy,
    RestorationPolicy,
    SettlementPolicy,
)
from arrears.domain.strategy.triggers import (
    EARLY_WARNING,
    OVER_LIMIT,
    TRIGGERS,
    EarlyWarning,
    OverLimitLadder,
    _from_dpd,
)

ARM_NAME = r"^[a-z0-9][a-z0-9_\-]*$"
CHAMPION = "champion"


class ExperimentArm(BaseModel):
    """One arm of a champion/challenger experiment: its share of new episodes and its ladder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=32, pattern=ARM_NAME)
    # Percent of new episodes, to the hundredth (the hash point has 10,000 values).
    share: Decimal = Field(ge=0, le=100, decimal_places=2)
    # The arm's strategy file, relative to the file declaring the experiment; none: that file's own ladder.
    strategy: str | None = Field(default=None, min_length=1)
    why: str = ""
    # The arm's strategy as loaded by load_strategy (never serialised: the episode gets the arm's own strategy).
    loaded: "Strategy | None" = Field(default=None, exclude=True, repr=False)


class Experiment(BaseModel):
    """Champion/challenger: new episodes are split between arms by a hash of the account id and the name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=48, pattern=ARM_NAME)
    description: str = ""
    arms: tuple[ExperimentArm, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _check_arms(self) -> "Experiment":
        names = [a.name for a in self.arms]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"arm names must be unique: {', '.join(twice)} used twice")
        if CHAMPION not in names:
            raise ValueError(f"one arm must be named {CHAMPION!r}: the others are compared with it")
        total = sum((a.share for a in self.arms), Decimal(0))
        if total != 100:
            raise ValueError(f"arm shares must add up to 100 (percent), got {total}")
        return self

    def arm(self, name: str) -> ExperimentArm:
        for a in self.arms:
            if a.name == name:
                return a
        raise KeyError(f"experiment {self.name} has no arm {name!r} (arms: {', '.join(a.name for a in self.arms)})")


class Strategy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    steps: tuple[Step, ...] = Field(min_length=1)
    promises: PromisePolicy = PromisePolicy()
    settlements: SettlementPolicy = SettlementPolicy()
    plans: PlanPolicy = PlanPolicy()
    desk: DeskPolicy = DeskPolicy()
    # The contact policy gate's rules: a preset with this portfolio's overrides. Without
    # one the gate applies the baseline (08:00-21:00, letters and visits on working days).
    compliance: ContactPolicy | None = None
    holds: HoldPolicy = HoldPolicy()
    # How the balance grows (penalty interest, late fees, minimums, allocation, re-ages).
    # None: the imported balance stands as it is (strategies written before pricing existed).
    pricing: Pricing | None = None
    restrictions: RestrictionPolicy = RestrictionPolicy()
    blacklist: BlacklistPolicy = BlacklistPolicy()
    bureau: BureauPolicy = BureauPolicy()
    legal: LegalPolicy = LegalPolicy()
    legal_recheck: LegalRecheck = LegalRecheck()
    restoration: RestorationPolicy = RestorationPolicy()
    # Champion/challenger arms for new episodes (arrears.insight.experiment). An episode never
    # carries it: it is started with its arm's strategy, the experiment section taken off.
    experiment: Experiment | None = None
    # The ladder's variants by trigger (see ladder_for); None: the main ladder serves that trigger.
    over_limit: OverLimitLadder | None = None
    early_warning: EarlyWarning | None = None

    @model_validator(mode="after")
    def _check_ladder(self) -> "Strategy":
        seen: set[str] = set()
        for step in self.steps:
            if step.id in seen:
                raise ValueError(f"step id {step.id!r} is used twice")
            seen.add(step.id)
        charge_offs = [s for s in self.steps if s.action == Action.CHARGE_OFF]
        if len(charge_offs) != 1:
            raise ValueError(f"exactly one charge_off step is required, found {len(charge_offs)}")
        last = charge_offs[0]
        if set(last.segments) != set(Segment):
            raise ValueError("the charge_off step must apply to every segment")
        later = [s.id for s in self.steps if s is not last and max(s.occurrence_dpds()) > last.dpd]
        if later:
            raise ValueError(f"steps after charge-off (DPD {last.dpd}) would never run: {', '.join(later)}")
        for section, variant in (("over_limit", self.over_limit), ("early_warning", self.early_warning)):
            clash = sorted(seen & {s.id for s in variant.steps}) if variant else []
            if clash:
                raise ValueError(
                    f"{section}.steps: id(s) {', '.join(clash)} are also main ladder steps; "
                    "give the variant's steps their own ids"
                )
        return self

    def ladder_for(self, trigger: str) -> "Strategy":
        """This strategy with the steps an episode opened by ``trigger`` runs.

        missed_due: the main ladder. over_limit: the over-limit variant's steps, then the main
        ladder's from ``main_ladder_from_dpd`` on. early_warning: the watch list's pre-due steps
        beside the main ladder. A strategy without the variant serves the trigger with its main
        ladder. Everything but the steps (promises, pricing, compliance, ...) stays the same.
        """
        if trigger not in TRIGGERS:
            raise ValueError(f"unknown trigger {trigger!r}; use one of {', '.join(TRIGGERS)}")
        if trigger == OVER_LIMIT and self.over_limit is not None:
            start = self.over_limit.main_ladder_from_dpd
            main = [t for t in (_from_dpd(s, start) for s in self.steps) if t is not None]
            return self.model_copy(update={"steps": (*self.over_limit.steps, *main)})
        if trigger == EARLY_WARNING and self.early_warning is not None:
            return self.model_copy(update={"steps": (*self.early_warning.steps, *self.steps)})
        return self

    def content_hash(self) -> str:
        """Stable SHA-256 of the validated content (not of the file's bytes).

        Sections added later are left out while unset, so a strategy written before
        they existed keeps the hash its running episodes carry.
        """
        content = self.model_dump(mode="json")
        for optional in ("experiment", "over_limit", "early_warning"):
            if content.get(optional) is None:
                content.pop(optional, None)
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def without_experiment(self) -> "Strategy":
        return self if self.experiment is None else self.model_copy(update={"experiment": None})


ExperimentArm.model_rebuild()
