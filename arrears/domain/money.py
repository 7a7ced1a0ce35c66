"""Money is Decimal end to end; these helpers keep parsing in one place.

Minor units come from Babel's currency data (CLDR, which follows ISO 4217),
not from a hand list; see arrears.domain.bounds.
"""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from arrears.domain.bounds import minor_units

# The two forms an operator's file may use: 1250.00, or with thousands grouped in threes, 1,250.00.
_PLAIN = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
_GROUPED = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
# What the CLI and a JSON body may also say: an exponent (1E+3), which is still exact.
_EXPONENT = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+$")


def parse_amount(text: str | int | Decimal, *, exponent: bool = True) -> Decimal:
    """Parse an amount exactly; refuses floats' binary noise by never taking one.

    Text is read in the documented forms only: ``1250.00`` or ``1,250.00``.
    ``1,0,0`` is refused (it is not a grouping anyone writes), and so are
    digits other than ASCII ones (``１２３``), which Python would otherwise read.
    ``exponent=False`` (import files) also refuses ``1E+3``: in a CSV it is a
    spreadsheet's rewriting of a long number, not what the bank sent.
    """
    if isinstance(text, float):  # pragma: no cover - guarded by callers' types
        raise TypeError("money must not be a float")
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, Decimal):
        value = text
    else:
        cleaned = str(text).strip()
        odd = next((c for c in cleaned if not c.isascii() and unicodedata.category(c) == "Nd"), None)
        if odd is not None:
            raise ValueError(
                f"not a number: {cleaned!r} has the non-ASCII digit {odd!r} (U+{ord(odd):04X}); "
                "write amounts with the digits 0-9"
            )
        if _GROUPED.match(cleaned):
            cleaned = cleaned.replace(",", "")
        elif not (_PLAIN.match(cleaned) or (exponent and _EXPONENT.match(cleaned))):
            if cleaned.lower().lstrip("+-") in ("nan", "snan", "inf", "infinity"):
                raise ValueError(f"not a finite amount: {text!r}")
            raise ValueError(f"not a number: {cleaned!r} (write 1250.00 or 1,250.00)")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:  # pragma: no cover - the patterns above admit only valid literals
            raise ValueError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {text!r}")
    return value


def has_valid_scale(amount: Decimal, currency: str) -> bool:
    """True when the amount has no more decimals than the currency's minor unit."""
    exponent = amount.normalize().as_tuple().exponent
    return not isinstance(exponent, int) or -exponent <= minor_units(currency)
