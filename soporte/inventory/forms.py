"""Forms of the inventory pages: they parse what people type; the rules stay in `services`
and `devices`. Choices come from visible querysets, so a form never offers another
organisation's people or devices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from soporte.directory.models import Organisation, Person
from soporte.inventory import devices
from soporte.inventory.models import (
    Device,
    DeviceKind,
    Location,
    MovementKind,
    StockItem,
    Supplier,
    Unit,
)
from soporte.logbook import services as logbook_services
from soporte.logbook.models import EntryKind, Logbook

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_UPLOAD = 10 * 1024 * 1024


def read_upload(upload: Any, limit: int) -> bytes:
    """At most one byte past the limit, so the service can refuse a file that is too big."""
    return bytes(upload.read(limit + 1))


class DeviceForm(forms.ModelForm):
    class Meta:
        model = Device
        fields = [
            "organisation",
            "owner",
            "kind",
            "brand",
            "model",
            "serial_number",
            "inventory_tag",
            "location",
            "purchase_date",
            "warranty_end_date",
            "processor",
            "memory",
            "disk",
            "operating_system",
            "ip_address",
            "mac_address",
            "notes",
            "attached_to",
        ]
        widgets = {
            "purchase_date": DATE,
            "warranty_end_date": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("name")
        self.fields["owner"].queryset = Person.objects.select_related(  # type: ignore[attr-defined]
            "organisation"
        ).order_by("organisation__name", "full_name")
        self.fields["attached_to"].queryset = Device.objects.in_service().order_by(  # type: ignore[attr-defined]
            "inventory_tag"
        )
        self.fields["inventory_tag"].required = False
        self.fields["inventory_tag"].help_text = _(
            "Vacía: se asigna la siguiente (EQ-000123). No cambia una vez impresa."
        )
        if editing:
            self.fields["inventory_tag"].disabled = True

    def _post_clean(self) -> None:
        # The rules (serial per brand, tag, owner's organisation) live in `devices`; the
        # model's own validation would only repeat them in other words.
        pass

    def device_data(self) -> devices.DeviceData:
        data: dict[str, Any] = {
            name: self.cleaned_data.get(name)
            for name in self.Meta.fields
            if name in self.cleaned_data
        }
        for name in (
            "model",
            "serial_number",
            "inventory_tag",
            "location",
            "processor",
            "memory",
            "disk",
            "operating_system",
            "ip_address",
            "mac_address",
            "notes",
        ):
            data[name] = data.get(name) or ""
        return devices.DeviceData(**data)

    def add_service_errors(self, fields: dict[str, str]) -> None:
        for name, message in fields.items():
            self.add_error(name if name in self.fields else None, message)


class RetireForm(forms.Form):
    reason = forms.CharField(label=_("Motivo de la baja"), max_length=300)


class RemoteAccessForm(forms.Form):
    tool = forms.CharField(
        label=_("Herramienta"),
        max_length=80,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Herramienta (AnyDesk, TeamViewer…)"),
                "aria-label": _("Herramienta"),
            }
        ),
    )
    remote_id = forms.CharField(
        label=_("Identificador"),
        max_length=120,
        widget=forms.TextInput(
            attrs={"placeholder": _("Identificador"), "aria-label": _("Identificador")}
        ),
    )
    notes = forms.CharField(
        label=_("Notas"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Notas"), "aria-label": _("Notas")}),
    )


class MaintenanceForm(forms.Form):
    """A maintenance entry opened from a device: the two device elements come filled in."""

    logbook = forms.ModelChoiceField(
        label=_("Bitácora"), queryset=Logbook.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(
        label=_("Tipo de mantenimiento"),
        choices=[
            (EntryKind.CORRECTIVE, _("Mantenimiento correctivo")),
            (EntryKind.PREVENTIVE, _("Mantenimiento preventivo")),
        ],
    )
    summary = forms.CharField(label=_("Resumen"), max_length=300)

    def __init__(
        self, *args: Any, device: Device, initial_elements: dict[str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["logbook"]  # type: ignore[assignment]
        field.queryset = Logbook.objects.filter(
            organisation=device.organisation, closed_at__isnull=True, opened_at__isnull=False
        ).order_by("title", "id")
        self.element_keys = []
        for key, label in logbook_services.ELEVEN_ELEMENTS:
            widget: forms.Widget
            if key in {"description", "device_data", "general_data", "diagnosis", "observations"}:
                widget = forms.Textarea(attrs={"rows": 3})
            elif key == "evaluated_date":
                widget = forms.DateInput(attrs={"type": "date"})
            elif key == "damage_at":
                widget = forms.DateTimeInput(attrs={"type": "datetime-local"})
            else:
                widget = forms.TextInput()
            self.fields[key] = forms.CharField(
                label=label, required=False, max_length=5000, widget=widget
            )
            if key in initial_elements:
                self.fields[key].initial = initial_elements[key]
            self.element_keys.append(key)

    def element_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in self.element_keys]

    def element_values(self) -> dict[str, str]:
        values = {key: self.cleaned_data.get(key, "") for key in self.element_keys}
        return {key: value for key, value in values.items() if value.strip()}

    def mark_missing(self, keys: list[str]) -> None:
        for key in keys:
            if key in self.fields:
                self.add_error(key, _("Falta este dato."))


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Archivo CSV o XLSX"),
        help_text=_(
            "Primera fila con los encabezados: tipo, marca, modelo, número de serie, etiqueta, "
            "organización, responsable, ubicación, fecha de compra, fin de garantía, procesador, "
            "memoria, disco, sistema operativo, IP, MAC, notas."
        ),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organización (si el archivo no la trae)"),
        queryset=Organisation.objects.filter(is_active=True).order_by("name"),
        required=False,
    )


class ItemForm(forms.ModelForm):
    class Meta:
        model = StockItem
        fields = [
            "sku",
            "name",
            "brand",
            "unit",
            "barcode",
            "serialised",
            "cost_method",
            "reorder_point",
            "target_level",
            "preferred_supplier",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preferred_supplier"].queryset = Supplier.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("name")
        self.fields["unit"].initial = Unit.PIECE

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reorder, target = data.get("reorder_point"), data.get("target_level")
        if reorder is not None and reorder < 0:
            self.add_error("reorder_point", _("No puede ser negativo."))
        if reorder is not None and target is not None and target < reorder:
            self.add_error(
                "target_level", _("El nivel objetivo no puede ser menor que el punto de reorden.")
            )
        if data.get("serialised") and data.get("unit") != Unit.PIECE:
            self.add_error("unit", _("Un artículo con número de serie se cuenta en piezas."))
        return data


def _locations() -> Any:
    return Location.objects.filter(is_active=True).order_by("code")


def _items() -> Any:
    return StockItem.objects.filter(is_active=True).order_by("sku")


RECEIPT_LINES = 8


class ReceiptForm(forms.Form):
    """An intake: the supplier's document and up to eight lines per page."""

    supplier = forms.ModelChoiceField(
        label=_("Proveedor"), queryset=Supplier.objects.filter(is_active=True).order_by("name")
    )
    location = forms.ModelChoiceField(label=_("Ubicación"), queryset=Location.objects.none())
    invoice_number = forms.CharField(label=_("Factura o remisión"), max_length=60)
    document = forms.FileField(
        label=_("Documento del proveedor (PDF, imagen o XML)"), required=False
    )
    notes = forms.CharField(label=_("Observaciones"), max_length=1000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = _locations()  # type: ignore[attr-defined]
        for n in range(RECEIPT_LINES):
            self.fields[f"item_{n}"] = forms.ModelChoiceField(
                label=_("Artículo"), queryset=_items(), required=False
            )
            self.fields[f"quantity_{n}"] = forms.DecimalField(
                label=_("Cantidad"), required=False, min_value=Decimal("0.001"), decimal_places=3
            )
            self.fields[f"cost_{n}"] = forms.DecimalField(
                label=_("Costo unitario"), required=False, min_value=Decimal(0), decimal_places=4
            )
            self.fields[f"serials_{n}"] = forms.CharField(
                label=_("Números de serie"),
                required=False,
                max_length=4000,
                help_text=_("Uno por renglón o separados por comas."),
            )

    def line_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"item_{n}"], self[f"quantity_{n}"], self[f"cost_{n}"], self[f"serials_{n}"]]
            for n in range(RECEIPT_LINES)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.lines: list[tuple[StockItem, Decimal, Decimal, list[str]]] = []
        for n in range(RECEIPT_LINES):
            item, quantity, cost = (
                data.get(f"item_{n}"),
                data.get(f"quantity_{n}"),
                data.get(f"cost_{n}"),
            )
            if item is None and quantity is None:
                continue
            if item is None or quantity is None or cost is None:
                self.add_error(f"item_{n}", _("Complete artículo, cantidad y costo."))
                continue
            self.lines.append((item, quantity, cost, split_serials(data.get(f"serials_{n}", ""))))
        if not self.lines and not self.errors:
            raise forms.ValidationError(_("Capture al menos un renglón."))
        return data


