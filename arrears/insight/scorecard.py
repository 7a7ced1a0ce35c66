"""The scorecard file: measures, weights and bands per role, targets, incentive bands, the review
rubric, the complaint deadline and the attribution rule (docs/reports.md, "The scorecard file").

Loading validates every field and names it (``roles.collector.measures[2].bands[0]: ...``). A card
must weigh all five families (effect, quality, workload, satisfaction, compliance) and give the
effect family at most ``MAX_EFFECT_SHARE`` of its weight: collectors are never judged on the
amount recovered alone (商业银行信用卡业务监督管理办法 art. 66).

Scoring is pure: each measure's value falls in the first band it meets and earns that band's
points (0-100); the score is the weighted mean over the measures that have a value.
"""

import hashlib
import json
import tomllib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from arrears.insight.attribution import AttributionRule
from arrears.insight.measures import MEASURES, Better, Family

MAX_EFFECT_SHARE = Decimal("0.6")
ROLES = ("collector", "supervisor", "manager", "agency")
AGENCY_MEASURES = frozenset(
    {
        "placements",
        "amount_recovered",
        "recovery_rate",
        "recovery_cycle_median",
        "recovery_cycle_p90",
        "commission",
        "commission_rate",
        "recall_rate",
        "complaints_per_100_placements",
        "complaints_in_time_rate",
        "quality_score",
        "reviews",
        "target_attainment",
    }
)
COLLECTOR_MEASURES = frozenset(MEASURES) - {
    "placements",
    "commission",
    "commission_rate",
    "recall_rate",
    "complaints_per_100_placements",
}


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at_least: Decimal | None = None  # for measures where higher is better
    at_most: Decimal | None = None  # for measures where lower is better
    points: Decimal = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _one_bound(self) -> "Band":
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give a band exactly one of at_least or at_most")
        return self


class Weighted(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    measure: str
    weight: Decimal = Field(gt=0)
    bands: tuple[Band, ...] = Field(min_length=1)

    @field_validator("measure")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in MEASURES:
            raise ValueError(f"unknown measure {value!r}; known: {', '.join(sorted(MEASURES))}")
        return value

    @model_validator(mode="after")
    def _bands_fit(self) -> "Weighted":
        better = MEASURES[self.measure].better
        if better == Better.NEITHER:
            raise ValueError(f"{self.measure} has no better direction and cannot be banded; show it, do not score it")
        key = "at_least" if better == Better.HIGHER else "at_most"
        bounds = []
        for index, band in enumerate(self.bands):
            bound = getattr(band, key)
            if bound is None:
                raise ValueError(f"bands[{index}]: {self.measure} is better {better.value}: use {key}")
            bounds.append(bound)
        ordered = sorted(bounds, reverse=better == Better.HIGHER)
        if bounds != ordered or len(set(bounds)) != len(bounds):
            raise ValueError(
                f"bands: list them best first, each bound once ({key} "
                f"{'falling' if better == Better.HIGHER else 'rising'})"
            )
        return self

    @property
    def family(self) -> Family:
        return MEASURES[self.measure].family

    def points(self, value: Decimal | int | None) -> Decimal | None:
        """The points of the first band the value meets; 0 past the last band; None without a value."""
        if value is None:
            return None
        value = Decimal(value)
        for band in self.bands:
            if (band.at_least is not None and value >= band.at_least) or (
                band.at_most is not None and value <= band.at_most
            ):
                return band.points
        return Decimal(0)


class RoleCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    measures: tuple[Weighted, ...] = Field(min_length=1)
    show: tuple[str, ...] = ()  # further measures shown but not scored

    @field_validator("show")
    @classmethod
    def _shown(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [m for m in value if m not in MEASURES]
        if unknown:
            raise ValueError(f"unknown measure(s) {', '.join(unknown)}")
        return value

    @model_validator(mode="after")
    def _balanced(self) -> "RoleCard":
        names = [m.measure for m in self.measures]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"measures: {', '.join(twice)} weighted twice")
        weight = self.family_weights()
        total = sum(weight.values())
        if weight[Family.EFFECT] / total > MAX_EFFECT_SHARE:
            raise ValueError(
                f"measures: the effect family has {weight[Family.EFFECT] / total:.0%} of the weight; "
                f"at most {MAX_EFFECT_SHARE:.0%} (collection is not judged on money alone)"
            )
        return self

    def family_weights(self) -> dict[Family, Decimal]:
        weight = {f: Decimal(0) for f in Family}
        for m in self.measures:
            weight[m.family] += m.weight
        return weight

    def score(self, values: dict[str, Any]) -> "Score":
        points = {m.measure: m.points(values.get(m.measure)) for m in self.measures}
        scored = [m for m in self.measures if points[m.measure] is not None]
        total = sum((m.weight for m in self.measures), Decimal(0))
        covered = sum((m.weight for m in scored), Decimal(0))
        if not scored:
            return Score(points, None, Decimal(0))
        value = sum((m.weight * p for m in scored if (p := points[m.measure]) is not None), Decimal(0)) / covered
        return Score(
            points, value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), (covered / total).quantize(Decimal("0.01"))
        )


