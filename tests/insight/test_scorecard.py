"""The scorecard file: validation that names the field, and scoring by bands, weights, targets and
incentive bands (pure)."""

import copy
import tomllib
from decimal import Decimal

import pytest

from arrears import PROJECT_ROOT
from arrears.insight.scorecard import ScorecardError, load_scorecard, parse_scorecard

DEFAULT = PROJECT_ROOT / "scorecards" / "default.toml"
DATA = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
D = Decimal


def _with(change) -> dict:
    data = copy.deepcopy(DATA)
    change(data)
    return data


def test_the_default_file_loads():
    card = load_scorecard(DEFAULT)
    assert set(card.roles) == {"collector", "supervisor", "agency"}
    assert card.working_country == "CN" and card.currency == "CNY"
    assert [b.band for b in card.incentives] == ["A", "B", "C", "D"]


@pytest.mark.parametrize("change, message", [
    (lambda d: d["roles"]["collector"]["measures"].__setitem__(slice(None), [
        m for m in d["roles"]["collector"]["measures"] if m["measure"] not in ("quality_score",)]),
     "roles: Value error, collector: no weight on the quality family"),
    (lambda d: d["roles"]["collector"]["measures"][0].__setitem__("weight", 200),
     "roles.collector: measures: the effect family has 79% of the weight; at most 60%"),
    (lambda d: d["roles"]["collector"]["measures"][0].__setitem__("measure", "happiness"),
     "roles.collector.measures[0].measure: unknown measure 'happiness'"),
    (lambda d: d["roles"]["collector"]["measures"][0].__setitem__("bands", [{"at_most": 0.3, "points": 100}]),
     "roles.collector.measures[0]: bands[0]: recovery_rate is better higher: use at_least"),
    (lambda d: d["roles"]["collector"]["measures"][0].__setitem__("bands", [{"at_least": 0.1, "points": 50},
                                                                             {"at_least": 0.3, "points": 100}]),
     "list them best first"),
    (lambda d: d["roles"]["collector"]["measures"][0].__setitem__("bands", [{"at_least": 0.1, "points": 150}]),
     "roles.collector.measures[0].bands[0].points: Input should be less than or equal to 100"),
    (lambda d: d["roles"].__setitem__("intern", d["roles"]["collector"]), "unknown role(s) intern"),
    (lambda d: d["roles"]["collector"]["measures"].append({"measure": "recall_rate", "weight": 1,
                                                           "bands": [{"at_most": 0.5, "points": 100}]}),
     "collector: recall_rate cannot be measured for a collector"),
    (lambda d: d["targets"]["collectors"].append({"team": "east", "recovered": "5"}),
     "targets: Value error, collectors[2]: name the collector"),
    (lambda d: d["targets"]["collectors"].append({"collector": "c", "recovered": "5", "month": "2026-13"}),
     "targets.collectors[2].month"),
    (lambda d: d["incentives"].reverse(), "incentives: Value error, list incentive bands best first"),
    (lambda d: d["rubric"].__setitem__("scale_max", 1), "rubric: Value error, scale_min (1) must be below scale_max (1)"),
    (lambda d: d.__setitem__("timezone", "Mars/Base"), "timezone: Value error, unknown time zone 'Mars/Base'"),
    (lambda d: d["attribution"].__setitem__("order", ["agency", "agency"]), "attribution.order: Value error, a source is listed twice"),
])
def test_a_bad_scorecard_names_the_field(change, message):
    with pytest.raises(ScorecardError) as caught:
        parse_scorecard(_with(change), "sc.toml")
    assert message.replace("Value error, ", "") in str(caught.value).replace("Value error, ", ""), str(caught.value)


def test_points_scores_targets_and_bands():
    card = load_scorecard(DEFAULT)
    collector = card.roles["collector"]
    values = {"recovery_rate": D("0.25"), "promise_kept_rate": D("0.8"), "recovery_cycle_median": D("20"),
              "quality_score": D("90"), "contact_rate": D("0.3"), "calls_per_working_day": D("10"),
              "complaints_per_1000": D("0"), "complaints_in_time_rate": D("1"), "compliance_findings": None}
    score = collector.score(values)
    # points: 80, 100, 40, 100, 70, 0 (below the last band), 100, 100, and findings unmeasured
    assert score.points == {"recovery_rate": 80, "promise_kept_rate": 100, "recovery_cycle_median": 40,
                            "quality_score": 100, "contact_rate": 70, "calls_per_working_day": 0,
                            "complaints_per_1000": 100, "complaints_in_time_rate": 100, "compliance_findings": None}
    # (20*80 + 15*100 + 5*40 + 20*100 + 10*70 + 5*0 + 15*100 + 5*100) / 95 = 8000 / 95
    assert score.value == D("84.2") and score.coverage == D("0.95")
    assert collector.score({}).value is None
    # Targets: a month's own line, the general line, the default; teams and agencies from their lines.
    assert card.targets.for_subject("collector", "c-li", "2027-01") == D("35000")
    assert card.targets.for_subject("collector", "c-li", "2026-12") == D("30000")
    assert card.targets.for_subject("collector", "c-zhao", "2026-12") == D("20000")
    assert card.targets.for_subject("team", "east", "2026-12") == D("120000")
    assert card.targets.for_subject("team", "west", "2026-12") is None
    # Bands: attainment with a minimum score.
    assert card.incentive(D("1.3"), D("80")).band == "A"
    assert card.incentive(D("1.3"), D("70")).band == "B"  # money without the quality: not the top band
    assert card.incentive(D("0.85"), D("10")).band == "C"
    assert card.incentive(D("0"), None).band == "D"
    assert card.incentive(None, D("90")) is None
