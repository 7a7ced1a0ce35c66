"""A strategy's steps: what the ladder can do (actions), for whom (risk segments), and when."""

from datetime import time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arrears.domain.delinquency import CHARGE_OFF_DPD
from arrears.domain.restrictions import RestrictionLevel


class Action(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    IM = "im"
    LETTER = "letter"
    CALL = "call"
    VISIT = "visit"
    RESTRICT_CARD = "restrict_card"
    BUREAU_REPORT = "bureau_report"
    AGENCY = "agency"
    LEGAL = "legal"
    CHARGE_OFF = "charge_off"
    # A text to the account's contact persons asking the cardholder to call back, only
    # while the cardholder cannot be reached; it never mentions the debt.
    LOCATE = "locate"
    # A text to the account's guarantor about the debt, where the preset allows it (cn-bank:
    # 商业银行信用卡业务监督管理办法 art. 68 names the cardholder and the guarantor).
    GUARANTOR = "guarantor"


REMINDERS = frozenset({Action.SMS, Action.EMAIL, Action.IM, Action.LETTER})
THIRD_PARTY = frozenset({Action.LOCATE, Action.GUARANTOR})
MESSAGES = REMINDERS | THIRD_PARTY  # actions that render a template
COLLECTOR_TASKS = frozenset({Action.CALL, Action.VISIT, Action.AGENCY, Action.LEGAL})
ACCOUNT_ACTIONS = frozenset({Action.RESTRICT_CARD, Action.BUREAU_REPORT, Action.CHARGE_OFF})


class Segment(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


EARLIEST_DPD = -30


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    dpd: int = Field(ge=EARLIEST_DPD, le=CHARGE_OFF_DPD)
    action: Action
    segments: tuple[Segment, ...] = (Segment.LOW, Segment.MEDIUM, Segment.HIGH)
    at: time = time(10, 0)
    template: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
    repeat_every_days: int | None = Field(default=None, ge=1, le=90)
    until_dpd: int | None = Field(default=None, le=CHARGE_OFF_DPD)
    # restrict_card only: how far the card is restricted (lower levels not yet applied come first).
    # Strategies written before levels existed mean purchases_blocked.
    level: RestrictionLevel | None = None
    why: str = ""

    @field_validator("segments")
    @classmethod
    def _segments_not_empty(cls, value: tuple[Segment, ...]) -> tuple[Segment, ...]:
        if not value:
            raise ValueError("list at least one risk segment (low, medium, high)")
        if len(set(value)) != len(value):
            raise ValueError("a segment is listed twice")
        return value

    @field_validator("at", mode="before")
    @classmethod
    def _parse_at(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = time.fromisoformat(value)  # "10:00", or "10:00:00" as the wire writes it
            except ValueError:
                raise ValueError(f"local time must be HH:MM, got {value!r}") from None
        if isinstance(value, time) and value.tzinfo is not None:
            raise ValueError("local time must not carry a UTC offset: it is the account's local time")
        if isinstance(value, int):
            # YAML 1.1 reads an unquoted 10:00 as the number 600.
            raise ValueError('local time must be "HH:MM" (in YAML, quote it: at: "10:00")')
        return value

    @model_validator(mode="after")
    def _check_repeat(self) -> "Step":
        if (self.repeat_every_days is None) != (self.until_dpd is None):
            raise ValueError("repeat_every_days and until_dpd go together")
        if self.until_dpd is not None and self.until_dpd <= self.dpd:
            raise ValueError(f"until_dpd ({self.until_dpd}) must be after dpd ({self.dpd})")
        if self.action == Action.CHARGE_OFF and self.repeat_every_days is not None:
            raise ValueError("charge_off happens once and cannot repeat")
        if self.template is not None and self.action not in MESSAGES:
            raise ValueError(
                f"only messages (sms, email, im, letter, locate, guarantor) take a template, not {self.action}"
            )
        if self.level is not None and self.action != Action.RESTRICT_CARD:
            raise ValueError(f"only restrict_card takes a level, not {self.action}")
        return self

    @property
    def restriction_level(self) -> RestrictionLevel:
        return self.level or RestrictionLevel.PURCHASES_BLOCKED

    @property
    def template_name(self) -> str:
        if self.template:
            return self.template
        if self.action == Action.LOCATE:
            return "sms_locate"
        return "sms_guarantor" if self.action == Action.GUARANTOR else self.action.value

    def occurrence_dpds(self) -> list[int]:
        if self.repeat_every_days is None or self.until_dpd is None:
            return [self.dpd]
        return list(range(self.dpd, self.until_dpd + 1, self.repeat_every_days))
