"""Every recorded history must replay against today's workflow code.

A change that would break a running workflow (nondeterminism) fails here.
Regenerate the files from real runs with:
    ARREARS_RECORD_HISTORIES=1 .venv/bin/pytest tests/workflow
and keep the old ones when behaviour changes (guard the change with workflow.patched).
"""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").rglob("*.json"))


def test_histories_are_present():
    names = {p.stem for p in HISTORIES}
    assert {"never_pays_charged_off", "cured_by_payment_dpd40", "partial_payments_then_cured",
            "late_import_dpd12", "operator_close", "promise_kept", "promises_broken_twice", "settlement_paid", "plan_completed", "plan_broken", "contact_outcomes",
            "agency_recalled", "agency_renewed_then_recalled", "agency_cured",
            "hold_dispute_verified", "hold_bankruptcy_charged_off", "hold_from_outcomes",
            "dispute_raised_before_holds", "recovery_paid_in_full",
            "economics_cured_restored", "economics_legal_referred", "economics_charged_off",
            "bureau_cycle_two_periods", "economics_notice_resent", "validation_notice_first"} <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path):
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"
