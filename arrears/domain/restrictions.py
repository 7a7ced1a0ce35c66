"""Card restrictions: the levels, what a ``restrict_card`` step applies, and what a cure lifts.

The levels are cumulative, from the mildest to the final one:

    cash_advance_blocked < purchases_blocked < card_frozen < card_closed

A card at a level also carries every lower level: the card-management system
receives one event per level, so that lifting one (on cure, in reverse order)
never leaves a hole such as "frozen, but purchases allowed". A step that jumps
(``card_frozen`` on a card with no restriction) therefore applies the skipped
lower levels too, mildest first.

On cure the levels come off in reverse order (the harshest first), except the
ones the strategy keeps: a closed card is not reopened by default, since
reopening is a new credit decision, not a collections one.
"""

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator


class RestrictionLevel(StrEnum):
    CASH_ADVANCE_BLOCKED = "cash_advance_blocked"
    PURCHASES_BLOCKED = "purchases_blocked"
    CARD_FROZEN = "card_frozen"
    CARD_CLOSED = "card_closed"

    @property
    def rank(self) -> int:
        return _RANK[self]

    # Ordered by severity, not by name: str's comparison would put card_closed first.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, RestrictionLevel):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, RestrictionLevel):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, RestrictionLevel):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, RestrictionLevel):
            return NotImplemented
        return self.rank >= other.rank

    __hash__ = str.__hash__


LEVELS: tuple[RestrictionLevel, ...] = tuple(RestrictionLevel)
_RANK = {level: n for n, level in enumerate(LEVELS)}


class RestrictionPolicy(BaseModel):
    """How restrictions end when the account cures (a strategy section)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lift_on_cure: bool = True
    # Levels that stay after a cure; a closed card is not reopened by collections.
    keep_on_cure: tuple[RestrictionLevel, ...] = (RestrictionLevel.CARD_CLOSED,)

    @field_validator("keep_on_cure")
    @classmethod
    def _distinct(cls, value: tuple[RestrictionLevel, ...]) -> tuple[RestrictionLevel, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a level is listed twice")
        return tuple(sorted(value))


def levels_to_apply(target: RestrictionLevel, current: Iterable[RestrictionLevel]) -> tuple[RestrictionLevel, ...]:
    """The levels to apply, mildest first, so the card carries ``target`` and every level below it.

    Levels already on the card are not applied again; levels above the target
    stay as they are (a milder step after a harsher one changes nothing).
    """
    have = set(current)
    return tuple(level for level in LEVELS if level <= target and level not in have)


def lift_plan(current: Iterable[RestrictionLevel], policy: RestrictionPolicy) -> tuple[RestrictionLevel, ...]:
    """The levels to lift on cure, harshest first; empty when the policy lifts nothing.

    A kept level keeps the levels below it too: lifting ``purchases_blocked``
    under a card that stays closed would tell the card system to allow
    purchases on a closed card.
    """
    if not policy.lift_on_cure:
        return ()
    have = set(current)
    floor = max((level for level in policy.keep_on_cure if level in have), default=None)
    return tuple(level for level in reversed(LEVELS) if level in have and (floor is None or level > floor))
