"""Walking the contract models and the record's columns for their bounds (used by tests/db/test_bounds_cover.py)."""

import inspect
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import annotated_types as at
from pydantic import AfterValidator, BaseModel, StringConstraints
from pydantic.fields import FieldInfo

from arrears.risk.behaviour import BehaviourRow
from arrears.domain.episode import EffectiveCollectionRecord, LegalReferralState, PaymentRecord, ReageOutcome
from arrears.contracts import account as account_contracts
from arrears.contracts import collection as contracts
from arrears.contracts import collection_activities, housekeeping
from arrears.contracts import ledger as ledger_contracts
from arrears.contracts import recovery as recovery_contracts
from arrears.domain import bounds
from arrears.domain.account import AccountRow
from arrears.domain.legal import LegalEvent
from arrears.domain.outcome import VisitReport
from arrears.domain.plan import Instalment

CONTRACT_MODULES = (contracts, collection_activities, housekeeping, account_contracts, recovery_contracts, ledger_contracts)
# Wire inputs defined in the domain: a plan's instalments, a visit's report, a legal event.
WIRE_DOMAIN_MODELS = (AccountRow, Instalment, VisitReport, LegalEvent, PaymentRecord, EffectiveCollectionRecord,
                      LegalReferralState, ReageOutcome, BehaviourRow)


def contract_models() -> list[type[BaseModel]]:
    found = [cls for module in CONTRACT_MODULES for cls in vars(module).values()
             if inspect.isclass(cls) and issubclass(cls, BaseModel) and cls.__module__ == module.__name__]
    return found + list(WIRE_DOMAIN_MODELS)


def _flat(metadata) -> list:
    """Field(...) inside an Annotated arrives as a FieldInfo: its constraints are its own metadata."""
    out = []
    for m in metadata:
        out.extend(_flat(m.metadata) if isinstance(m, FieldInfo) else [m])
    return out


def leaves(annotation, metadata=()) -> list[tuple[type, list]]:
    """The scalar types inside an annotation (through Optional, list, dict, Annotated), each with its metadata."""
    metadata = _flat(metadata)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return leaves(base, [*metadata, *extra])
    if origin in (typing.Union, types.UnionType):
        return [leaf for arg in typing.get_args(annotation) if arg is not type(None) for leaf in leaves(arg, metadata)]
    if origin in (list, tuple, set, frozenset, dict):
        return [leaf for arg in typing.get_args(annotation) if arg is not Ellipsis for leaf in leaves(arg)]
    if origin is typing.Literal:
        return [(str, [at.MaxLen(max(len(str(a)) for a in typing.get_args(annotation)))])]
    return [(annotation, list(metadata))]


def _validators(metadata) -> set:
    return {m.func for m in metadata if isinstance(m, AfterValidator)}


def max_length(metadata) -> int | None:
    limits = [m.max_length for m in metadata if isinstance(m, (StringConstraints, at.MaxLen)) and m.max_length]
    return limits[-1] if limits else None  # pydantic applies the last one


def int_range(metadata) -> tuple[int | None, int | None]:
    """The bounds pydantic enforces: like max_length, a later ge/le replaces an earlier one."""
    low = high = None
    for m in metadata:
        if isinstance(m, at.Ge):
            low = m.ge
        elif isinstance(m, at.Gt):
            low = m.gt + 1
        elif isinstance(m, at.Le):
            high = m.le
        elif isinstance(m, at.Lt):
            high = m.lt - 1
        elif isinstance(m, at.Interval):
            low = m.ge if m.ge is not None else low
            high = m.le if m.le is not None else high
    return (low, high)


def leaf_problem(tp, metadata) -> str | None:
    """Why this scalar has no bound the record could honour, or None."""
    if tp in (bool, type(None)) or (inspect.isclass(tp) and issubclass(tp, (Enum, BaseModel))):
        return None
    if tp is str:
        return None if max_length(metadata) else "text without a maximum length"
    if tp is Decimal:
        return None if bounds._money in _validators(metadata) else "an amount without the Money bound"
    if tp is int:
        low, high = int_range(metadata)
        if low is None or high is None or low < bounds.INT_MIN or high > bounds.INT_MAX:
            return f"an integer outside the INTEGER range ({low}..{high})"
        return None
    if tp is float:
        return None if int_range(metadata)[1] is not None else "a float without an upper bound"
    if tp is datetime:
        return None if bounds._sane_moment in _validators(metadata) else "a timestamp without the Moment bound"
    if tp is date:
        return None if bounds._sane_date in _validators(metadata) else "a date without the SaneDate bound"
    return f"a value of type {tp!r} that the walk does not know"


def field_leaves(model: type[BaseModel], name: str) -> list[tuple[type, list]]:
    info = model.model_fields[name]
    return leaves(info.annotation, info.metadata)


# ---- the record's side -----------------------------------------------------------------------------

from sqlalchemy import JSON, Boolean, Date, Integer, LargeBinary, String, Text  # noqa: E402

from arrears.db.models import Base  # noqa: E402
from arrears.db.types import Money, UtcDateTime  # noqa: E402


def columns() -> list[tuple[str, object]]:
    return [(f"{table.name}.{column.name}", column) for table in Base.metadata.sorted_tables for column in table.columns]


def fields_named(name: str) -> list[tuple[type[BaseModel], str]]:
    return [(model, name) for model in contract_models() if name in model.model_fields
            and model.__name__ != "EpisodeState"]


def fit_problem(column, model: type[BaseModel], name: str) -> str | None:
    """Why the field's bound does not fit the column, or None."""
    kind = column.type
    for tp, metadata in field_leaves(model, name):
        if inspect.isclass(tp) and issubclass(tp, (Enum, BaseModel)) or tp is bool:
            continue
        where = f"{model.__name__}.{name}"
        if isinstance(kind, Money):
            if bounds._money not in _validators(metadata):
                return f"{where} is not a bounded Money"
        elif isinstance(kind, UtcDateTime):
            if bounds._sane_moment not in _validators(metadata):
                return f"{where} is not a Moment"
        elif isinstance(kind, Date):
            if bounds._sane_date not in _validators(metadata):
                return f"{where} is not a SaneDate"
        elif isinstance(kind, Integer):
            low, high = int_range(metadata)
            if tp is not int or low is None or high is None or low < bounds.INT_MIN or high > bounds.INT_MAX:
                return f"{where} may be outside INTEGER ({low}..{high})"
        elif isinstance(kind, Text):
            if tp is str and not max_length(metadata):
                return f"{where} has no maximum length"
        elif isinstance(kind, String):
            limit = max_length(metadata) if tp is str else None
            if tp is str and (limit is None or limit > kind.length):
                return f"{where} may be {limit} characters; the column holds {kind.length}"
    return None
