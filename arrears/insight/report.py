"""A report as data: titled tables and charts, with the notes every reader needs (the period,
the currency, the attribution rule). Renderers (``render``) turn one into a rich table on the
terminal, CSV, JSON or a self-contained HTML page; none of them computes anything.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

KINDS = ("text", "int", "amount", "rate", "number", "days", "score", "points")


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "text"  # one of KINDS: how a value is shown (the JSON and CSV keep it exact)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: kind must be one of {', '.join(KINDS)}")


@dataclass
class Table:
    key: str  # file-safe: the CSV file's suffix and the JSON key
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str = ""

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip((c.key for c in self.columns), row, strict=False)) for row in self.rows]


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # heatmap | lines | bars | intervals (see arrears.insight.charts)
    data: dict[str, Any]
    note: str = ""


@dataclass
class Report:
    kind: str  # scorecard | agencies | portfolio | experiment
    title: str
    subtitle: list[str] = field(default_factory=list)  # period, currency, rule: printed under the title
    notes: list[str] = field(default_factory=list)  # what is missing or how to read it, said plainly
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # machine-readable facts (rule, period, hashes)

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)


def shown(value: Any, kind: str) -> str:
    """A value as a person reads it: rates in percent, money with separators, nothing as a dash."""
    if value is None:
        return "–"
    if kind == "rate":
        return f"{(Decimal(value) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} %"
    if kind == "amount":
        return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    if kind in ("days", "score", "points"):
        return f"{Decimal(value).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}"
    if kind == "number":
        return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    if kind == "int":
        return f"{int(value):,}"
    return str(value)


def plain(value: Any) -> Any:
    """A value for JSON and CSV: exact decimals as strings, dates in ISO form."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