@dataclass(frozen=True)
class Score:
    points: dict[str, Decimal | None]
    value: Decimal | None  # 0-100, the weighted mean over measures with a value
    coverage: Decimal  # the share of the card's weight those measures carry


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    collector: str | None = None
    team: str | None = None
    agency: str | None = None
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    recovered: Decimal = Field(gt=0)

    @model_validator(mode="after")
    def _one_subject(self) -> "Target":
        if sum(x is not None for x in (self.collector, self.team, self.agency)) != 1:
            raise ValueError("a target names exactly one of collector, team or agency")
        return self


class Targets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    collector_default: Decimal | None = Field(default=None, gt=0)  # each collector's, unless listed
    collectors: tuple[Target, ...] = ()  # [[targets.collectors]] collector = "c-li", recovered = "60000"
    teams: tuple[Target, ...] = ()  # [[targets.teams]] team = "east", ...: the team's total
    agencies: tuple[Target, ...] = ()  # [[targets.agencies]] agency = "AG-NORTH", ...

    @model_validator(mode="after")
    def _subjects(self) -> "Targets":
        for kind, lines in (("collector", self.collectors), ("team", self.teams), ("agency", self.agencies)):
            for index, line in enumerate(lines):
                if getattr(line, kind) is None:
                    raise ValueError(f'{kind}s[{index}]: name the {kind} ({kind} = "...")')
        return self

    def for_subject(self, kind: str, subject: str, month: str) -> Decimal | None:
        lines = {"collector": self.collectors, "team": self.teams, "agency": self.agencies}[kind]
        mine = [t for t in lines if getattr(t, kind) == subject and t.month in (month, None)]
        mine.sort(key=lambda t: t.month is None)  # the month's own line first
        if mine:
            return mine[0].recovered
        return self.collector_default if kind == "collector" else None


