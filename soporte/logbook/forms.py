"""Forms of the bitácora pages: they parse what people type; the rules stay in `services`.

Element fields are optional here on purpose: `services.append_entry` decides what a kind
requires and says what is missing, so the page and the API give the same answer.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django import forms
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from soporte.directory.models import User
from soporte.logbook import services
from soporte.logbook.models import FIELD_VALUE_MAX_CHARS, MAINTENANCE_KINDS, Entry, EntryKind

# Kinds a person records from the pages; the others have their own procedure (opening,
# closing, annulment) or are written by other apps (calls, escalations).
PAGE_KINDS = (EntryKind.PREVENTIVE, EntryKind.CORRECTIVE, EntryKind.MANUAL, EntryKind.NOTE)

# The free text of a note (an addition, a follow-up) lives under this key.
DETAIL_KEY = "detail"
DETAIL_LABEL = gettext_lazy("Detalle")

EQUIPMENT_SUBJECT = "equipment"

LONG_TEXT = {"description", "device_data", "general_data", "diagnosis", "observations", "process"}
LONG_TEXT |= {DETAIL_KEY, "reason"}
INPUT_TYPES = {
    "evaluated_date": "date",
    "date": "date",
    "damage_at": "datetime-local",
    "time": "time",
}

# Wrong customer passwords on the on-site page before it waits: a technician's device must
# not become a way to guess a customer's portal password.
MAX_PASSWORD_FAILURES = 5
PASSWORD_LOCKOUT_S = 15 * 60


def _element_field(key: str, label: Any) -> forms.CharField:
    if key in LONG_TEXT:
        widget: forms.Widget = forms.Textarea(attrs={"rows": 3})
    else:
        widget = forms.TextInput(attrs={"type": INPUT_TYPES.get(key, "text")})
    return forms.CharField(
        label=label, required=False, max_length=FIELD_VALUE_MAX_CHARS, widget=widget
    )


def elements_for(kind: str) -> list[tuple[str, Any]]:
    """The fields a page shows for a kind: its required elements, or a note's free text."""
    required = services.required_elements(kind)
    return required if required else [(DETAIL_KEY, DETAIL_LABEL)]


class ElementsMixin:
    """Adds one optional field per element of `kind`, in the seed's order."""

    element_keys: list[str]

    def add_elements(self, kind: str, initial: dict[str, Any] | None = None) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        self.element_keys = []
        for key, label in elements_for(kind):
            form.fields[key] = _element_field(key, label)
            if initial and key in initial:
                form.fields[key].initial = initial[key]
            self.element_keys.append(key)

    def element_fields(self) -> list[forms.BoundField]:
        form: forms.Form = self  # type: ignore[assignment]
        return [form[key] for key in self.element_keys]

    def element_values(self) -> dict[str, str]:
        """What was typed, without empty values (an empty element is missing, not data)."""
        form: forms.Form = self  # type: ignore[assignment]
        values = {key: form.cleaned_data.get(key, "") for key in self.element_keys}
        return {key: value for key, value in values.items() if value.strip()}

    def mark_missing(self, keys: list[str]) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        for key in keys:
            if key in form.fields:
                form.add_error(key, _("Falta este dato."))


