"""The blacklist: what an entry blocks, on which days, and its removal date after a cure."""

from datetime import date

import pytest
from pydantic import ValidationError

from arrears.domain.blacklist import BlacklistEntry, BlacklistPolicy, is_blocked, removal_date, should_list


def entry(listed_from=date(2026, 6, 1), until=None, reason="delinquency", blocks=("new_card", "limit_increase")):
    return BlacklistEntry(reason=reason, listed_from=listed_from, listed_until=until, blocks=blocks)


def test_no_entries_nothing_blocked():
    assert not is_blocked([], date(2026, 6, 1), "new_card").blocked


def test_blocked_from_listing_without_an_end():
    e = entry()
    assert not is_blocked([e], date(2026, 5, 31), "new_card").blocked
    check = is_blocked([e], date(2026, 6, 1), "limit_increase")
    assert (check.blocked, check.reason, check.listed_from, check.until) == (True, "delinquency", date(2026, 6, 1), None)


def test_until_is_the_first_free_day():
    e = entry(until=date(2026, 12, 1))
    assert is_blocked([e], date(2026, 11, 30), "new_card").blocked
    assert not is_blocked([e], date(2026, 12, 1), "new_card").blocked


def test_an_entry_blocks_only_its_purposes():
    e = entry(blocks=("limit_increase",))
    assert not is_blocked([e], date(2026, 7, 1), "new_card").blocked
    assert is_blocked([e], date(2026, 7, 1), "limit_increase").blocked


def test_the_longest_entry_answers():
    dated = entry(until=date(2027, 1, 1), reason="old")
    open_ended = entry(listed_from=date(2026, 8, 1), reason="fraud")
    assert is_blocked([dated, open_ended], date(2026, 9, 1), "new_card").reason == "fraud"
    later = entry(until=date(2027, 3, 1), reason="later")
    assert is_blocked([dated, later], date(2026, 9, 1), "new_card").until == date(2027, 3, 1)


def test_removal_date_counts_the_restoration_days_from_the_cure():
    assert removal_date(date(2026, 11, 15), BlacklistPolicy(restoration_days=180)) == date(2027, 5, 14)
    assert removal_date(date(2026, 11, 15), BlacklistPolicy(restoration_days=0)) == date(2026, 11, 15)


def test_listing_threshold():
    policy = BlacklistPolicy(list_at_dpd=91)
    assert not should_list(90, policy) and should_list(91, policy)


def test_bad_config_names_the_field():
    with pytest.raises(ValidationError, match="blocks"):
        BlacklistPolicy(blocks=("mortgage",))
    with pytest.raises(ValidationError, match="blocks"):
        BlacklistPolicy(blocks=())
    with pytest.raises(ValidationError, match="restoration_days"):
        BlacklistPolicy(restoration_days=-1)
    with pytest.raises(ValidationError, match="listed_until"):
        entry(until=date(2026, 5, 1))
    with pytest.raises(ValueError):
        is_blocked([], date(2026, 1, 1), "mortgage")
