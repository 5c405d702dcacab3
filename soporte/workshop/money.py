"""Amounts people type: zero or more, at most two decimals, bounded (shared by repairs and
sales)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from soporte.lib.errors import DomainError

MAX_MONEY = Decimal("10000000")
CENT = Decimal("0.01")


class RepairError(DomainError):
    code = "repair_rule"


def parse_money(value: object, *, field: str = "amount") -> Decimal:
    """An amount typed by a person: zero or more, at most two decimals."""
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise RepairError(
            _("El importe no es un número."), code="invalid_amount", field=field
        ) from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise RepairError(
            _("El importe debe ser cero o mayor y menor que diez millones."),
            code="invalid_amount",
            field=field,
        )
    if amount != amount.quantize(CENT):
        raise RepairError(
            _("El importe admite hasta dos decimales."), code="invalid_amount", field=field
        )
    return amount.quantize(CENT)
