"""The event budget of a life: what an uncured 180-day episode costs the server.

The server does the same work for every history event, so the events an
episode writes are, to first order, its cost. A never-paying high-risk account
on the production strategy runs the whole ladder up to the charge-off; its
history (all runs) must stay within the budget reached by the lean engine
(8.2 events per executed step when measured; a plain timer loop with one
activity per step costs 11). More than that means a step grew a second
workflow task, a second activity or an upsert that did not change anything.
"""

import sys
from pathlib import Path

from arrears import PROJECT_ROOT
from arrears.config.strategies import load_strategy

sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
from episode_events import life_events  # noqa: E402

BUDGET_PER_STEP = 9.0


async def test_an_uncured_default_strategy_life_stays_within_the_event_budget(time_env, migrated_sqlite):
    strategy = load_strategy(PROJECT_ROOT / "strategies" / "default.toml")
    life = await life_events(time_env, migrated_sqlite, strategy, "high")
    assert life["outcome"] == "charged_off", life
    assert life["steps"] >= 30, life  # the whole ladder ran, not an early stop that would flatter the ratio
    assert life["per_step"] <= BUDGET_PER_STEP, (
        f"{life['events']} events for {life['steps']} steps ({life['per_step']}/step) is over the budget of "
        f"{BUDGET_PER_STEP}: {life['kinds'].most_common(8)}")
    # One wake-up serves every item due at a moment: never more workflow tasks than steps and timers need.
    assert life["kinds"]["ACTIVITY_TASK_SCHEDULED"] <= 2, life["kinds"]  # the recovery hand-off at most
