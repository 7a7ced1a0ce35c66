"""The roster file: who collects, in which team and role, speaking what, visiting where.

CSV with a header::

    collector_id,name,team,role,languages,regions,daily_capacity
    c-li,Li Na,east,collector,zh-CN;en,SH-PD;SH-JA,40

Lists (languages, regions) are separated by ``;``; regions may be empty for
collectors who make no field visits. A bad row is reported with its line and
reason and the good rows still load. Importing again updates collectors in
place; nobody is deleted (tasks and outcomes keep naming them): a collector
left out of a later file stays as they were until marked otherwise.
"""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from arrears.db.models import Collector
from arrears.desk.locking import lock_desk
from arrears.domain.account import LANGUAGES
from arrears.domain.strategy import Role
from arrears.intake.csvfile import CsvHeaderError, csv_rows, validation_reason

COLUMNS = ("collector_id", "name", "team", "role", "languages", "regions", "daily_capacity")


class RosterFileError(ValueError):
    """The file as a whole cannot be read."""


class RosterRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    collector_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    name: str = Field(min_length=1, max_length=200)
    team: str = Field(min_length=1, max_length=64)
    role: Role
    languages: tuple[str, ...] = Field(min_length=1)
    regions: tuple[str, ...] = ()
    daily_capacity: int = Field(ge=1, le=500)

    @field_validator("languages", "regions", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(";") if part.strip())
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in LANGUAGES]
        if unknown:
            raise ValueError(f"unknown language(s) {', '.join(unknown)}; use {', '.join(LANGUAGES)}")
        return value


@dataclass
class RosterReject:
    line: int
    collector_id: str
    reason: str


@dataclass
class RosterSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    rejected: list[RosterReject] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # made inactive: not in a --drop-missing file


def read_roster(path: Path) -> tuple[list[tuple[int, RosterRow]], list[RosterReject]]:
    rows: list[tuple[int, RosterRow]] = []
    rejects: list[RosterReject] = []
    seen: dict[str, int] = {}
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        try:
            lines = csv_rows(handle, COLUMNS, empty_ok=False)
        except CsvHeaderError as exc:
            raise RosterFileError(f"{path}: {exc}") from None
        for number, raw in lines:
            if isinstance(raw, str):
                rejects.append(RosterReject(number, "", raw))
                continue
            try:
                row = RosterRow.model_validate(raw)
            except ValidationError as exc:
                rejects.append(RosterReject(number, raw.get("collector_id", "").strip(), validation_reason(exc)))
                continue
            if row.collector_id in seen:
                rejects.append(
                    RosterReject(number, row.collector_id, f"collector_id repeats line {seen[row.collector_id]}")
                )
                continue
            seen[row.collector_id] = number
            rows.append((number, row))
    return rows, rejects


def load_roster(session: Session, rows: list[RosterRow], now: datetime) -> tuple[list[str], list[str]]:
    lock_desk(session)
    added, updated = [], []
    for row in rows:
        values = dict(
            name=row.name,
            team=row.team,
            role=row.role.value,
            languages=list(row.languages),
            regions=list(row.regions),
            daily_capacity=row.daily_capacity,
            active=True,
            updated_at=now,
        )
        existing = session.get(Collector, row.collector_id)
        if existing is None:
            session.add(Collector(collector_id=row.collector_id, absent=False, **values))
            added.append(row.collector_id)
        else:
            for key, value in values.items():
                setattr(existing, key, value)
            updated.append(row.collector_id)
    return added, updated


def import_roster(
    sessions: sessionmaker[Session], path: Path, now: datetime, drop_missing: bool = False
) -> RosterSummary:
    """Load the file; with ``drop_missing`` the file is the whole team and anyone not in it becomes inactive
    (their desk tokens stop working at once; the sweep moves their open tasks)."""
    rows, rejects = read_roster(path)
    with sessions.begin() as session:
        added, updated = load_roster(session, [r for _, r in rows], now)
        dropped: list[str] = []
        if drop_missing:
            if rejects:
                raise RosterFileError(
                    f"{path}: {len(rejects)} bad row(s) (first: line {rejects[0].line}: {rejects[0].reason}); "
                    "a --drop-missing file must load whole: nothing changed"
                )
            present = {r.collector_id for _, r in rows}
            for collector in session.scalars(select(Collector).where(Collector.active)):
                if collector.collector_id not in present:
                    collector.active, collector.updated_at = False, now
                    dropped.append(collector.collector_id)
    return RosterSummary(added=added, updated=updated, rejected=rejects, dropped=dropped)
