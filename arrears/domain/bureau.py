"""Credit-bureau reporting: each account's status, the prior-notice rule, and the bureau file.

Status (``status_for``): an open episode is ``current`` or its delinquency
bucket (M1 ... M6, M7+) by DPD; an ended one is ``paid`` (cured or paid with
nothing left owing), ``current`` (cured, balance still revolving),
``settled``, ``charged_off``; an operator-closed episode is reported as its
amounts say at closure (paid or current when nothing was overdue, else the
bucket at its closing DPD, the last thing the system knows).

Negative information is every status except ``current`` and ``paid``. It is
reported only after a prior notice was sent for the episode and the notice
period has passed (征信业管理条例 art. 15: the person is told before negative
information is reported; 12 CFR 1006.30(a): a notice and a reasonable wait,
14 days, before furnishing). Until then the account is reported ``current``
with nothing overdue and the record is marked *withheld* with the reason: the
bureau receives nothing negative, the bank keeps what it held back.

A bucket below the policy's ``negative_from_dpd`` is reported ``current``: a
payment a few days late is not a bureau event.

A report is a *correction* when the account's previous report was negative
and this one is not (a cure): the bureau replaces the negative status.

The file format is specified in the README (Credit-bureau reporting) and in
``render_file``'s docstring; ``parse_file`` reads it back and checks it.
"""

import calendar
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from arrears.domain.delinquency import bucket_for_dpd
from arrears.domain.money import minor_units


class BureauStatus(StrEnum):
    CURRENT = "current"
    M1 = "M1"
    M2 = "M2"
    M3 = "M3"
    M4 = "M4"
    M5 = "M5"
    M6 = "M6"
    M7_PLUS = "M7+"
    CHARGED_OFF = "charged_off"
    SETTLED = "settled"
    PAID = "paid"


NON_NEGATIVE = frozenset({BureauStatus.CURRENT, BureauStatus.PAID})
BUCKETS = frozenset({BureauStatus(f"M{n}") for n in range(1, 7)} | {BureauStatus.M7_PLUS})


def is_negative(status: BureauStatus) -> bool:
    return status not in NON_NEGATIVE


class BureauPolicy(BaseModel):
    """Prior notice and what counts as negative (a strategy section)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # 12 CFR 1006.30(a)(1)(ii): 14 consecutive days after the notice is a reasonable wait.
    notice_days: int = Field(default=14, ge=1, le=90)
    notice_template: str = Field(default="letter_bureau_notice", pattern=r"^[a-z0-9_]+$")
    # M1 is reported current: one missed cycle is not a bureau event in most markets.
    negative_from_dpd: int = Field(default=31, ge=1, le=181)
    # 12 CFR 1006.30(a)(1)(i): speaking to the consumer about the debt in person or by telephone is the
    # other way to meet the rule (a right-party call, a visit that met the cardholder).
    conversation_counts: bool = True


def status_for(*, outcome: str | None, dpd: int, overdue: Decimal, balance: Decimal) -> BureauStatus:
    """The account's status from its episode: open (``outcome`` None) by DPD, ended by outcome."""
    nothing_owed = BureauStatus.PAID if balance <= 0 else BureauStatus.CURRENT
    if outcome is None:
        if overdue <= 0 or dpd <= 0:
            return BureauStatus.CURRENT
        return BureauStatus(bucket_for_dpd(dpd))
    if outcome in ("cured", "paid_on_time"):
        return nothing_owed
    if outcome == "settled":
        return BureauStatus.SETTLED
    if outcome == "charged_off":
        return BureauStatus.CHARGED_OFF
    if outcome == "closed":
        return nothing_owed if overdue <= 0 else BureauStatus(bucket_for_dpd(max(dpd, 1)))
    raise ValueError(f"unknown episode outcome {outcome!r}")