def split_serials(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


class MovementForm(forms.Form):
    """Stock that leaves or comes back, or moves between locations, from an item's page."""

    CHOICES = [
        (MovementKind.ISSUE, _("Salida a reparación o ticket")),
        (MovementKind.SALE, _("Venta")),
        (MovementKind.SUPPLIER_RETURN, _("Devolución a proveedor")),
        (MovementKind.CUSTOMER_RETURN, _("Devolución de cliente")),
        (MovementKind.TRANSFER, _("Traspaso")),
    ]

    kind = forms.ChoiceField(label=_("Movimiento"), choices=CHOICES)
    location = forms.ModelChoiceField(label=_("Ubicación"), queryset=Location.objects.none())
    to_location = forms.ModelChoiceField(
        label=_("Destino (traspaso)"), queryset=Location.objects.none(), required=False
    )
    quantity = forms.DecimalField(label=_("Cantidad"), min_value=Decimal("0.001"), decimal_places=3)
    device = forms.CharField(
        label=_("Etiqueta del equipo"),
        max_length=40,
        required=False,
        help_text=_("Opcional: el equipo al que se instala la pieza."),
    )
    ticket_number = forms.IntegerField(label=_("Ticket"), required=False, min_value=1)
    supplier = forms.ModelChoiceField(
        label=_("Proveedor (devolución)"),
        queryset=Supplier.objects.filter(is_active=True).order_by("name"),
        required=False,
    )
    reference = forms.CharField(label=_("Referencia"), max_length=120, required=False)
    reason = forms.CharField(label=_("Motivo"), max_length=500, required=False)
    serials = forms.CharField(
        label=_("Números de serie"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = _locations()  # type: ignore[attr-defined]
        self.fields["to_location"].queryset = _locations()  # type: ignore[attr-defined]


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Motivo del reverso"), max_length=500)


class StartCountForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Ubicación"), queryset=Location.objects.none())
    notes = forms.CharField(label=_("Observaciones"), max_length=1000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = _locations()  # type: ignore[attr-defined]


class ProposeForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Entregar en"), queryset=Location.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = _locations()  # type: ignore[attr-defined]


KIND_CHOICES = [("", _("Todos")), *DeviceKind.choices]
