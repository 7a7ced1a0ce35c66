"""Card restriction levels: ordering, what a step applies, what a cure lifts."""

import pytest
from pydantic import ValidationError

from arrears.domain.restrictions import LEVELS, RestrictionLevel as L, RestrictionPolicy, levels_to_apply, lift_plan


def test_levels_are_ordered_by_severity_not_by_name():
    assert L.CASH_ADVANCE_BLOCKED < L.PURCHASES_BLOCKED < L.CARD_FROZEN < L.CARD_CLOSED
    assert sorted([L.CARD_CLOSED, L.CASH_ADVANCE_BLOCKED, L.CARD_FROZEN]) == [
        L.CASH_ADVANCE_BLOCKED, L.CARD_FROZEN, L.CARD_CLOSED]
    assert max(LEVELS) == L.CARD_CLOSED and L.CARD_FROZEN >= L.CARD_FROZEN
    assert L("card_frozen") is L.CARD_FROZEN  # still the plain string on the wire


def test_first_level_applies_alone():
    assert levels_to_apply(L.CASH_ADVANCE_BLOCKED, []) == (L.CASH_ADVANCE_BLOCKED,)


def test_a_jump_applies_the_skipped_levels_mildest_first():
    assert levels_to_apply(L.CARD_FROZEN, [L.CASH_ADVANCE_BLOCKED]) == (L.PURCHASES_BLOCKED, L.CARD_FROZEN)
    assert levels_to_apply(L.CARD_CLOSED, []) == LEVELS


def test_nothing_to_apply_at_or_below_what_the_card_has():
    assert levels_to_apply(L.PURCHASES_BLOCKED, [L.CASH_ADVANCE_BLOCKED, L.PURCHASES_BLOCKED]) == ()
    assert levels_to_apply(L.CASH_ADVANCE_BLOCKED, LEVELS) == ()


def test_cure_lifts_in_reverse_and_keeps_a_closed_card_closed_by_default():
    policy = RestrictionPolicy()
    assert lift_plan([L.CASH_ADVANCE_BLOCKED, L.PURCHASES_BLOCKED, L.CARD_FROZEN], policy) == (
        L.CARD_FROZEN, L.PURCHASES_BLOCKED, L.CASH_ADVANCE_BLOCKED)
    # Closed stays, and so does everything under it: no "closed, but purchases allowed".
    assert lift_plan(LEVELS, policy) == ()


def test_keeping_a_middle_level_lifts_only_what_is_above_it():
    policy = RestrictionPolicy(keep_on_cure=("purchases_blocked",))
    assert lift_plan(LEVELS, policy) == (L.CARD_CLOSED, L.CARD_FROZEN)
    assert lift_plan([L.CASH_ADVANCE_BLOCKED], policy) == (L.CASH_ADVANCE_BLOCKED,)  # the kept level is not on


def test_lift_on_cure_off_lifts_nothing_and_an_empty_keep_lifts_all():
    assert lift_plan([L.CASH_ADVANCE_BLOCKED], RestrictionPolicy(lift_on_cure=False)) == ()
    assert lift_plan(LEVELS, RestrictionPolicy(keep_on_cure=())) == tuple(reversed(LEVELS))


def test_policy_refuses_unknown_and_repeated_levels_naming_the_field():
    with pytest.raises(ValidationError, match="keep_on_cure"):
        RestrictionPolicy(keep_on_cure=("card_melted",))
    with pytest.raises(ValidationError, match="(?s)keep_on_cure.*listed twice"):
        RestrictionPolicy(keep_on_cure=("card_closed", "card_closed"))
    with pytest.raises(ValidationError, match="(?s)reopen.*Extra inputs"):
        RestrictionPolicy(lift_on_cure=True, reopen=True)