def may_report_negative(notice_sent_on: date | None, as_of: date, policy: BureauPolicy) -> tuple[bool, str]:
    """Whether negative information may be reported on ``as_of``, and why (or why not)."""
    if notice_sent_on is None:
        return False, "no prior notice sent"
    ends = notice_sent_on + timedelta(days=policy.notice_days)
    if as_of < ends:
        return False, f"notice sent {notice_sent_on}; its {policy.notice_days}-day period ends {ends}"
    return True, f"notice sent {notice_sent_on}, period ended {ends}"


# What record_bureau_notice answers when the letter was not handed to the post: no usable address,
# or the contact gate deferred it (a weekend, the validation notice first) or suppressed it (a hold).
UNDELIVERED_RESULTS = frozenset({"no_address", "invalid_address", "deferred", "suppressed"})


@dataclass(frozen=True)
class NoticeSent:
    """A prior notice on record: when, to which address, and what the post adapter said."""

    sent_on: date
    recipient: str
    result: str


@dataclass(frozen=True)
class Returned:
    """A letter address recorded invalid (returned mail), and the local date the return was recorded."""

    address: str
    on: date = date.min  # unknown: as if always known


def effective_notice(
    notices: Iterable[NoticeSent],
    returned: Iterable["Returned | str"],
    notice_days: int | None = None,
) -> tuple[date | None, str]:
    """The earliest notice that can have reached the cardholder, or why none can have.

    A notice counts when it was handed to the post and no return of its address was recorded
    before its reasonable period ended (``notice_days`` after it was sent): 12 CFR 1006.30(a)(1)(ii)
    and comment 30(a)(1)-3. A return recorded later does not undo a notice whose period passed
    (comment 30(a)(1)-3.iii: the collector "may furnish additional information").
    """
    marks = [r if isinstance(r, Returned) else Returned(r) for r in returned]
    why = ""
    for notice in sorted(notices, key=lambda n: n.sent_on):
        ends = notice.sent_on + timedelta(days=notice_days) if notice_days is not None else date.max
        if notice.result in UNDELIVERED_RESULTS:
            why = why or f"the prior notice of {notice.sent_on} was not sent ({notice.result})"
        elif any(m.address == notice.recipient and m.on < ends for m in marks):
            why = why or f"the prior notice of {notice.sent_on} was returned undeliverable (address recorded invalid)"
        else:
            return notice.sent_on, ""
    return None, why


@dataclass(frozen=True)
class ReportDecision:
    status: BureauStatus  # what is true
    reported: BureauStatus  # what the file says
    withheld: bool
    correction: bool
    reason: str


def decide_report(
    status: BureauStatus,
    dpd: int,
    *,
    notice_sent_on: date | None,
    previous_reported: BureauStatus | None,
    as_of: date,
    policy: BureauPolicy,
    notice_problem: str = "",
    spoke_on: date | None = None,
) -> ReportDecision:
    """``notice_problem``: why no notice counts although one is on record (see effective_notice);
    ``spoke_on``: the first day the cardholder was spoken to about the debt (1006.30(a)(1)(i))."""
    withheld = False
    if status in BUCKETS and dpd < policy.negative_from_dpd:
        reported, reason = BureauStatus.CURRENT, f"DPD {dpd} is below negative_from_dpd {policy.negative_from_dpd}"
    elif is_negative(status) and policy.conversation_counts and spoke_on is not None and spoke_on <= as_of:
        reported, reason = status, f"spoke with the cardholder about the debt on {spoke_on} (12 CFR 1006.30(a)(1)(i))"
    elif is_negative(status):
        allowed, reason = may_report_negative(notice_sent_on, as_of, policy)
        if notice_sent_on is None and notice_problem:
            reason = notice_problem
        reported, withheld = (status, False) if allowed else (BureauStatus.CURRENT, True)
        if withheld:
            reason = f"withheld pending notice: {reason}"
    else:
        reported, reason = status, ""
    correction = previous_reported is not None and is_negative(previous_reported) and not is_negative(reported)
    if correction and previous_reported is not None:
        reason = (reason + "; " if reason else "") + f"corrects the previous report ({previous_reported.value})"
    return ReportDecision(status=status, reported=reported, withheld=withheld, correction=correction, reason=reason)


