"""One set of bounds for every value the system accepts: what the wire takes, the record can hold.

Each type here is an annotated pydantic type whose limit equals the column it
ends in (see docs/boundaries.md for the table), so a value a validator lets
through is one an activity can write, and a value the record could not hold is
refused at the edge with the field named, before any workflow sees it.

Pure: no I/O at validation time. The currency and zone tables are read once,
when the module is imported, so validators that run inside the workflow
sandbox (update arguments are decoded there) only look things up.
"""

import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeAlias
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

# ---- money ---------------------------------------------------------------------------------------

# The Money column is NUMERIC(20, 4): 16 digits before the point, 4 after.
MONEY_SCALE = 4
MONEY_INTEGER_DIGITS = 16
MONEY_MAX = Decimal(10) ** MONEY_INTEGER_DIGITS - Decimal(1).scaleb(-MONEY_SCALE)  # 9999999999999999.9999


def decimals(amount: Decimal) -> int:
    """Digits after the point that carry value: 12.50 has 1, 1E+3 has 0."""
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _money(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    if decimals(value) > MONEY_SCALE:
        raise ValueError(f"at most {MONEY_SCALE} decimal places can be stored, got {value}")
    if abs(value) > MONEY_MAX:
        raise ValueError(f"amount {value} is beyond what the record holds (at most {MONEY_MAX} in absolute value)")
    return value


def _no_float(value: Any) -> Any:
    """A JSON float's text is what the sender wrote: 0.1 stays 0.1, never 0.1000000000000000055."""
    if isinstance(value, float):
        return repr(value)
    return value


# Any amount the record can hold exactly (signed: ledger lines and deltas).
Money = Annotated[Decimal, BeforeValidator(_no_float), AfterValidator(_money)]
PositiveMoney = Annotated[Money, Field(gt=0)]
NonNegativeMoney = Annotated[Money, Field(ge=0)]
# A percentage (commission, discount): stored in a Money column, 0 to 100.
Percent = Annotated[Money, Field(ge=0, le=100)]


# ---- currencies (Babel: CLDR's ISO 4217 data) ------------------------------------------------


def _tender_currencies() -> frozenset[str]:
    """Codes that were legal tender in some territory on some day since 2000 (CLDR).

    This leaves out what is not money a card can owe: XXX (no currency), XTS
    (testing), metals (XAU, XAG, XPT, XPD), fund units (XDR, XSU, XUA, BOV,
    CLF, ...). A currency retired since 2000 (HRK, 2023) stays valid so that
    an episode started in it still decodes on replay years later; the import
    row additionally asks for one that is tender today (``current_currency``).
    """
    from babel.core import get_global
    from babel.numbers import get_territory_currencies

    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, start_date=date(2000, 1, 1), end_date=date(9999, 12, 31)))
    return frozenset(codes)


def _minor_units(codes: frozenset[str]) -> dict[str, int]:
    from babel.numbers import get_currency_precision

    return {code: get_currency_precision(code) for code in codes}


CURRENCIES: frozenset[str] = _tender_currencies()
MINOR_UNITS: dict[str, int] = _minor_units(CURRENCIES)


def minor_units(currency: str) -> int:
    """Decimals the currency's amounts may carry (CLDR's digits; 2 for a code we do not know)."""
    return MINOR_UNITS.get(currency.upper(), 2)


def _currency(value: str) -> str:
    if value not in CURRENCIES:
        if value.upper() in CURRENCIES:
            raise ValueError(f"currency codes are upper case: {value.upper()!r}, got {value!r}")
        raise ValueError(f"{value!r} is not a currency in legal tender (ISO 4217, CLDR)")
    return value


CurrencyCode = Annotated[str, StringConstraints(min_length=3, max_length=3), AfterValidator(_currency)]


@lru_cache(maxsize=4)
def tender_on(day: date) -> frozenset[str]:
    """Currencies legal tender somewhere on ``day`` (what a new import may use)."""
    from babel.core import get_global
    from babel.numbers import get_territory_currencies

    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, start_date=day))
    return frozenset(codes)


def amount_fits_currency(amount: Decimal, currency: str) -> str | None:
    """Why ``amount`` cannot be an amount of ``currency``, or None."""
    if decimals(amount) > minor_units(currency):
        return f"{amount} has more decimals than {currency} allows ({minor_units(currency)})"
    return None


# ---- integers --------------------------------------------------------------------------------------

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # INTEGER on PostgreSQL

Int32 = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]
Count = Annotated[int, Field(ge=0, le=INT_MAX)]
PositiveCount = Annotated[int, Field(ge=1, le=INT_MAX)]
RecordId = Annotated[int, Field(ge=1, le=INT_MAX)]  # an autoincrement id (task, case, placement)
Days = Annotated[int, Field(ge=-36_600, le=36_600)]  # a span in days (hardship, placement)
DaysPastDue = Annotated[int, Field(ge=-36_600, le=36_600)]  # a century either way: dates are 2000..2099
# A call's length: nobody is on one call for more than a day.
CallSeconds = Annotated[int, Field(ge=0, le=86_400)]
# A compressed collection day for demos, up to a real one (and a little slack).
DaySeconds = Annotated[float, Field(gt=0, le=86_400 * 2)]
Interval = Annotated[float, Field(gt=0, le=86_400 * 366)]  # seconds between sweeps, archive rounds


