"""Every bounded field of every contract model refuses values just past its bound, naming the field.

The DB-backed properties (tests/db/test_bounds_properties.py) cover the fields
that are stored; this walks all of them, stored or not (results, views, commands).
"""

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from arrears.domain import bounds
from tests.bounds_walk import _validators, contract_models, field_leaves, int_range, max_length

_SCALARS = (str, Decimal, int, date, datetime)


def _bounded_fields() -> list[tuple[type[BaseModel], str, type, list]]:
    found = []
    for model in contract_models():
        if model.__name__ == "EpisodeState":
            continue
        for name, info in model.model_fields.items():
            leaves = field_leaves(model, name)
            # Only plain (optional) scalars: a list's or dict's elements are checked through their own types.
            if len(leaves) == 1 and leaves[0][0] in _SCALARS and str(info.annotation).count("list[") == 0 \
                    and "dict[" not in str(info.annotation):
                found.append((model, name, *leaves[0]))
    return found


FIELDS = _bounded_fields()


def _beyond(tp, metadata) -> list:
    """Values just past the field's bound (each must be refused)."""
    if tp is str:
        n = max_length(metadata)
        return ["x" * (n + 1), "ok\x00"]
    if tp is Decimal:
        return [bounds.MONEY_MAX + Decimal("0.0001"), Decimal("1E-5"), Decimal("1E+309")]
    if tp is int:
        low, high = int_range(metadata)
        return [high + 1, low - 1]
    if tp is date:
        return [date(1999, 12, 31), date(2100, 1, 1)]
    return [datetime(1999, 12, 31, 23, 59, tzinfo=timezone.utc), datetime(2026, 11, 30, 12, 0)]


def test_the_walk_finds_the_contract_fields():
    names = {(m.__name__, f) for m, f, _, _ in FIELDS}
    assert {("PaymentInput", "amount"), ("PaymentInput", "payment_id"), ("OutcomeInput", "duration_seconds"),
            ("HoldInput", "hold_id"), ("EpisodeInput", "due_date"), ("AccountRow", "customer_name")} <= names
    assert len(FIELDS) > 300


@given(st.sampled_from(FIELDS), st.data())
@settings(max_examples=400, deadline=None)
def test_every_bounded_field_refuses_just_past_its_bound(field, data):
    model, name, tp, metadata = field
    value = data.draw(st.sampled_from(_beyond(tp, metadata)))
    info = model.model_fields[name]
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(Annotated[info.annotation, info]).validate_python(value)
    assert refused.value.errors()
    # Through the model itself, the refusal names the field.
    with pytest.raises(ValidationError) as named:
        model.model_validate({name: value})
    assert any(err["loc"][:1] == (name,) for err in named.value.errors()), named.value.errors()