# ---- the bureau file -------------------------------------------------------------------

FORMAT_NAME = "ARREARS-BUREAU"
FORMAT_VERSION = "1"


class ReportRow(BaseModel):
    """One detail record, as the file carries it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account_id: str = Field(min_length=1, max_length=64)
    status: BureauStatus
    dpd: int = Field(ge=0)
    bucket: str
    overdue: Decimal
    balance: Decimal
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    as_of: date
    withheld: bool = False
    correction: bool = False


def report_row(
    account_id: str,
    decision: ReportDecision,
    *,
    dpd: int,
    overdue: Decimal,
    balance: Decimal,
    currency: str,
    as_of: date,
) -> ReportRow:
    """The detail record for a decision: a non-negative report carries no DPD and nothing overdue."""
    if is_negative(decision.reported):
        dpd, bucket = max(dpd, 0), bucket_for_dpd(dpd)
    else:
        dpd, bucket, overdue = 0, "M0", Decimal(0)
    return ReportRow(
        account_id=account_id,
        status=decision.reported,
        dpd=dpd,
        bucket=bucket,
        overdue=overdue,
        balance=balance,
        currency=currency,
        as_of=as_of,
        withheld=decision.withheld,
        correction=decision.correction,
    )


class BureauFileError(ValueError):
    """A bureau file that does not follow the format; the message names the line."""


def parse_period(period: str) -> tuple[int, int]:
    """``YYYY-MM`` as (year, month); anything else is refused."""
    try:
        year_text, month_text = period.split("-")
        if len(year_text) != 4 or len(month_text) != 2:
            raise ValueError
        year, month = int(year_text), int(month_text)
        if not 1 <= month <= 12 or year < 1900:
            raise ValueError
    except ValueError:
        raise ValueError(f"period must be YYYY-MM, got {period!r}") from None
    return year, month


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_period(day: date) -> str:
    """The month before ``day``'s month."""
    return period_of(day.replace(day=1) - timedelta(days=1))


def following_period(period: str) -> str:
    return period_of(period_end(period) + timedelta(days=1))


def reporting_moment(period: str, report_day: int) -> datetime:
    """When the monthly cycle reports ``period``: 00:00 UTC on ``report_day`` of the next month.

    Day 2 or later: the period's last day has then ended in every zone an
    account may live in (UTC-12 finishes it at 12:00 UTC on the 1st), so no
    account is reported before its own month is over.
    """
    if not 2 <= report_day <= 28:
        raise ValueError(f"report_day must be 2..28, got {report_day}")
    first = period_end(period) + timedelta(days=1)
    return datetime(first.year, first.month, report_day, tzinfo=UTC)


