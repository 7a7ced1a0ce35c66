"""The ladder's variants by trigger: over-limit and early warning, validated with the field named."""

import pytest

from arrears.domain.ladder import occurrences
from arrears.domain.strategy import Segment, StrategyError
from arrears.config.strategies import load_strategy, parse_strategy
from tests.conftest import DEFAULT_STRATEGY

BASE = {
    "name": "small",
    "steps": [
        {"id": "pre-sms", "dpd": -3, "action": "sms", "segments": ["high"], "template": "sms_pre_due"},
        {"id": "early-sms", "dpd": 1, "action": "sms", "repeat_every_days": 7, "until_dpd": 43},
        {"id": "mid-call", "dpd": 40, "action": "call"},
        {"id": "charge-off", "dpd": 180, "action": "charge_off", "at": "00:00"},
    ],
}


def with_(**sections):
    return parse_strategy({**BASE, **sections})


def test_the_over_limit_variant_runs_its_steps_then_the_main_ladder_from_its_dpd():
    s = with_(over_limit={"main_ladder_from_dpd": 31, "steps": [
        {"id": "ol-sms", "dpd": 1, "action": "sms", "template": "sms_over_limit"},
        {"id": "ol-call", "dpd": 10, "action": "call", "segments": ["high"]}]})
    plan = [(o.dpd, o.step.id) for o in occurrences(s.ladder_for("over_limit"), Segment.HIGH)]
    # early-sms repeats 1, 8, ..., 43: only 36 and 43 are on or after DPD 31.
    assert plan == [(1, "ol-sms"), (10, "ol-call"), (36, "early-sms"), (40, "mid-call"), (43, "early-sms"),
                    (180, "charge-off")]
    assert s.ladder_for("missed_due") is s
    assert s.ladder_for("over_limit").promises == s.promises, "only the steps change"


def test_early_warning_adds_pre_due_steps_to_the_main_ladder():
    s = with_(early_warning={"limit_review": True, "steps": [
        {"id": "watch-sms", "dpd": -7, "action": "sms", "template": "sms_watch"}]})
    plan = [(o.dpd, o.step.id) for o in occurrences(s.ladder_for("early_warning"), Segment.LOW)]
    assert plan[:2] == [(-7, "watch-sms"), (1, "early-sms")]


def test_without_a_variant_a_trigger_runs_the_main_ladder_and_unknown_triggers_are_refused():
    s = with_()
    assert s.ladder_for("over_limit") is s and s.ladder_for("early_warning") is s
    with pytest.raises(ValueError, match="unknown trigger 'fraud'"):
        s.ladder_for("fraud")


@pytest.mark.parametrize("sections, message", [
    ({"over_limit": {"steps": [{"id": "ol", "dpd": 40, "action": "sms"}]}},
     "over_limit: steps[0] (id 'ol'): runs at DPD 40, but from main_ladder_from_dpd (31) on"),
    ({"over_limit": {"steps": [{"id": "ol", "dpd": 5, "action": "charge_off"}]}},
     "steps[0] (id 'ol'): charge_off belongs to the main ladder"),
    ({"over_limit": {"steps": [{"id": "ol", "dpd": 5, "action": "sms", "colour": "red"}]}},
     "over_limit.steps[0].colour: Extra inputs are not permitted"),
    ({"over_limit": {"steps": [{"id": "mid-call", "dpd": 5, "action": "call"}]}},
     "over_limit.steps: id(s) mid-call are also main ladder steps"),
    ({"early_warning": {"steps": [{"id": "w", "dpd": 2, "action": "sms"}]}},
     "steps[0] (id 'w'): runs at DPD 2; pre-due steps run before the due date"),
    ({"early_warning": {"steps": [{"id": "w", "dpd": -5, "action": "restrict_card"}]}},
     "steps[0] (id 'w'): action restrict_card: a pre-due step is a courteous reminder"),
    ({"early_warning": {}}, "list pre-due steps or set limit_review = true"),
])
def test_a_bad_variant_is_refused_with_the_field_named(sections, message):
    with pytest.raises(StrategyError) as caught:
        with_(**sections)
    assert message in str(caught.value)


def test_the_default_strategy_has_both_variants_and_hashes_without_unset_sections_as_before():
    default = load_strategy(DEFAULT_STRATEGY)
    assert default.over_limit is not None and default.early_warning is not None and default.early_warning.limit_review
    plain = with_()
    dumped = plain.model_dump(mode="json")
    assert dumped["over_limit"] is None
    import hashlib
    import json

    del dumped["over_limit"], dumped["early_warning"], dumped["experiment"]
    before = hashlib.sha256(json.dumps(dumped, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert plain.content_hash() == before, "a strategy without the new sections keeps the hash running episodes carry"
    assert with_(early_warning={"limit_review": True}).content_hash() != before
