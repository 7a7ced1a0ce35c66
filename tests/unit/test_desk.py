from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from arrears.domain.desk import (
    CollectorProfile,
    TaskNeeds,
    WorkItem,
    choose_collector,
    ineligibility,
    priority_key,
    required_role,
    sla_due,
    window_position,
)
from arrears.domain.strategy import DeskPolicy, Role, StrategyError
from arrears.config.strategies import parse_strategy

CALL_ZH = TaskNeeds(kind="call", language="zh-CN", region="SH-PD", required_role=Role.COLLECTOR)
VISIT_ZH = TaskNeeds(kind="visit", language="zh-CN", region="SH-PD", required_role=Role.COLLECTOR)


def person(cid: str, capacity: int = 10, languages=("zh-CN",), regions=(), role=Role.COLLECTOR, absent=False) -> CollectorProfile:
    return CollectorProfile(cid, "t", role, tuple(languages), tuple(regions), capacity, absent=absent)


def test_ineligibility_names_the_reason():
    assert ineligibility(person("a", languages=("en",)), CALL_ZH) == "does not speak zh-CN"
    assert ineligibility(person("a"), VISIT_ZH) == "does no field visits"
    assert ineligibility(person("a", regions=("BJ-CY",)), VISIT_ZH) == "does not visit region SH-PD"
    assert ineligibility(person("a", regions=("SH-PD",)), VISIT_ZH) is None
    assert ineligibility(person("a", absent=True), CALL_ZH) == "absent"
    senior = TaskNeeds("call", "zh-CN", None, Role.SUPERVISOR)
    assert "below supervisor" in ineligibility(person("a"), senior)
    assert ineligibility(person("m", role=Role.MANAGER), senior) is None


def test_least_load_relative_to_capacity_wins_ties_by_load_then_id():
    team = [person("b", 10), person("a", 10), person("c", 20)]
    assert choose_collector(team, {}, CALL_ZH).collector_id == "a"
    assert choose_collector(team, {"a": 1}, CALL_ZH).collector_id == "b"
    # All at 10 % of capacity: the lower absolute load (a, b) wins, then the id.
    assert choose_collector(team, {"a": 1, "b": 1, "c": 2}, CALL_ZH).collector_id == "a"
    assert choose_collector(team, {"a": 2, "b": 2, "c": 3}, CALL_ZH).collector_id == "c"


def test_nobody_at_capacity_gets_more():
    team = [person("a", 1), person("b", 1)]
    choice = choose_collector(team, {"a": 1, "b": 1}, CALL_ZH)
    assert choice.collector_id is None and "at capacity" in choice.reason
    assert choose_collector(team, {"a": 1}, CALL_ZH, exclude="b").collector_id is None
    assert "no collector" in choose_collector([], {}, CALL_ZH).reason


def test_role_and_sla_from_the_policy():
    policy = DeskPolicy()
    assert required_role(Decimal("49999.99"), policy) == Role.COLLECTOR
    assert required_role(Decimal("50000"), policy) == Role.SUPERVISOR
    due = datetime(2026, 3, 1, 2, tzinfo=timezone.utc)
    assert sla_due(due, "call", policy) == due + timedelta(hours=24)
    assert sla_due(due, "visit", policy) == due + timedelta(hours=72)


def test_desk_policy_errors_name_the_field():
    base = {"name": "x", "steps": [{"id": "co", "dpd": 180, "action": "charge_off"}]}
    with pytest.raises(StrategyError, match="desk.sla_hours: .*not sms"):
        parse_strategy({**base, "desk": {"sla_hours": {"sms": 5}}})
    with pytest.raises(StrategyError, match="desk.senior_role"):
        parse_strategy({**base, "desk": {"senior_role": "boss"}})


def test_window_position_in_the_customers_zone():
    noon_utc = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
    assert window_position(noon_utc, "Asia/Shanghai") == (0, 60)  # 20:00 there: one hour left
    assert window_position(noon_utc, "America/New_York") == (1, 60)  # 07:00 EST: opens in an hour
    assert window_position(datetime(2026, 3, 2, 14, tzinfo=timezone.utc), "Asia/Shanghai") == (1, 10 * 60)  # 22:00: opens in 10 h


def test_priority_stage_then_amount_then_broken_promises_then_local_time():
    now = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
    items = [
        WorkItem(1, "early", Decimal("9000"), 0, "Asia/Shanghai"),
        WorkItem(2, "mid", Decimal("100"), 0, "Asia/Shanghai"),
        WorkItem(3, "mid", Decimal("100"), 2, "Asia/Shanghai"),
        WorkItem(4, "mid", Decimal("100"), 2, "Europe/London"),  # 12:00 there: nine hours left
        WorkItem(5, "late", Decimal("10"), 0, "Asia/Shanghai"),
    ]
    order = [i.task_id for i in sorted(items, key=lambda i: priority_key(i, now))]
    assert order == [5, 3, 4, 2, 1]