def period_end(period: str) -> date:
    year, month = parse_period(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def to_minor(amount: Decimal, currency: str) -> int:
    scaled = amount.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more decimals than the currency's minor unit")
    return int(scaled)


def from_minor(units: int, currency: str) -> Decimal:
    return Decimal(units).scaleb(-minor_units(currency))


def file_name(institution: str, period: str) -> str:
    return f"{institution}_{period}.txt"


def _field(value: str) -> str:
    if "|" in value or "\n" in value or "\r" in value:
        raise BureauFileError(f"a field may not contain '|' or a line break: {value!r}")
    return value


def render_file(institution: str, period: str, as_of: date, rows: Iterable[ReportRow]) -> str:
    """The bureau file's text: UTF-8, LF line ends, fields separated by ``|``, no quoting.

    ``H|ARREARS-BUREAU|1|<institution>|<period YYYY-MM>|<as_of YYYY-MM-DD>``

    ``D|<seq>|<account_id>|<status>|<dpd>|<bucket>|<overdue>|<balance>|<currency>|<as_of>|<withheld>|<correction>``
    one per account, ordered by account_id, ``seq`` from 1; amounts in the
    currency's minor units as integers (CNY 1234.56 is 123456); ``withheld``
    and ``correction`` are ``Y`` or ``N``.

    ``T|<number of D records>|<SHA-256, lowercase hex, of every byte before the T record>``

    The same rows always give the same bytes, so a re-run is comparable.
    """
    parse_period(period)
    lines = [f"H|{FORMAT_NAME}|{FORMAT_VERSION}|{_field(institution)}|{period}|{as_of.isoformat()}"]
    ordered = sorted(rows, key=lambda r: r.account_id)
    for seq, r in enumerate(ordered, start=1):
        lines.append(
            "|".join(
                [
                    "D",
                    str(seq),
                    _field(r.account_id),
                    r.status.value,
                    str(r.dpd),
                    r.bucket,
                    str(to_minor(r.overdue, r.currency)),
                    str(to_minor(r.balance, r.currency)),
                    r.currency,
                    r.as_of.isoformat(),
                    "Y" if r.withheld else "N",
                    "Y" if r.correction else "N",
                ]
            )
        )
    body = "".join(line + "\n" for line in lines)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return body + f"T|{len(ordered)}|{digest}\n"


@dataclass(frozen=True)
class BureauFile:
    institution: str
    period: str
    as_of: date
    rows: tuple[ReportRow, ...]


def _flag(value: str, where: str) -> bool:
    if value not in ("Y", "N"):
        raise BureauFileError(f"{where}: expected Y or N, got {value!r}")
    return value == "Y"


def parse_file(text: str) -> BureauFile:
    """Read a bureau file back, checking the header, every record, the count and the checksum."""
    if not text.endswith("\n"):
        raise BureauFileError("the file does not end with a line break (truncated?)")
    lines = text[:-1].split("\n")
    if len(lines) < 2:
        raise BureauFileError("a file has at least a header and a trailer")
    header = lines[0].split("|")
    if len(header) != 6 or header[0] != "H" or header[1] != FORMAT_NAME:
        raise BureauFileError(f"line 1: not an {FORMAT_NAME} header")
    if header[2] != FORMAT_VERSION:
        raise BureauFileError(f"line 1: format version {header[2]!r}, this reader knows {FORMAT_VERSION}")
    try:
        parse_period(header[4])
        as_of = date.fromisoformat(header[5])
    except ValueError as exc:
        raise BureauFileError(f"line 1: {exc}") from None
    rows: list[ReportRow] = []
    for n, line in enumerate(lines[1:-1], start=2):
        f = line.split("|")
        if len(f) != 12 or f[0] != "D":
            raise BureauFileError(f"line {n}: a detail record has 12 fields starting with D")
        if f[1] != str(len(rows) + 1):
            raise BureauFileError(f"line {n}: sequence {f[1]!r}, expected {len(rows) + 1}")
        try:
            rows.append(
                ReportRow(
                    account_id=f[2],
                    status=BureauStatus(f[3]),
                    dpd=int(f[4]),
                    bucket=f[5],
                    overdue=from_minor(int(f[6]), f[8]),
                    balance=from_minor(int(f[7]), f[8]),
                    currency=f[8],
                    as_of=date.fromisoformat(f[9]),
                    withheld=_flag(f[10], f"line {n} withheld"),
                    correction=_flag(f[11], f"line {n} correction"),
                )
            )
        except BureauFileError:
            raise
        except ValueError as exc:
            raise BureauFileError(f"line {n}: {exc}") from None
    trailer = lines[-1].split("|")
    if len(trailer) != 3 or trailer[0] != "T":
        raise BureauFileError(f"line {len(lines)}: not a trailer")
    if trailer[1] != str(len(rows)):
        raise BureauFileError(f"line {len(lines)}: trailer counts {trailer[1]} records, the file has {len(rows)}")
    body = text[: len(text) - len(lines[-1]) - 1]
    if hashlib.sha256(body.encode("utf-8")).hexdigest() != trailer[2]:
        raise BureauFileError(f"line {len(lines)}: checksum does not match the content")
    return BureauFile(institution=header[3], period=header[4], as_of=as_of, rows=tuple(rows))
