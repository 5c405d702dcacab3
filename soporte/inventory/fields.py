"""Exact decimals stored as scaled integers.

SQLite gives a DECIMAL column NUMERIC affinity and keeps 12.34 as a binary float, so a SUM
over a million movements could drift by fractions of a cent. Money is stored as integer cents
and quantities as integer thousandths on both databases: sums in SQL are exact integer sums,
and Python sees `Decimal` values.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models


class ScaledDecimalField(models.BigIntegerField):
    """A `Decimal` with `places` decimal places, stored as an integer scaled by 10**places.

    A value with more places than the field holds is an error, never silently rounded: the
    services round money explicitly (ROUND_HALF_UP) before they store it.
    """

    _pyi_private_set_type: Decimal | int | str  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]

    def __init__(self, *args: Any, places: int = 2, **kwargs: Any) -> None:
        self.places = places
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["places"] = self.places
        return name, path, args, kwargs

    def to_scaled(self, value: Any) -> int:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        scaled = number.scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(scaled)

    def from_scaled(self, value: int) -> Decimal:
        return Decimal(int(value)).scaleb(-self.places)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or hasattr(value, "resolve_expression"):
            return value
        return self.to_scaled(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return self.from_scaled(value)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(str(value))

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        from django import forms

        return forms.DecimalField(
            **{
                "decimal_places": self.places,
                "max_digits": 18,
                "required": not self.blank,
                **kwargs,
            }
        )


def scaled(value: int | None, places: int) -> Decimal:
    """A raw SQL sum of a scaled column back to a Decimal."""
    return Decimal(int(value or 0)).scaleb(-places)