class EntryForm(ElementsMixin, forms.Form):
    summary = forms.CharField(label=gettext_lazy("Resumen"), max_length=300)
    equipment_id = forms.CharField(
        label=gettext_lazy("Número de inventario del equipo"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("Opcional: enlaza la nota con la historia del equipo."),
    )

    def __init__(self, *args: Any, kind: str, author: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        initial = {"responsible_name": str(author)} if kind in MAINTENANCE_KINDS else None
        self.add_elements(kind, initial)
        if kind not in MAINTENANCE_KINDS:
            del self.fields["equipment_id"]

    def subject(self) -> services.Subject | None:
        equipment_id = self.cleaned_data.get("equipment_id", "").strip()
        if not equipment_id:
            return None
        label = self.cleaned_data.get("device_data", "").strip().splitlines()
        return services.Subject(EQUIPMENT_SUBJECT, equipment_id, label[0] if label else "")


class AddToForm(forms.Form):
    """An addition: a note that references the entry it adds to."""

    prefix = "agregar"  # shares the entry page with the annulment form

    summary = forms.CharField(label=gettext_lazy("Resumen de lo que se agrega"), max_length=300)
    detail = forms.CharField(
        label=DETAIL_LABEL,
        required=False,
        max_length=FIELD_VALUE_MAX_CHARS,
        widget=forms.Textarea({"rows": 3}),
    )

    def fields_for_entry(self) -> dict[str, str]:
        detail = self.cleaned_data.get("detail", "").strip()
        return {DETAIL_KEY: detail} if detail else {}


class AnnulForm(ElementsMixin, forms.Form):
    """The reason, and optionally the corrected entry (prefilled with the original)."""

    prefix = "anular"

    reason = forms.CharField(
        label=gettext_lazy("Motivo de la anulación"),
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
    )
    correct = forms.BooleanField(
        label=gettext_lazy("Registrar también la nota corregida"), required=False
    )
    summary = forms.CharField(
        label=gettext_lazy("Resumen corregido"), required=False, max_length=300
    )

    def __init__(self, *args: Any, entry: Entry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["summary"].initial = entry.summary
        self.add_elements(entry.kind, dict(entry.fields))

    def correction(self) -> dict[str, str] | None:
        if not self.cleaned_data.get("correct"):
            return None
        correction = {key: self.cleaned_data.get(key, "") for key in self.element_keys}
        summary = self.cleaned_data.get("summary", "").strip()
        if summary:
            correction["summary"] = summary
        return correction


def decode_drawing(data_url: str) -> bytes:
    """The canvas posts `data:image/png;base64,…`; the service checks it is a real PNG."""
    header, _sep, payload = data_url.partition(",")
    if not payload or header.strip().lower() != "data:image/png;base64":
        raise forms.ValidationError(_("La firma dibujada no es una imagen válida."))
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise forms.ValidationError(_("La firma dibujada no es una imagen válida.")) from exc


class OnSiteForm(forms.Form):
    """Signing on the technician's device.

    Staff hold the device: the customer chooses their name among the logbook's authorised
    signers and types their own portal password. A customer signed in on their own device
    only draws.
    """

    signer = forms.ModelChoiceField(
        label=gettext_lazy("¿Quién firma?"),
        queryset=User.objects.none(),
        empty_label=None,
    )
    password = forms.CharField(
        label=gettext_lazy("Contraseña del portal de quien firma"),
        help_text=gettext_lazy("Quien firma la escribe; no se muestra ni se guarda."),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "data-lpignore": "true"}),
    )
    drawing = forms.CharField(
        widget=forms.HiddenInput,
        max_length=600_000,
        error_messages={"required": gettext_lazy("Dibuje la firma en el recuadro.")},
    )

    def __init__(self, *args: Any, signers: QuerySet[User] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if signers is None:
            del self.fields["signer"]
            del self.fields["password"]
        else:
            field: forms.ModelChoiceField = self.fields["signer"]  # type: ignore[assignment]
            field.queryset = signers

    def clean_drawing(self) -> bytes:
        return decode_drawing(self.cleaned_data["drawing"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        signer: User | None = data.get("signer")
        password = data.get("password")
        if "signer" not in self.fields or signer is None or password is None:
            return data
        failures_key = f"logbook:onsite-failures:{signer.pk}"
        if (cache.get(failures_key) or 0) >= MAX_PASSWORD_FAILURES:
            raise forms.ValidationError(
                _("Demasiados intentos con contraseña incorrecta. Espere 15 minutos.")
            )
        if not signer.check_password(password):
            cache.set(failures_key, (cache.get(failures_key) or 0) + 1, PASSWORD_LOCKOUT_S)
            self.add_error("password", _("La contraseña no es correcta; no se firmó la nota."))
        else:
            cache.delete(failures_key)
        return data
