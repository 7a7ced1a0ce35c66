"""The agencies file: read, validate, upsert; and the agencies' current load.

The file is the list of agencies under contract. A bad row never stops the
good ones: it is reported with its line number and reason. An agency missing
from the file takes no new placements (it is kept, inactive: placements name
it); one whose row is rejected keeps its previous terms and state.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arrears.db.models import Agency as AgencyRow
from arrears.db.models import AgencyPlacement
from arrears.domain.agency import Agency
from arrears.intake.csvfile import CsvHeaderError, csv_rows, validation_reason

COLUMNS = ("agency_id", "name", "commission_percent", "capacity", "placement_days")
OPEN_STATUSES = ("placed", "renewed")


class AgencyFileError(ValueError):
    """The file as a whole cannot be read (a missing or unknown column)."""


@dataclass(frozen=True)
class AgencyReject:
    line: int
    agency_id: str
    reason: str


@dataclass
class AgencyImport:
    agencies: list[tuple[int, Agency]] = field(default_factory=list)
    rejected: list[AgencyReject] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AgencyStatus:
    agency_id: str
    name: str
    commission_percent: Decimal
    capacity: int
    placement_days: int
    active: bool
    open_placements: int


def read_agencies(path: Path) -> tuple[list[tuple[int, Agency]], list[AgencyReject]]:
    """(line, agency) for each good row, and each bad row with its line and reason."""
    good: list[tuple[int, Agency]] = []
    rejected: list[AgencyReject] = []
    first_line: dict[str, int] = {}
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        try:
            rows = csv_rows(handle, COLUMNS, empty_ok=False)
        except CsvHeaderError as exc:
            raise AgencyFileError(str(exc)) from None
        for number, raw in rows:
            if isinstance(raw, str):
                rejected.append(AgencyReject(number, "", raw))
                continue
            agency_id = raw["agency_id"].strip()
            try:
                agency = Agency.model_validate(raw)
            except ValidationError as exc:
                rejected.append(AgencyReject(number, agency_id, validation_reason(exc)))
                continue
            if agency.agency_id in first_line:
                rejected.append(
                    AgencyReject(
                        number, agency.agency_id, f"duplicate agency_id (first on line {first_line[agency.agency_id]})"
                    )
                )
                continue
            first_line[agency.agency_id] = number
            good.append((number, agency))
    return good, rejected


def import_agencies(sessions: sessionmaker[Session], path: Path, now: datetime) -> AgencyImport:
    """Upsert the good rows in one transaction; agencies the file no longer lists are retired."""
    good, rejected = read_agencies(path)
    result = AgencyImport(agencies=good, rejected=rejected)
    # A rejected row still names its agency: it keeps its terms rather than being retired.
    mentioned = {a.agency_id for _, a in good} | {r.agency_id for r in rejected if r.agency_id}
    with sessions.begin() as session:
        existing = {row.agency_id: row for row in session.scalars(select(AgencyRow))}
        for _, agency in good:
            row = existing.get(agency.agency_id)
            terms = dict(
                name=agency.name,
                commission_percent=agency.commission_percent,
                capacity=agency.capacity,
                placement_days=agency.placement_days,
                active=True,
            )
            if row is None:
                session.add(AgencyRow(agency_id=agency.agency_id, updated_at=now, **terms))
                result.added.append(agency.agency_id)
            elif all(getattr(row, k) == v for k, v in terms.items()):
                result.unchanged.append(agency.agency_id)
            else:
                for k, v in terms.items():
                    setattr(row, k, v)
                row.updated_at = now
                result.updated.append(agency.agency_id)
        for agency_id, row in sorted(existing.items()):
            if agency_id not in mentioned and row.active:
                row.active, row.updated_at = False, now
                result.retired.append(agency_id)
    return result


def open_placements(session: Session) -> dict[str, int]:
    """Accounts each agency holds now (placed or renewed)."""
    rows = session.execute(
        select(AgencyPlacement.agency_id, func.count())
        .where(AgencyPlacement.status.in_(OPEN_STATUSES))
        .group_by(AgencyPlacement.agency_id)
    )
    return {agency_id: count for agency_id, count in rows}


def list_agencies(sessions: sessionmaker[Session]) -> list[AgencyStatus]:
    with sessions() as session:
        load = open_placements(session)
        return [
            AgencyStatus(
                agency_id=row.agency_id,
                name=row.name,
                commission_percent=row.commission_percent,
                capacity=row.capacity,
                placement_days=row.placement_days,
                active=row.active,
                open_placements=load.get(row.agency_id, 0),
            )
            for row in session.scalars(select(AgencyRow).order_by(AgencyRow.agency_id))
        ]
