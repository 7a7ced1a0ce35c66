"""Money is Decimal end to end; these helpers keep parsing in one place."""

from decimal import Decimal, InvalidOperation

# ISO 4217 minor units for the currencies a card book is likely to hold; any
# other valid three-letter code defaults to 2.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def parse_amount(text: str | int | Decimal) -> Decimal:
    """Parse an amount exactly; refuses floats' binary noise by never taking one."""
    if isinstance(text, float):  # pragma: no cover - guarded by callers' types
        raise TypeError("money must not be a float")
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {text!r}")
    return value


def has_valid_scale(amount: Decimal, currency: str) -> bool:
    """True when the amount has no more decimals than the currency's minor unit."""
    exponent = amount.normalize().as_tuple().exponent
    return not isinstance(exponent, int) or -exponent <= minor_units(currency)