class Incentive(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    band: str = Field(min_length=1, max_length=40)
    min_attainment: Decimal = Field(ge=0)
    min_score: Decimal = Field(default=Decimal(0), ge=0, le=100)
    pays: str = ""  # what the band means for pay or follow-up, as HR wrote it


class RubricItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    label: str = Field(min_length=1)
    weight: Decimal = Field(gt=0)


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    scale_min: int = 1
    scale_max: int = 5
    items: tuple[RubricItem, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _scale(self) -> "Rubric":
        if self.scale_min >= self.scale_max:
            raise ValueError(f"scale_min ({self.scale_min}) must be below scale_max ({self.scale_max})")
        keys = [i.key for i in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError("items: each key once")
        return self

    def content_hash(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def problems(self, scores: dict[str, int]) -> str | None:
        """Why these scores cannot be recorded, or None: every item once, on the scale."""
        keys = [i.key for i in self.items]
        unknown = sorted(set(scores) - set(keys))
        if unknown:
            return f"unknown rubric item(s) {', '.join(unknown)}; the rubric {self.name} has {', '.join(keys)}"
        missing = [k for k in keys if k not in scores]
        if missing:
            return f"score every rubric item: missing {', '.join(missing)}"
        for key, value in scores.items():
            if not isinstance(value, int) or isinstance(value, bool) or not self.scale_min <= value <= self.scale_max:
                return f"{key}: a whole number from {self.scale_min} to {self.scale_max}, got {value!r}"
        return None

    def score(self, scores: dict[str, int]) -> Decimal:
        """0-100: each item's place on the scale, weighted."""
        span = Decimal(self.scale_max - self.scale_min)
        total = sum((i.weight for i in self.items), Decimal(0))
        value = sum((i.weight * (Decimal(scores[i.key]) - self.scale_min) / span for i in self.items), Decimal(0))
        return (value * 100 / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class ComplaintPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Days to answer a complaint: 15 in both the CFPB's complaint process and common Chinese bank practice.
    deadline_days: int = Field(default=15, ge=1, le=90)


class Scorecard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    timezone: str = "UTC"
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")  # working days; default: the zone's country
    attribution: AttributionRule = AttributionRule()
    complaints: ComplaintPolicy = ComplaintPolicy()
    rubric: Rubric
    roles: dict[str, RoleCard]
    targets: Targets = Targets()
    incentives: tuple[Incentive, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: dict[str, RoleCard]) -> dict[str, RoleCard]:
        unknown = sorted(set(value) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown role(s) {', '.join(unknown)}; use {', '.join(ROLES)}")
        for role, card in value.items():
            # An agency's calls are not in our record: its card has no workload family.
            required = [f for f in Family if not (role == "agency" and f == Family.WORKLOAD)]
            weight = card.family_weights()
            missing = [f.value for f in required if weight[f] == 0]
            if missing:
                raise ValueError(
                    f"{role}: no weight on the {', '.join(missing)} famil{'y' if len(missing) == 1 else 'ies'}; "
                    f"a card weighs {', '.join(f.value for f in required)} (never the amount recovered alone)"
                )
            allowed = AGENCY_MEASURES if role == "agency" else COLLECTOR_MEASURES
            wrong = [m.measure for m in card.measures if m.measure not in allowed] + [
                m for m in card.show if m not in allowed
            ]
            if wrong:
                raise ValueError(
                    f"{role}: {', '.join(wrong)} cannot be measured for "
                    f"{'an agency' if role == 'agency' else 'a ' + role}"
                )
        return value

    @field_validator("incentives")
    @classmethod
    def _incentives(cls, value: tuple[Incentive, ...]) -> tuple[Incentive, ...]:
        floors = [i.min_attainment for i in value]
        if floors != sorted(floors, reverse=True):
            raise ValueError("list incentive bands best first (min_attainment falling)")
        return value

    @property
    def working_country(self) -> str | None:
        from arrears.domain.geo import zone_country

        return self.country or zone_country(self.timezone)

    def incentive(self, attainment: Decimal | None, score: Decimal | None) -> Incentive | None:
        """The first band whose attainment and score floors are both met."""
        if attainment is None:
            return None
        for band in self.incentives:
            if attainment >= band.min_attainment and (score or Decimal(0)) >= band.min_score:
                return band
        return None

    def content_hash(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class ScorecardError(ValueError):
    """A scorecard file that cannot be used; the message names the field."""


def _loc(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "(file)"


def parse_scorecard(data: Any, source: str = "scorecard") -> Scorecard:
    if not isinstance(data, dict):
        raise ScorecardError(f"{source}: expected a table of settings at the top level")
    try:
        return Scorecard.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_loc(err['loc'])}: {err['msg'].removeprefix('Value error, ')}" for err in exc.errors()]
        raise ScorecardError(f"{source}: " + "; ".join(problems)) from None


def load_scorecard(path: str | Path) -> Scorecard:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScorecardError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScorecardError(f"{path}: not valid TOML: {exc}") from None
    return parse_scorecard(data, str(path))
