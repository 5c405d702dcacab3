"""The shop's forms: what a person types, bounded and validated; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from soporte.directory.models import Organisation, Person, Role, User
from soporte.inventory.models import Device, DeviceKind
from soporte.tickets.forms import MultipleFileField, MultipleFileInput
from soporte.workshop.models import AUXILIARY_WARNING, PaymentMethod


class IntakeForm(forms.Form):
    """The counter's check-in: an existing device of the customer or one registered on the
    spot, who brings it, what is wrong, how it looks, what it comes with."""

    organisation = forms.ModelChoiceField(
        label=_("Cliente"), queryset=Organisation.objects.order_by("name", "id")
    )
    device = forms.ModelChoiceField(
        label=_("Equipo registrado"),
        queryset=Device.objects.none(),
        required=False,
        help_text=_("O registre uno nuevo abajo."),
    )
    new_kind = forms.ChoiceField(
        label=_("Tipo (equipo nuevo)"), choices=[("", "—"), *DeviceKind.choices], required=False
    )
    new_brand = forms.CharField(label=_("Marca (equipo nuevo)"), max_length=80, required=False)
    new_model = forms.CharField(label=_("Modelo (equipo nuevo)"), max_length=120, required=False)
    new_serial = forms.CharField(
        label=_("Número de serie (equipo nuevo)"), max_length=80, required=False
    )
    brought_by = forms.ModelChoiceField(
        label=_("Entrega el equipo"), queryset=Person.objects.none()
    )
    decision_maker = forms.ModelChoiceField(
        label=_("Decisor (si es otra persona)"), queryset=Person.objects.none(), required=False
    )
    fault = forms.CharField(
        label=_("Falla reportada"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    condition = forms.CharField(
        label=_("Estado físico"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Rayones, teclas faltantes, bisagra rota…"),
    )
    accessories = forms.CharField(
        label=_("Accesorios que deja"),
        max_length=500,
        required=False,
        help_text=_("Cargador, funda, cables…"),
    )
    preserve_data = forms.BooleanField(label=_("Conservar los datos"), required=False, initial=True)
    estimate = forms.DecimalField(
        label=_("Presupuesto estimado"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
    )
    technician = forms.ModelChoiceField(
        label=_("Técnico asignado"),
        queryset=User.objects.filter(
            role__in=[Role.AGENT, Role.SUPERVISOR], is_active=True
        ).order_by("first_name", "last_name", "id"),
        required=False,
    )
    photos = MultipleFileField(
        label=_("Fotos del equipo"),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("Hasta 6 fotos JPEG, PNG o WebP de 10 MB cada una: cómo llega el equipo."),
    )
    auxiliary = forms.BooleanField(label=_("Reparación auxiliar"), required=False)
    auxiliary_acknowledged = forms.BooleanField(
        label=_("El cliente leyó y acepta el aviso de reparación auxiliar"),
        required=False,
        help_text=AUXILIARY_WARNING,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation_id = self.data.get("organisation") or self.initial.get("organisation")
        if organisation_id and str(organisation_id).isdigit():
            self.fields["device"].queryset = (  # type: ignore[attr-defined]
                Device.objects.filter(
                    organisation_id=organisation_id, retired_at__isnull=True
                ).order_by("inventory_tag", "id")
            )
            people = Person.objects.filter(organisation_id=organisation_id).order_by(
                "full_name", "id"
            )
            self.fields["brought_by"].queryset = people  # type: ignore[attr-defined]
            self.fields["decision_maker"].queryset = people.decision_makers()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("device") and not (
            data.get("new_kind") and data.get("new_brand", "").strip()
        ):
            self.add_error(
                "device", _("Elija un equipo registrado o escriba el tipo y la marca del nuevo.")
            )
        if data.get("auxiliary") and not data.get("auxiliary_acknowledged"):
            self.add_error(
                "auxiliary_acknowledged",
                _("El cliente debe aceptar el aviso de reparación auxiliar."),
            )
        return data


class QuoteForm(forms.Form):
    diagnosis = forms.CharField(
        label=_("Diagnóstico"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    labour = forms.DecimalField(
        label=_("Mano de obra"), min_value=0, max_digits=10, decimal_places=2
    )
    parts = forms.CharField(
        label=_("Piezas del almacén"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Una por renglón: SKU, cantidad, precio unitario, ubicación (p. ej. RAM-8, 1, 650, A-01)."
        ),
    )
    notes = forms.CharField(label=_("Notas"), max_length=1000, required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decisión"), choices=[("approve", _("Aprobar")), ("reject", _("Rechazar"))]
    )
    decided_by = forms.ModelChoiceField(
        label=_("Decide (en el mostrador)"), queryset=Person.objects.none(), required=False
    )
    reason = forms.CharField(label=_("Motivo"), max_length=500, required=False)

    def __init__(self, *args: Any, organisation_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisation_id is None:
            del self.fields["decided_by"]
        else:
            self.fields["decided_by"].queryset = (  # type: ignore[attr-defined]
                Person.objects.filter(organisation_id=organisation_id)
                .decision_makers()
                .order_by("full_name", "id")
            )


class RepairedForm(forms.Form):
    work_done = forms.CharField(
        label=_("Trabajo realizado"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    labour_minutes = forms.IntegerField(
        label=_("Minutos de mano de obra"), min_value=0, max_value=100_000
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motivo"), max_length=500)


class DeliveryForm(forms.Form):
    handed_back = forms.CharField(
        label=_("Se entrega"),
        max_length=500,
        help_text=_("El equipo y los accesorios que se devuelven."),
    )
    payment_method = forms.ChoiceField(label=_("Forma de pago"), choices=PaymentMethod.choices)
    amount = forms.DecimalField(
        label=_("Importe cobrado"), min_value=0, max_digits=10, decimal_places=2
    )
    warranty_days = forms.IntegerField(
        label=_("Días de garantía"), min_value=0, max_value=3650, required=False
    )
    warranty_covers = forms.CharField(
        label=_("Qué cubre la garantía"), max_length=300, required=False
    )


class WarrantyForm(forms.Form):
    brought_by = forms.ModelChoiceField(
        label=_("Entrega el equipo"), queryset=Person.objects.none()
    )
    fault = forms.CharField(
        label=_("Falla reportada"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    condition = forms.CharField(label=_("Estado físico"), max_length=2000)

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["brought_by"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            organisation_id=organisation_id
        ).order_by("full_name", "id")