# ---- text ------------------------------------------------------------------------------------------

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _refuse_controls(value: str, allowed: str) -> str:
    for position, char in enumerate(value):
        category = unicodedata.category(char)
        if (category == "Cc" and char not in allowed) or category == "Cs" or char in _BIDI_CONTROLS:
            what = "a NUL byte" if char == "\x00" else f"control character U+{ord(char):04X}"
            raise ValueError(f"{what} at position {position} is not allowed")
    return value


def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _single_line(value: str) -> str:
    return _refuse_controls(value, "")


def _multi_line(value: str) -> str:
    return _refuse_controls(value, "\n\t\r")


def _trimmed(value: str) -> str:
    if value != value.strip():
        raise ValueError("must not start or end with white space")
    return value


def _size(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(min_length=min_length or None, max_length=max_length)


# Shared metadata, so every text type below is spelled as a plain alias mypy accepts as a type.
_NFC = BeforeValidator(_nfc)
_ONE_LINE = AfterValidator(_single_line)
_LINES = AfterValidator(_multi_line)
_TRIMMED = AfterValidator(_trimmed)


def Line(max_length: int, min_length: int = 0) -> Any:
    """One line of text: NFC, no control characters, at most ``max_length`` characters (the column's size).

    For building a type at run time (a TypeAdapter); an annotation uses one of
    the aliases below, since a call is not a type to a checker.
    """
    return Annotated[str, _size(max_length, min_length), _NFC, _ONE_LINE]


def Paragraph(max_length: int, min_length: int = 0) -> Any:
    """Free text that may span lines (tabs and line breaks allowed, other controls not)."""
    return Annotated[str, _size(max_length, min_length), _NFC, _LINES]


def Key(max_length: int = 64) -> Any:
    """An id someone gives (payment, promise, hold, collector): non-empty, one line, no edge spaces."""
    return Annotated[str, _size(max_length, 1), _NFC, _ONE_LINE, _TRIMMED]


# Sizes shared by many columns (arrears/db/models/). Each alias equals Line(n), Paragraph(n) or Key(n).
ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Id64: TypeAlias = Annotated[
    str, _size(64, 1), _NFC, _ONE_LINE, _TRIMMED
]  # account, payment, promise, offer, plan, hold, collector ids: String(64)
AccountId: TypeAlias = Annotated[Id64, StringConstraints(pattern=ACCOUNT_ID_PATTERN)]
WorkflowId: TypeAlias = Annotated[str, _size(100, 1), _NFC, _ONE_LINE, _TRIMMED]
OptionalId64: TypeAlias = Annotated[str, _size(64), _NFC, _ONE_LINE]  # the same columns where "" means "not given"
Code16: TypeAlias = Annotated[str, _size(16), _NFC, _ONE_LINE]  # channel, status, stage, kind: String(16)
Code32: TypeAlias = Annotated[str, _size(32), _NFC, _ONE_LINE]
Line8: TypeAlias = Annotated[str, _size(8), _NFC, _ONE_LINE]
Line64: TypeAlias = Annotated[str, _size(64), _NFC, _ONE_LINE]
Line80: TypeAlias = Annotated[str, _size(80), _NFC, _ONE_LINE]
Line100: TypeAlias = Annotated[str, _size(100), _NFC, _ONE_LINE]
Name100 = Line100  # strategy names
Name200: TypeAlias = Annotated[str, _size(200), _NFC, _ONE_LINE]
Line254: TypeAlias = Annotated[str, _size(254), _NFC, _ONE_LINE]
Line500: TypeAlias = Annotated[str, _size(500), _NFC, _ONE_LINE]
Line2000: TypeAlias = Annotated[str, _size(2000), _NFC, _ONE_LINE]
# The same with at least one character: a reason, a channel, a request id that must be given.
Code32Given: TypeAlias = Annotated[str, _size(32, 1), _NFC, _ONE_LINE]
Line48Given: TypeAlias = Annotated[str, _size(48, 1), _NFC, _ONE_LINE]
Line64Given: TypeAlias = Annotated[str, _size(64, 1), _NFC, _ONE_LINE]
Line100Given: TypeAlias = Annotated[str, _size(100, 1), _NFC, _ONE_LINE]
Name200Given: TypeAlias = Annotated[str, _size(200, 1), _NFC, _ONE_LINE]
PhoneLine: TypeAlias = Annotated[str, _size(32, 5), _NFC, _ONE_LINE]  # the field adds the digits pattern
Period = Annotated[str, StringConstraints(max_length=7, pattern=r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")]  # YYYY-MM
# What the system writes to explain itself (an activity's detail, a report line): long, never unbounded.
Detail: TypeAlias = Annotated[str, _size(10_000), _NFC, _LINES]
Ref500 = Line500
# Text columns have no size of their own; these limits keep a note a note.
Paragraph1000: TypeAlias = Annotated[str, _size(1000), _NFC, _LINES]
Note: TypeAlias = Annotated[str, _size(2000), _NFC, _LINES]
Reason = Note
Paragraph4000: TypeAlias = Annotated[str, _size(4000), _NFC, _LINES]
Paragraph200Given: TypeAlias = Annotated[str, _size(200, 1), _NFC, _LINES]
Paragraph500Given: TypeAlias = Annotated[str, _size(500, 1), _NFC, _LINES]
Reason2000Given: TypeAlias = Annotated[str, _size(2000, 1), _NFC, _LINES]
Hash64 = Annotated[str, StringConstraints(max_length=64, pattern=r"^[0-9a-f]*$")]  # SHA-256, hex
Key200: TypeAlias = Annotated[str, _size(200), _NFC, _ONE_LINE]  # idempotency keys: String(200)


# ---- dates and moments ----------------------------------------------------------------------------

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
DUE_DATE_HORIZON = timedelta(days=366)


def _sane_date(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"date {value} is outside {EARLIEST}..{LATEST}")
    return value


def _sane_moment(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("give the time with its UTC offset, e.g. 2026-11-25T16:00+08:00")
    utc = value.astimezone(UTC)
    if not datetime.combine(EARLIEST, time(), UTC) <= utc < datetime.combine(LATEST + timedelta(days=1), time(), UTC):
        raise ValueError(f"time {value.isoformat()} is outside {EARLIEST}..{LATEST}")
    return value


# A calendar date the ladder can count from and the record can hold.
SaneDate = Annotated[date, AfterValidator(_sane_date)]
# An aware moment (naive ones are refused: the record stores UTC and cannot guess the zone).
Moment = Annotated[datetime, AfterValidator(_sane_moment)]


def due_date_problem(due: date, today: date) -> str | None:
    """Why ``due`` cannot be an imported account's missed due date, as of ``today`` (UTC), or None.

    Not before 2000; not more than a year ahead (a due date further out is a
    typo, and the ladder's timers would be computed for it). Checked where
    accounts come in, not on the workflow's input: a workflow must not read
    the clock while it decodes.
    """
    if due < EARLIEST:
        return f"due date {due} is before {EARLIEST}"
    if due > today + DUE_DATE_HORIZON:
        return f"due date {due} is more than a year ahead of {today}"
    return None


def local_time_problem(wall: datetime, zone: str) -> str | None:
    """Why the naive local ``wall`` time does not exist (a DST gap) or is ambiguous (a DST fold) in ``zone``."""
    tz = ZoneInfo(zone)
    early, late = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if early.utcoffset() != late.utcoffset():
        back = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if back != wall:
            return f"{wall:%Y-%m-%d %H:%M} does not exist in {zone} (the clocks skip it)"
        return f"{wall:%Y-%m-%d %H:%M} happens twice in {zone} (the clocks go back): give the UTC offset"
    return None


# ---- time zones ------------------------------------------------------------------------------------

# Names zoneinfo resolves that are no place a customer lives.
_NOT_PLACES = frozenset({"Factory", "localtime", "posixrules", "posix", "right"})


def _zone_tab_names() -> tuple[frozenset[str], dict[str, str]]:
    """Zones tzdata's zone.tab lists (one or more per country), and backward links with their targets."""
    for root in (*TZPATH, *_tzdata_package_dirs()):
        tab = Path(root) / "zone.tab"
        if tab.is_file():
            names = frozenset(
                line.split("\t")[2].strip()
                for line in tab.read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")
            )
            links: dict[str, str] = {}
            zi = Path(root) / "tzdata.zi"
            if zi.is_file():
                for line in zi.read_text(encoding="utf-8").splitlines():
                    if line.startswith("L "):
                        _, target, alias = line.split()[:3]
                        links[alias] = target
            return names, links
    # No zone.tab anywhere: every zone zoneinfo knows, less the known non-places.
    return frozenset(z for z in available_timezones() if z.split("/")[0] not in _NOT_PLACES), {}


def _tzdata_package_dirs() -> tuple[str, ...]:
    try:
        import tzdata  # type: ignore[import-not-found]
    except ImportError:
        return ()
    return (str(Path(tzdata.__file__).parent / "zoneinfo"),)


_ZONE_TAB, _LINKS = _zone_tab_names()
# Every location zone of zone.tab, and UTC itself (the one link admitted: systems that keep UTC say "UTC").
ZONES: frozenset[str] = _ZONE_TAB | {"UTC", "Etc/UTC"}


def _zone(value: str) -> str:
    if value in ZONES:
        return value
    if value.split("/")[0] in _NOT_PLACES:
        raise ValueError(f"{value!r} is not a place: give the customer's IANA zone, e.g. Asia/Shanghai")
    target = _LINKS.get(value)
    if target and target in ZONES:
        raise ValueError(f"{value!r} is an old alias: use the canonical IANA name {target!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r}") from None
    raise ValueError(f"{value!r} is not a location zone (zone.tab): give the customer's, e.g. Asia/Shanghai")


TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_zone)]
