"""The reports' query forms: a period, a grouping, filters and the definition variants."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from soporte.reports.metrics import Definitions

YES_NO = [("", _("Como la mesa")), ("1", _("Sí")), ("0", _("No"))]


class CallReportForm(forms.Form):
    """Every field optional: an empty form is this month at the desk's definitions."""

    desde = forms.DateField(label=_("Desde"), required=False)
    hasta = forms.DateField(label=_("Hasta"), required=False)
    por = forms.ChoiceField(
        label=_("Agrupar por"),
        required=False,
        choices=[
            ("day", _("Día")),
            ("agent", _("Agente")),
            ("level", _("Nivel")),
            ("area", _("Área")),
            ("line", _("Línea")),
            ("hour", _("Hora del día")),
        ],
    )
    agente = forms.IntegerField(label=_("Agente"), required=False, min_value=1)
    linea = forms.IntegerField(label=_("Línea"), required=False, min_value=1)
    nivel = forms.IntegerField(label=_("Nivel"), required=False, min_value=1, max_value=4)
    area = forms.IntegerField(label=_("Área"), required=False, min_value=1)
    objetivo = forms.IntegerField(
        label=_("Objetivo de respuesta (s)"), required=False, min_value=1, max_value=3600
    )
    corto = forms.IntegerField(
        label=_("Abandono corto (s)"), required=False, min_value=0, max_value=600
    )
    sl_abandonos = forms.ChoiceField(
        label=_("Abandonos en el nivel de servicio"), required=False, choices=YES_NO
    )
    sl_cortos = forms.ChoiceField(
        label=_("Abandonos cortos en el nivel de servicio"), required=False, choices=YES_NO
    )
    abandono_cortos = forms.ChoiceField(
        label=_("Abandonos cortos en la tasa de abandono"), required=False, choices=YES_NO
    )

    def definitions(self, desk: Definitions) -> Definitions:
        """The desk's definitions with this form's variants applied (form must be valid)."""
        data: dict[str, Any] = self.cleaned_data

        def flag(name: str, default: bool) -> bool:
            return default if data.get(name) in (None, "") else data[name] == "1"

        return Definitions(
            answer_target_seconds=data.get("objetivo") or desk.answer_target_seconds,
            short_abandon_seconds=(
                desk.short_abandon_seconds if data.get("corto") is None else data["corto"]
            ),
            abandons_in_service_level=flag("sl_abandonos", desk.abandons_in_service_level),
            short_abandons_in_service_level=flag("sl_cortos", desk.short_abandons_in_service_level),
            short_abandons_in_abandon_rate=flag(
                "abandono_cortos", desk.short_abandons_in_abandon_rate
            ),
        )


class PeriodForm(forms.Form):
    desde = forms.DateField(label=_("Desde"), required=False)
    hasta = forms.DateField(label=_("Hasta"), required=False)


class StaffingForm(forms.Form):
    """Typed figures or the desk's history, and the goal."""

    origen = forms.ChoiceField(
        label=_("Datos"),
        required=False,
        choices=[("cifras", _("Cifras escritas")), ("historia", _("Historia de la mesa"))],
    )
    llamadas = forms.FloatField(
        label=_("Llamadas por media hora"), required=False, min_value=0, max_value=100_000
    )
    tmo = forms.FloatField(
        label=_("Tiempo medio de operación (s)"), required=False, min_value=1, max_value=36_000
    )
    paciencia = forms.FloatField(
        label=_("Paciencia media de quien llama (s)"),
        required=False,
        min_value=1,
        max_value=36_000,
    )
    desde = forms.DateField(label=_("Desde"), required=False)
    hasta = forms.DateField(label=_("Hasta"), required=False)
    nivel_servicio = forms.IntegerField(
        label=_("Nivel de servicio buscado (%)"), required=False, min_value=1, max_value=99
    )
    timbres = forms.IntegerField(
        label=_("Atender antes del timbre número"), required=False, min_value=1, max_value=10
    )
    cadencia = forms.ChoiceField(
        label=_("Cadencia"),
        required=False,
        choices=[
            ("mx", _("México (1 s / 4 s)")),
            ("es", _("España (1.5 s / 3 s)")),
            ("us", _("Estados Unidos (2 s / 4 s)")),
            ("cl", _("Chile (1 s / 3 s)")),
        ],
    )
    objetivo = forms.IntegerField(
        label=_("U objetivo en segundos"), required=False, min_value=1, max_value=3600
    )
    reduccion = forms.IntegerField(
        label=_("Reducción (ausencias, descansos) %"), required=False, min_value=0, max_value=90
    )
    ocupacion = forms.IntegerField(
        label=_("Ocupación máxima %"), required=False, min_value=10, max_value=100
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        typed = data.get("origen", "cifras") in ("", "cifras") and not self.errors
        if typed and (data.get("llamadas") is None or data.get("tmo") is None):
            raise forms.ValidationError(
                _("Escriba las llamadas por media hora y el tiempo medio de operación.")
            )
        return data
