"""The collection strategy: the escalation ladder as data.

A strategy file (TOML or YAML) lists steps: at which DPD, which action, for
which risk segments, at what local time, optionally repeating. Loading it
validates every field; a bad file is refused with the field and the problem
named (``steps[3].at: ...``).
"""

import hashlib
import json
import tomllib
from datetime import time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from arrears.domain.blacklist import BlacklistPolicy
from arrears.domain.bureau import BureauPolicy
from arrears.domain.delinquency import CHARGE_OFF_DPD
from arrears.domain.legal import LegalPolicy
from arrears.domain.policy import ContactPolicy
from arrears.domain.pricing import Pricing
from arrears.domain.restrictions import RestrictionLevel, RestrictionPolicy

# Compliance presets (policies/*.toml): each states its sources and each number's reason.
PRESETS_DIR = Path(__file__).resolve().parents[2] / "policies"


class Action(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    IM = "im"
    LETTER = "letter"
    CALL = "call"
    VISIT = "visit"
    RESTRICT_CARD = "restrict_card"
    BUREAU_REPORT = "bureau_report"
    AGENCY = "agency"
    LEGAL = "legal"
    CHARGE_OFF = "charge_off"
    # A text to the account's contact persons asking the cardholder to call back, only
    # while the cardholder cannot be reached; it never mentions the debt.
    LOCATE = "locate"
    # A text to the account's guarantor about the debt, where the preset allows it (cn-bank:
    # 商业银行信用卡业务监督管理办法 art. 68 names the cardholder and the guarantor).
    GUARANTOR = "guarantor"


REMINDERS = frozenset({Action.SMS, Action.EMAIL, Action.IM, Action.LETTER})
THIRD_PARTY = frozenset({Action.LOCATE, Action.GUARANTOR})
MESSAGES = REMINDERS | THIRD_PARTY  # actions that render a template
COLLECTOR_TASKS = frozenset({Action.CALL, Action.VISIT, Action.AGENCY, Action.LEGAL})
ACCOUNT_ACTIONS = frozenset({Action.RESTRICT_CARD, Action.BUREAU_REPORT, Action.CHARGE_OFF})


class Segment(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


EARLIEST_DPD = -30


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    dpd: int = Field(ge=EARLIEST_DPD, le=CHARGE_OFF_DPD)
    action: Action
    segments: tuple[Segment, ...] = (Segment.LOW, Segment.MEDIUM, Segment.HIGH)
    at: time = time(10, 0)
    template: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
    repeat_every_days: int | None = Field(default=None, ge=1, le=90)
    until_dpd: int | None = Field(default=None, le=CHARGE_OFF_DPD)
    # restrict_card only: how far the card is restricted (lower levels not yet applied come first).
    # Strategies written before levels existed mean purchases_blocked.
    level: RestrictionLevel | None = None
    why: str = ""

    @field_validator("segments")
    @classmethod
    def _segments_not_empty(cls, value: tuple[Segment, ...]) -> tuple[Segment, ...]:
        if not value:
            raise ValueError("list at least one risk segment (low, medium, high)")
        if len(set(value)) != len(value):
            raise ValueError("a segment is listed twice")
        return value

    @field_validator("at", mode="before")
    @classmethod
    def _parse_at(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = time.fromisoformat(value)  # "10:00", or "10:00:00" as the wire writes it
            except ValueError:
                raise ValueError(f"local time must be HH:MM, got {value!r}") from None
        if isinstance(value, time) and value.tzinfo is not None:
            raise ValueError("local time must not carry a UTC offset: it is the account's local time")
        if isinstance(value, int):
            # YAML 1.1 reads an unquoted 10:00 as the number 600.
            raise ValueError('local time must be "HH:MM" (in YAML, quote it: at: "10:00")')
        return value

    @model_validator(mode="after")
    def _check_repeat(self) -> "Step":
        if (self.repeat_every_days is None) != (self.until_dpd is None):
            raise ValueError("repeat_every_days and until_dpd go together")
        if self.until_dpd is not None and self.until_dpd <= self.dpd:
            raise ValueError(f"until_dpd ({self.until_dpd}) must be after dpd ({self.dpd})")
        if self.action == Action.CHARGE_OFF and self.repeat_every_days is not None:
            raise ValueError("charge_off happens once and cannot repeat")
        if self.template is not None and self.action not in MESSAGES:
            raise ValueError(f"only messages (sms, email, im, letter, locate, guarantor) take a template, not {self.action}")
        if self.level is not None and self.action != Action.RESTRICT_CARD:
            raise ValueError(f"only restrict_card takes a level, not {self.action}")
        return self

    @property
    def restriction_level(self) -> RestrictionLevel:
        return self.level or RestrictionLevel.PURCHASES_BLOCKED

    @property
    def template_name(self) -> str:
        if self.template:
            return self.template
        if self.action == Action.LOCATE:
            return "sms_locate"
        return "sms_guarantor" if self.action == Action.GUARANTOR else self.action.value

    def occurrence_dpds(self) -> list[int]:
        if self.repeat_every_days is None or self.until_dpd is None:
            return [self.dpd]
        return list(range(self.dpd, self.until_dpd + 1, self.repeat_every_days))


class PromisePolicy(BaseModel):
    """How promises to pay are taken and judged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_horizon_days: int = Field(default=14, ge=1, le=90)
    grace_days: int = Field(default=1, ge=0, le=14)
    broken_limit: int = Field(default=2, ge=1, le=10)
    followup_at: time = time(10, 0)
    # A promise must cover at least this share of the overdue amount (0: any amount), so that a token
    # promise cannot pause escalation.
    min_share: Decimal = Field(default=Decimal(0), ge=0, le=1, max_digits=5, decimal_places=4)
    # Replacing an active promise: after this many replacements in an episode, the next needs a supervisor.
    max_replacements: int = Field(default=2, ge=0, le=10)
    # Whether each replacement also counts toward broken_limit, as a broken promise would.
    replacement_counts_as_broken: bool = False

    @field_validator("min_share", mode="before")
    @classmethod
    def _exact_share(cls, value: Any) -> Any:
        # TOML and YAML read 0.1 as a float: take its shortest decimal text, not the binary fraction.
        return Decimal(repr(value)) if isinstance(value, float) else value

    @field_validator("followup_at", mode="before")
    @classmethod
    def _parse_followup_at(cls, value: Any) -> Any:
        return Step._parse_at(value)


class Role(StrEnum):
    COLLECTOR = "collector"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"


class SettlementPolicy(BaseModel):
    """Discounted payoffs: how long an offer may stay open, and who may forgive how much."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_validity_days: int = Field(default=30, ge=1, le=180)
    # Largest share of the total balance each role may forgive, in percent.
    max_discount_percent: dict[Role, Decimal] = {
        Role.COLLECTOR: Decimal("10"),
        Role.SUPERVISOR: Decimal("30"),
        Role.MANAGER: Decimal("60"),
    }

    @field_validator("max_discount_percent")
    @classmethod
    def _percent(cls, value: dict[Role, Decimal]) -> dict[Role, Decimal]:
        for role, pct in value.items():
            if not Decimal(0) <= pct < Decimal(100):
                raise ValueError(f"{role.value}: a discount is a percentage from 0 to below 100, got {pct}")
        return value


def _role_percentages(value: dict[Role, Decimal]) -> dict[Role, Decimal]:
    for role, pct in value.items():
        if not Decimal(0) <= pct <= Decimal(100):
            raise ValueError(f"{role.value}: a percentage from 0 to 100, got {pct}")
    return value


class PlanPolicy(BaseModel):
    """Negotiated instalment plans (个性化分期): limits and who may grant what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_instalment_within_days: int = Field(default=30, ge=1, le=90)
    max_term_months: int = Field(default=60, ge=1, le=120)  # five years: the Chinese personalised-instalment limit
    grace_days: int = Field(default=3, ge=0, le=30)
    # Largest fee waiver (percent of the overdue amount) and interest-rate discount each role may grant.
    max_fee_waiver_percent: dict[Role, Decimal] = {
        Role.COLLECTOR: Decimal("0"), Role.SUPERVISOR: Decimal("10"), Role.MANAGER: Decimal("50"),
    }
    max_rate_discount_percent: dict[Role, Decimal] = {
        Role.COLLECTOR: Decimal("0"), Role.SUPERVISOR: Decimal("20"), Role.MANAGER: Decimal("50"),
    }

    _check_waiver = field_validator("max_fee_waiver_percent", "max_rate_discount_percent")(
        lambda cls, v: _role_percentages(v)
    )


class DeskPolicy(BaseModel):
    """How the ladder's call and visit tasks reach people."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Hours from a task's due time to its SLA; past it, the task goes to the team's supervisor queue.
    sla_hours: dict[Action, int] = {Action.CALL: 24, Action.VISIT: 72}
    # Accounts owing at least this much are worked by this role or above.
    senior_overdue: Decimal = Field(default=Decimal("50000"), gt=0)
    senior_role: Role = Role.SUPERVISOR

    @field_validator("sla_hours")
    @classmethod
    def _sla(cls, value: dict[Action, int]) -> dict[Action, int]:
        for action, hours in value.items():
            if action not in (Action.CALL, Action.VISIT):
                raise ValueError(f"an SLA applies to call and visit tasks, not {action.value}")
            if not 1 <= hours <= 24 * 30:
                raise ValueError(f"{action.value}: SLA hours from 1 to 720, got {hours}")
        return value


class HoldPolicy(BaseModel):
    """Defaults for holds a collector's outcome places (see arrears.domain.holds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A hardship_claimed outcome pauses escalation this long: a month covers one pay cycle
    # and the next statement, after which the customer is asked again.
    hardship_days: int = Field(default=30, ge=1, le=180)  # 180: holds.MAX_HARDSHIP_DAYS (holds imports this module)


class RestorationPolicy(BaseModel):
    """What a cure gives back besides lifting restrictions and dating the blacklist entry's end."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A thank-you in the customer's language once the account is current again; none: no message.
    courtesy_template: str | None = Field(default="sms_restored", pattern=r"^[a-z0-9_]+$")


class LegalRecheck(BaseModel):
    """How a legal step refused by the criteria is tried again."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every_days: int = Field(default=7, ge=1, le=90)


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
                raise ValueError(f"{_step_name(i, step)}: charge_off belongs to the main ladder, which takes over "
                                 f"from main_ladder_from_dpd ({self.main_ladder_from_dpd})")
            if step.dpd < 0:
                raise ValueError(f"{_step_name(i, step)}: dpd {step.dpd}: an over-limit episode opens at DPD 0 "
                                 "(the statement that showed it), so its steps are at DPD 0 or later")
            last = max(step.occurrence_dpds())
            if last >= self.main_ladder_from_dpd:
                raise ValueError(f"{_step_name(i, step)}: runs at DPD {last}, but from main_ladder_from_dpd "
                                 f"({self.main_ladder_from_dpd}) on the main ladder applies")
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
                raise ValueError(f"{_step_name(i, step)}: action {step.action.value}: a pre-due step is a courteous "
                                 "reminder (sms, email, im, letter) or a call")
            last = max(step.occurrence_dpds())
            if last >= 0:
                raise ValueError(f"{_step_name(i, step)}: runs at DPD {last}; pre-due steps run before the due date "
                                 "(DPD -30 to -1)")
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
                raise ValueError(f"{section}.steps: id(s) {', '.join(clash)} are also main ladder steps; "
                                 "give the variant's steps their own ids")
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


class StrategyError(ValueError):
    """A strategy file that cannot be used; the message names the field."""


def _format_loc(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
        else:
            parts.append(str(item))
    # Name the step by id too, so "steps[7]" can be found in a long file.
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        steps = data.get("steps") or []
        if loc[1] < len(steps) and isinstance(steps[loc[1]], dict) and "id" in steps[loc[1]]:
            parts[0] = f"{parts[0]} (id {steps[loc[1]]['id']!r})"
    return ".".join(parts) or "(file)"


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def load_preset(name: str) -> dict[str, Any]:
    path = PRESETS_DIR / f"{name}.toml"
    if not path.is_file():
        raise StrategyError(f"compliance.preset: unknown preset {name!r}; use {', '.join(preset_names())}")
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def _resolve_compliance(data: dict[str, Any], source: str) -> dict[str, Any]:
    """``compliance = { preset = "cn-bank", caps = { call = { per_day = 2 } } }``: the preset, then the overrides."""
    chosen = data.get("compliance")
    if chosen is None:
        return data
    if not isinstance(chosen, dict) or "preset" not in chosen:
        raise StrategyError(f"{source}: compliance.preset: name a preset ({', '.join(preset_names())})")
    try:
        base = load_preset(str(chosen["preset"]))
    except StrategyError as exc:
        raise StrategyError(f"{source}: {exc}") from None
    return {**data, "compliance": _merge(base, chosen)}


def parse_strategy(data: Any, source: str = "strategy") -> Strategy:
    if not isinstance(data, dict):
        raise StrategyError(f"{source}: expected a table of settings at the top level")
    data = _resolve_compliance(data, source)
    try:
        strategy = Strategy.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_format_loc(err['loc'], data)}: {err['msg'].removeprefix('Value error, ')}" for err in exc.errors()]
        raise StrategyError(f"{source}: " + "; ".join(problems)) from None
    problems = third_party_problems(strategy)
    if problems:
        raise StrategyError(f"{source}: " + "; ".join(problems))
    return strategy


def third_party_problems(strategy: Strategy) -> list[str]:
    """Messages to people other than the cardholder use only templates their preset allows.

    Checked when a file is loaded, not when a model is read back (a running episode's strategy
    must always deserialize); the activity refuses at send time too. 12 CFR 1006.10(b)(2): a
    location communication must not state that the consumer owes a debt; 商业银行信用卡业务监督管理办法
    art. 68: no collection from people unrelated to the debt.
    """
    policy = strategy.compliance or ContactPolicy(preset="baseline")
    problems = []
    for n, step in enumerate(strategy.steps):
        where = f"steps[{n}] (id {step.id!r})"
        template = step.template_name
        if step.action == Action.LOCATE and template not in policy.third_party_templates:
            problems.append(
                f"{where}.template: {template!r} is not third-party safe under {policy.preset} (allowed on a locate "
                f"step: {', '.join(policy.third_party_templates) or 'none'}); a contact person is never told about the debt")
        if step.action == Action.GUARANTOR:
            if not policy.guarantor.about_debt:
                problems.append(
                    f"{where}.action: {policy.preset} does not let a guarantor be asked to pay; reach them with a "
                    f"locate step, which does not mention the debt")
            elif template not in policy.guarantor.templates:
                problems.append(
                    f"{where}.template: {template!r} is not a guarantor template under {policy.preset} (allowed: "
                    f"{', '.join(policy.guarantor.templates) or 'none'})")
    return problems


def load_strategy(path: str | Path) -> Strategy:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StrategyError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise StrategyError(f"{path}: use a .toml, .yaml or .yml file")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise StrategyError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    strategy = parse_strategy(data, str(path))
    return _load_arms(strategy, path) if strategy.experiment is not None else strategy


def _load_arms(strategy: Strategy, path: Path) -> Strategy:
    """Each arm's strategy file, loaded and checked now: a bad arm must stop the import, not one episode."""
    arms = []
    for index, arm in enumerate(strategy.experiment.arms):
        where = f"{path}: experiment.arms[{index}] (name {arm.name!r}).strategy"
        if arm.strategy is None:
            loaded = strategy.without_experiment()
        else:
            arm_path = (path.parent / arm.strategy).resolve()
            try:
                loaded = load_strategy(arm_path)
            except StrategyError as exc:
                raise StrategyError(f"{where}: {exc}") from None
            if loaded.experiment is not None:
                raise StrategyError(f"{where}: {arm.strategy} declares an experiment of its own; arms cannot nest")
        arms.append(arm.model_copy(update={"loaded": loaded}))
    experiment = strategy.experiment.model_copy(update={"arms": tuple(arms)})
    return strategy.model_copy(update={"experiment": experiment})
