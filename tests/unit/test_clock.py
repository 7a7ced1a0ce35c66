from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from arrears.domain.clock import DAY, EpisodeClock

REAL = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
VIRTUAL = datetime(2026, 3, 1, 0, 0, tzinfo=timezone.utc)


def test_production_clock_is_identity():
    clock = EpisodeClock(anchor_real=REAL, anchor_virtual=VIRTUAL, day_seconds=DAY)
    later = REAL + timedelta(days=3, hours=5)
    assert clock.speed == 1
    # Real time *is* collection time, regardless of the anchors.
    assert clock.virtual(later) == later
    assert clock.real_delay(REAL, REAL + timedelta(days=2)) == timedelta(days=2)


def test_compressed_clock_maps_real_seconds_to_days():
    clock = EpisodeClock(anchor_real=REAL, anchor_virtual=VIRTUAL, day_seconds=2)
    assert clock.speed == DAY / 2
    assert clock.virtual(REAL) == VIRTUAL
    assert clock.virtual(REAL + timedelta(seconds=2)) == VIRTUAL + timedelta(days=1)
    assert clock.virtual(REAL + timedelta(seconds=61)) == VIRTUAL + timedelta(days=30, hours=12)


def test_compressed_real_delay_scales_back():
    clock = EpisodeClock(anchor_real=REAL, anchor_virtual=VIRTUAL, day_seconds=1.5)
    now = VIRTUAL + timedelta(days=4)
    assert clock.real_delay(now, now + timedelta(days=10)) == timedelta(seconds=15)
    assert clock.real_delay(now, now + timedelta(hours=12)) == timedelta(seconds=0.75)
    # Round trip: waiting the real delay lands on the virtual target.
    target = now + timedelta(days=7, hours=3)
    real_now = REAL + (now - VIRTUAL) / clock.speed
    assert clock.virtual(real_now + clock.real_delay(now, target)) == target


@pytest.mark.parametrize("day_seconds", [DAY, 1.0])
def test_real_delay_is_never_negative(day_seconds):
    clock = EpisodeClock(anchor_real=REAL, anchor_virtual=VIRTUAL, day_seconds=day_seconds)
    assert clock.real_delay(VIRTUAL, VIRTUAL - timedelta(days=3)) == timedelta(0)
    assert clock.real_delay(VIRTUAL, VIRTUAL) == timedelta(0)


@pytest.mark.parametrize("day_seconds", [0, -1])
def test_day_seconds_must_be_positive(day_seconds):
    with pytest.raises(ValidationError):
        EpisodeClock(anchor_real=REAL, anchor_virtual=VIRTUAL, day_seconds=day_seconds)
