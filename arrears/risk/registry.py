"""Models in the record: registered by content hash, one active per target, rolled back by activating another."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from arrears.db.models import RiskModel
from arrears.risk.card import render_card
from arrears.risk.model import ScoringModel, from_content


class RegistryError(ValueError):
    """A registry request that cannot be met; the message says why."""


@dataclass(frozen=True)
class Registered:
    version: str
    model_hash: str
    created: bool  # False: the same content was registered before


def register(session: Session, model: ScoringModel, now: datetime) -> Registered:
    digest = model.content_hash()
    found = session.scalars(select(RiskModel).where(RiskModel.model_hash == digest)).first()
    if found is not None:
        return Registered(found.version, digest, False)
    session.add(
        RiskModel(
            model_hash=digest,
            version=model.version,
            target=model.target,
            content=model.content(),
            card=render_card(model),
            trained_at=datetime.fromisoformat(model.card["trained_at"]),
            registered_at=now,
        )
    )
    session.flush()
    return Registered(model.version, digest, True)


def find(session: Session, version_or_hash: str) -> RiskModel:
    row = session.scalars(
        select(RiskModel).where((RiskModel.version == version_or_hash) | (RiskModel.model_hash == version_or_hash))
    ).first()
    if row is None:
        raise RegistryError(f"no registered model {version_or_hash!r}; `arrears risk models` lists them")
    return row


def activate(session: Session, version_or_hash: str, by: str, now: datetime) -> RiskModel:
    """Make this model the one its target scores with; the one active before steps down."""
    row = find(session, version_or_hash)
    session.execute(
        update(RiskModel).where(RiskModel.target == row.target, RiskModel.id != row.id).values(active=False)
    )
    row.active, row.activated_at, row.activated_by = True, now, by
    session.flush()
    return row


def active_model(session: Session, target: str) -> ScoringModel | None:
    row = session.scalars(select(RiskModel).where(RiskModel.target == target, RiskModel.active.is_(True))).first()
    if row is None:
        return None
    model = from_content(row.content, f"registered model {row.version}")
    if model.content_hash() != row.model_hash:
        raise RegistryError(f"registered model {row.version} no longer matches its hash: the record was changed")
    return model


def models(session: Session) -> list[RiskModel]:
    return list(session.scalars(select(RiskModel).order_by(RiskModel.target, RiskModel.registered_at)))
