"""Days past due, collection stages and delinquency buckets."""

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo


class Stage(StrEnum):
    PRE_DUE = "pre_due"  # before or on the due date (DPD <= 0)
    EARLY = "early"  # DPD 1-30
    MID = "mid"  # DPD 31-90
    LATE = "late"  # DPD 91-179
    CHARGED_OFF = "charged_off"  # DPD 180 onwards


class Outcome(StrEnum):
    CURED = "cured"
    PAID_ON_TIME = "paid_on_time"
    CHARGED_OFF = "charged_off"
    CLOSED = "closed"
    SETTLED = "settled"


CHARGE_OFF_DPD = 180


def local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def days_past_due(due_date: date, moment: datetime, timezone: str) -> int:
    """Calendar days since the missed due date, counted in the account's zone.

    The due date itself is DPD 0; the next local calendar day is DPD 1.
    """
    return (local_date(moment, timezone) - due_date).days


def stage_for_dpd(dpd: int) -> Stage:
    if dpd <= 0:
        return Stage.PRE_DUE
    if dpd <= 30:
        return Stage.EARLY
    if dpd <= 90:
        return Stage.MID
    if dpd < CHARGE_OFF_DPD:
        return Stage.LATE
    return Stage.CHARGED_OFF


def bucket_for_dpd(dpd: int) -> str:
    """M0 current, M1 = 1-30, M2 = 31-60, ... M6 = 151-180, M7+ beyond."""
    if dpd <= 0:
        return "M0"
    cycles = (dpd - 1) // 30 + 1
    return f"M{cycles}" if cycles <= 6 else "M7+"


# DPDs at which the stage or the bucket changes; the workflow wakes at each so
# that status and search attributes are current even between strategy steps.
BOUNDARY_DPDS = (1, 31, 61, 91, 121, 151, CHARGE_OFF_DPD, 181)


def next_boundary_dpd(dpd: int) -> int | None:
    return next((b for b in BOUNDARY_DPDS if b > dpd), None)
