"""ISO 4217 currencies and their minor units, from the maintained `iso4217` package (no hand-typed table)."""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation
from typing import Final

import iso4217


def _load_minor_units() -> dict[str, int]:
    table: dict[str, int] = {}
    for currency in iso4217.Currency:
        exponent = currency.exponent
        if exponent is not None:  # None: no minor unit applies (gold XAU, testing XTS, no currency XXX, ...)
            table[currency.code] = exponent
    return table


MINOR_UNITS: Final[dict[str, int]] = _load_minor_units()  # 'USD' -> 2; read-only by convention
_MINOR_UNITS = MINOR_UNITS
# Quantum per number of minor units: 2 -> Decimal("0.01").
# Our own arithmetic context: the result must not depend on a caller's decimal.getcontext() settings.
DECIMAL_CONTEXT = Context(prec=60)
_QUANTUM: dict[int, Decimal] = {units: Decimal(1).scaleb(-units) for units in set(_MINOR_UNITS.values())}


def minor_units(currency: str) -> int | None:
    """Number of fraction digits of an upper-case ISO 4217 alpha-3 code ('USD' -> 2, 'JPY' -> 0, 'BHD' -> 3).

    None for anything else: unknown codes, lower case, codes with no minor unit (XAU, XXX).
    """
    return _MINOR_UNITS.get(currency)


def quantum(units: int) -> Decimal:
    """The smallest amount with `units` fraction digits (2 -> Decimal('0.01'))."""
    q = _QUANTUM.get(units)
    return q if q is not None else Decimal(1).scaleb(-units)


def format_amount(amount: Decimal, currency: str) -> str:
    """`amount` with exactly the currency's number of fraction digits, never in scientific notation.

    Raises ValueError for an unknown currency, or an amount that would need rounding (never rounded).
    """
    units = minor_units(currency)
    if units is None:
        raise ValueError("not an ISO 4217 currency with minor units")
    if not amount.is_finite():
        raise ValueError("amount is not a finite number")
    try:
        quantised = amount.quantize(quantum(units), context=DECIMAL_CONTEXT)
    except InvalidOperation:
        raise ValueError("amount is too large to format") from None
    if quantised != amount:
        raise ValueError(f"amount has more fraction digits than {currency} allows ({units})")
    return f"{quantised:f}"
