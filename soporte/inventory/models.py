"""The equipment the desk looks after and the stock it holds.

Devices: every piece of equipment of a customer organisation, retired but never deleted.
Stock: items, locations, and one append-only ledger (`StockMovement`): every change of stock
is a movement row, a wrong one is corrected by a reversing movement, and database triggers
refuse UPDATE and DELETE of movements (`db_guard.py`). `StockBalance` and `StockLayer` are
derived state kept in the same transaction as each movement (so reading the stock of ten
thousand items is one indexed scan); `ledger.recompute` rebuilds them from the movements and
the tests compare the two.

Money is in cents and quantities in thousandths (`fields.ScaledDecimalField`): exact sums in
SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from soporte.directory.models import scoped_to_organisation
from soporte.inventory.fields import ScaledDecimalField

QTY_PLACES = 3
MONEY_PLACES = 2
COST_PLACES = 4
ZERO = Decimal("0")

# The bitácora's generic subject type for a piece of equipment (logbook.forms uses the same).
EQUIPMENT_SUBJECT = "equipment"


def quantity_field(verbose_name: Any, **kwargs: Any) -> ScaledDecimalField:
    return ScaledDecimalField(verbose_name, places=QTY_PLACES, **kwargs)


def money_field(verbose_name: Any, **kwargs: Any) -> ScaledDecimalField:
    return ScaledDecimalField(verbose_name, places=MONEY_PLACES, **kwargs)


# --- the desk's choices -------------------------------------------------------------------


class CostMethod(models.TextChoices):
    AVERAGE = "average", _("Costo promedio")
    FIFO = "fifo", _("PEPS (primeras entradas, primeras salidas)")


class InventorySettings(models.Model):
    """The desk's stock rules: one row (id 1), edited in the admin."""

    default_cost_method = models.CharField(
        _("método de costo de la mesa"),
        max_length=8,
        choices=CostMethod.choices,
        default=CostMethod.AVERAGE,
    )
    allow_negative_stock = models.BooleanField(
        _("permitir existencias negativas"),
        default=False,
        help_text=_("Si no, una salida que deja la existencia bajo cero se rechaza."),
    )

    class Meta:
        verbose_name = _("ajustes de inventario")
        verbose_name_plural = _("ajustes de inventario")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="inventory_settings_single_row"),
            models.CheckConstraint(
                condition=Q(default_cost_method__in=CostMethod.values),
                name="inventory_settings_cost_method_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Ajustes de inventario"))

    @classmethod
    def current(cls) -> InventorySettings:
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row


# --- equipment ----------------------------------------------------------------------------


class DeviceKind(models.TextChoices):
    DESKTOP = "desktop", _("Computadora de escritorio")
    LAPTOP = "laptop", _("Computadora portátil")
    PRINTER = "printer", _("Impresora")
    SERVER = "server", _("Servidor")
    NETWORK = "network", _("Equipo de red")
    PHONE = "phone", _("Teléfono")
    TABLET = "tablet", _("Tableta")
    MONITOR = "monitor", _("Monitor")
    PERIPHERAL = "peripheral", _("Periférico")
    OTHER = "other", _("Otro")


class DeviceQuerySet(models.QuerySet["Device"]):
    def visible_to(self, actor: Any) -> DeviceQuerySet:
        """Staff see every device; a customer only their organisation's."""
        return scoped_to_organisation(self, actor)

    def in_service(self) -> DeviceQuerySet:
        return self.filter(retired_at__isnull=True)


class Device(models.Model):
    """A piece of equipment the desk supports. Retired, never deleted (a trigger refuses it)."""

    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("organización"),
        on_delete=models.PROTECT,
        related_name="devices",
    )
    owner = models.ForeignKey(
        "directory.Person",
        verbose_name=_("responsable"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
    )
    kind = models.CharField(_("tipo"), max_length=16, choices=DeviceKind.choices)
    brand = models.CharField(_("marca"), max_length=80)
    model = models.CharField(_("modelo"), max_length=120, blank=True)
    serial_number = models.CharField(_("número de serie"), max_length=80, blank=True)
    inventory_tag = models.CharField(
        _("etiqueta de inventario"),
        max_length=40,
        help_text=_("Única en la mesa; es la que lleva la etiqueta con el código QR."),
    )
    location = models.CharField(_("ubicación"), max_length=200, blank=True)
    purchase_date = models.DateField(_("fecha de compra"), null=True, blank=True)
    warranty_end_date = models.DateField(_("fin de la garantía"), null=True, blank=True)
    # Specifications: the bitácora's "datos del dispositivo" and "datos generales".
    processor = models.CharField(_("procesador"), max_length=120, blank=True)
    memory = models.CharField(_("memoria"), max_length=60, blank=True)
    disk = models.CharField(_("disco"), max_length=120, blank=True)
    operating_system = models.CharField(_("sistema operativo"), max_length=120, blank=True)
    ip_address = models.CharField(_("dirección IP"), max_length=45, blank=True)
    mac_address = models.CharField(_("dirección MAC"), max_length=17, blank=True)
    notes = models.TextField(_("datos generales"), max_length=4000, blank=True)
    attached_to = models.ForeignKey(
        "self",
        verbose_name=_("conectado a"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="peripherals",
        help_text=_("Para un periférico: el equipo al que está conectado."),
    )
    retired_at = models.DateTimeField(_("dado de baja"), null=True, blank=True)
    retired_reason = models.CharField(_("motivo de la baja"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("registrado"))
    updated_at = models.DateTimeField(_("actualizado"))

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("equipo")
        verbose_name_plural = _("equipos")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DeviceKind.values), name="inventory_device_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["inventory_tag"], name="inventory_device_inventory_tag_unique"
            ),
            models.CheckConstraint(
                condition=~Q(inventory_tag=""), name="inventory_device_inventory_tag_required"
            ),
            models.CheckConstraint(condition=~Q(brand=""), name="inventory_device_brand_required"),
            # A serial number is unique per brand (the services store both trimmed, serials
            # in upper case), whatever the brand's capitalisation.
            models.UniqueConstraint(
                Lower("brand"),
                "serial_number",
                condition=~Q(serial_number=""),
                name="inventory_device_brand_serial_unique",
            ),
            models.CheckConstraint(
                condition=Q(retired_at__isnull=True) | ~Q(retired_reason=""),
                name="inventory_device_retired_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(attached_to=models.F("id")),
                name="inventory_device_not_attached_to_itself",
            ),
        ]
        indexes = [
            # The device list of an organisation (portal, filters), newest first.
            models.Index(fields=["organisation", "kind"], name="inventory_device_org_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.inventory_tag} · {self.brand} {self.model}".strip()

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def subject_id(self) -> str:
        """How bitácora entries name this device (subject type `equipment`)."""
        return self.inventory_tag

    def device_data(self) -> str:
        """Element 6 of a maintenance entry: the device and peripheral data."""
        parts = [f"{self.get_kind_display()} {self.brand} {self.model}".strip()]
        if self.serial_number:
            parts.append(_("serie %(serial)s") % {"serial": self.serial_number})
        parts.append(_("etiqueta %(tag)s") % {"tag": self.inventory_tag})
        specs = [
            value
            for value in (self.processor, self.memory, self.disk, self.operating_system)
            if value
        ]
        if specs:
            parts.append(" / ".join(specs))
        if self.ip_address or self.mac_address:
            parts.append(" ".join(v for v in (self.ip_address, self.mac_address) if v))
        return ", ".join(str(p) for p in parts)

    def general_data(self) -> str:
        """Element 7: whose it is, where it is, its warranty, what else the desk noted."""
        parts = [self.organisation.name]
        if self.owner_id:
            parts.append(str(self.owner))
        if self.location:
            parts.append(self.location)
        if self.warranty_end_date:
            parts.append(
                _("garantía hasta %(date)s") % {"date": self.warranty_end_date.isoformat()}
            )
        if self.notes:
            parts.append(self.notes)
        return ", ".join(str(p) for p in parts)


class RemoteAccess(models.Model):
    """A remote-access id the desk uses for a device (seed 000: the remote kind of support)."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="remote_ids")
    tool = models.CharField(_("herramienta"), max_length=80)
    remote_id = models.CharField(_("identificador"), max_length=120)
    notes = models.CharField(_("notas"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("acceso remoto")
        verbose_name_plural = _("accesos remotos")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "tool", "remote_id"], name="inventory_remoteaccess_unique"
            ),
            models.CheckConstraint(
                condition=~Q(tool="") & ~Q(remote_id=""), name="inventory_remoteaccess_filled"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tool}: {self.remote_id}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Por confirmar")
    IMPORTED = "imported", _("Importado")


class DeviceImport(models.Model):
    """An uploaded CSV/XLSX of devices, kept between its preview and its confirmation."""

    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("organización predeterminada"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    file_name = models.CharField(max_length=200)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=ImportStatus.choices)
    row_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("importación de equipos")
        verbose_name_plural = _("importaciones de equipos")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="inventory_import_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.file_name


# --- stock --------------------------------------------------------------------------------


class Supplier(models.Model):
    name = models.CharField(_("nombre"), max_length=200)
    tax_id = models.CharField(_("RFC"), max_length=20, blank=True)
    contact_name = models.CharField(_("contacto"), max_length=200, blank=True)
    email = models.EmailField(_("correo"), blank=True)
    phone = models.CharField(_("teléfono"), max_length=32, blank=True)
    is_active = models.BooleanField(_("activo"), default=True)

    class Meta:
        verbose_name = _("proveedor")
        verbose_name_plural = _("proveedores")
        constraints = [
            models.UniqueConstraint(fields=["name"], name="inventory_supplier_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Almacén")
    SHELF = "shelf", _("Estante")
    VAN = "van", _("Vehículo")
    CUSTOMER_SITE = "customer_site", _("Sitio del cliente")


class Location(models.Model):
    """Where stock is kept: a shelf, a van, a customer's site."""

    code = models.CharField(_("clave"), max_length=20)
    name = models.CharField(_("nombre"), max_length=120)
    kind = models.CharField(_("tipo"), max_length=16, choices=LocationKind.choices)
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("organización"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_locations",
        help_text=_("Solo para el sitio de un cliente."),
    )
    is_active = models.BooleanField(_("activa"), default=True)

    class Meta:
        verbose_name = _("ubicación de almacén")
        verbose_name_plural = _("ubicaciones de almacén")
        constraints = [
            models.UniqueConstraint(fields=["code"], name="inventory_location_code_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=LocationKind.values), name="inventory_location_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind=LocationKind.CUSTOMER_SITE, organisation__isnull=False)
                | (~Q(kind=LocationKind.CUSTOMER_SITE) & Q(organisation__isnull=True)),
                name="inventory_location_site_has_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Unit(models.TextChoices):
    PIECE = "pza", _("pieza")
    BOX = "caja", _("caja")
    KIT = "juego", _("juego")
    METER = "m", _("metro")
    LITER = "l", _("litro")
    KILOGRAM = "kg", _("kilogramo")


class StockItem(models.Model):
    sku = models.CharField(_("SKU"), max_length=40)
    name = models.CharField(_("nombre"), max_length=200)
    brand = models.CharField(_("marca"), max_length=80, blank=True)
    unit = models.CharField(_("unidad"), max_length=8, choices=Unit.choices, default=Unit.PIECE)
    barcode = models.CharField(_("código de barras"), max_length=64, blank=True)
    serialised = models.BooleanField(
        _("con número de serie"),
        default=False,
        help_text=_("Cada pieza tiene su número de serie, que se captura al recibirla."),
    )
    cost_method = models.CharField(
        _("método de costo"),
        max_length=8,
        choices=CostMethod.choices,
        blank=True,
        help_text=_("Vacío: el de la mesa."),
    )
    reorder_point = quantity_field(_("punto de reorden"), default=0)
    target_level = quantity_field(_("nivel objetivo"), default=0)
    preferred_supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("proveedor preferido"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    is_active = models.BooleanField(_("activo"), default=True)
    created_at = models.DateTimeField(_("registrado"))

    class Meta:
        verbose_name = _("artículo")
        verbose_name_plural = _("artículos")
        constraints = [
            models.UniqueConstraint(fields=["sku"], name="inventory_stockitem_sku_unique"),
            models.UniqueConstraint(
                fields=["barcode"],
                condition=~Q(barcode=""),
                name="inventory_stockitem_barcode_unique",
            ),
            models.CheckConstraint(condition=~Q(sku=""), name="inventory_stockitem_sku_required"),
            models.CheckConstraint(
                condition=Q(unit__in=Unit.values), name="inventory_stockitem_unit_valid"
            ),
            models.CheckConstraint(
                condition=Q(cost_method="") | Q(cost_method__in=CostMethod.values),
                name="inventory_stockitem_cost_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(reorder_point__gte=0) & Q(target_level__gte=models.F("reorder_point")),
                name="inventory_stockitem_levels_ordered",
            ),
            models.CheckConstraint(
                condition=Q(serialised=False) | Q(unit=Unit.PIECE),
                name="inventory_stockitem_serialised_in_pieces",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"

    def effective_cost_method(self, desk_default: str) -> str:
        return self.cost_method or desk_default


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Entrada de proveedor")
    ISSUE = "issue", _("Salida a reparación o ticket")
    SALE = "sale", _("Venta")
    CUSTOMER_RETURN = "customer_return", _("Devolución de cliente")
    SUPPLIER_RETURN = "supplier_return", _("Devolución a proveedor")
    TRANSFER = "transfer", _("Traspaso")
    ADJUSTMENT = "adjustment", _("Ajuste por conteo")
    REVERSAL = "reversal", _("Reverso")


INBOUND_KINDS = (MovementKind.RECEIPT, MovementKind.CUSTOMER_RETURN)
OUTBOUND_KINDS = (MovementKind.ISSUE, MovementKind.SALE, MovementKind.SUPPLIER_RETURN)


class StockReceipt(models.Model):
    """One intake of resources (the content logbook's line): who received what, from whom, at
    what cost, with the supplier's document. Its movements carry the quantities."""

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("proveedor"), on_delete=models.PROTECT, related_name="receipts"
    )
    invoice_number = models.CharField(_("factura o remisión"), max_length=60)
    location = models.ForeignKey(
        Location, verbose_name=_("ubicación"), on_delete=models.PROTECT, related_name="+"
    )
    purchase_order = models.ForeignKey(
        "PurchaseOrder",
        verbose_name=_("orden de compra"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recibió"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("recibido"))
    notes = models.CharField(_("observaciones"), max_length=1000, blank=True)
    # The supplier's document, stored like ticket attachments (random key, never inline).
    document_key = models.CharField(max_length=32, blank=True)
    document_name = models.CharField(_("documento"), max_length=200, blank=True)
    document_content_type = models.CharField(max_length=100, blank=True)
    document_size = models.PositiveIntegerField(default=0)
    document_sha256 = models.CharField(max_length=64, blank=True)
    entry = models.OneToOneField(
        "logbook.Entry",
        verbose_name=_("nota de bitácora"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("entrada de recursos")
        verbose_name_plural = _("entradas de recursos")
        indexes = [
            # The content logbook, day by day.
            models.Index(fields=["received_at"], name="inventory_receipt_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} {self.invoice_number}"


class MovementQuerySet(models.QuerySet["StockMovement"]):
    pass


class StockMovement(models.Model):
    """One change of stock of one item at one location. Inserted once; never updated or
    deleted (triggers); a wrong movement is answered by a reversing one.

    `value_avg` and `value_fifo` are the change of the location's stock value under each cost
    method, computed when the movement was posted (the item's method picks which one is its
    official value), so every stock value is a plain SUM of the ledger.
    """

    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("tipo"), max_length=16, choices=MovementKind.choices)
    quantity = quantity_field(_("cantidad"))
    unit_cost = ScaledDecimalField(_("costo unitario"), places=COST_PLACES, null=True, blank=True)
    value_avg = money_field(_("valor (promedio)"))
    value_fifo = money_field(_("valor (PEPS)"))
    cost_method = models.CharField(max_length=8, choices=CostMethod.choices)
    on_hand_after = quantity_field(_("existencia después"))
    occurred_at = models.DateTimeField(_("fecha"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registró"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    receipt = models.ForeignKey(
        StockReceipt, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    purchase_order_line = models.ForeignKey(
        "PurchaseOrderLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="movements",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_movements",
    )
    device = models.ForeignKey(
        Device,
        verbose_name=_("equipo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_movements",
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("cliente"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    count = models.ForeignKey(
        "StockCount", null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    reference = models.CharField(_("referencia"), max_length=120, blank=True)
    reason = models.CharField(_("motivo"), max_length=500, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("revierte a"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    # The other leg of a transfer (the inbound leg names the outbound one).
    transfer_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="transfer_to"
    )

    objects = MovementQuerySet.as_manager()

    class Meta:
        verbose_name = _("movimiento de almacén")
        verbose_name_plural = _("movimientos de almacén")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MovementKind.values), name="inventory_movement_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(cost_method__in=CostMethod.values),
                name="inventory_movement_cost_method_valid",
            ),
            models.CheckConstraint(
                condition=~Q(quantity=0), name="inventory_movement_quantity_not_zero"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=INBOUND_KINDS) | Q(quantity__gt=0),
                name="inventory_movement_inbound_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=OUTBOUND_KINDS) | Q(quantity__lt=0),
                name="inventory_movement_outbound_negative",
            ),
            models.CheckConstraint(
                condition=(Q(kind=MovementKind.REVERSAL) & Q(reverses__isnull=False))
                | (~Q(kind=MovementKind.REVERSAL) & Q(reverses__isnull=True)),
                name="inventory_movement_reversal_names_original",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.RECEIPT)
                | (Q(receipt__isnull=False) & Q(unit_cost__isnull=False)),
                name="inventory_movement_receipt_documented",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MovementKind.ADJUSTMENT) | ~Q(reason=""),
                name="inventory_movement_adjustment_has_reason",
            ),
        ]
        indexes = [
            # An item's card at a location (the ledger in posting order).
            models.Index(fields=["item", "location", "id"], name="inventory_move_item_loc_idx"),
            # A device's timeline: the parts that went into it.
            models.Index(fields=["device", "occurred_at"], name="inventory_move_device_idx"),
            # The ledger page and exports, newest first.
            models.Index(fields=["occurred_at", "id"], name="inventory_move_occurred_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} {self.item_id}@{self.location_id}"

    def value_for(self, method: str) -> Decimal:
        return self.value_fifo if method == CostMethod.FIFO else self.value_avg

    @property
    def value(self) -> Decimal:
        """The official value: under the cost method the item had when it was posted."""
        return self.value_for(self.cost_method)


class StockBalance(models.Model):
    """On-hand quantity and value of one item at one location: the running sum of its
    movements, kept in the same transaction as each one (derived; `ledger.recompute`)."""

    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="balances")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    on_hand = quantity_field(_("existencia"), default=0)
    value_avg = money_field(_("valor (promedio)"), default=0)
    value_fifo = money_field(_("valor (PEPS)"), default=0)
    last_movement = models.ForeignKey(
        StockMovement, on_delete=models.PROTECT, related_name="+", null=True
    )
    last_movement_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("existencia")
        verbose_name_plural = _("existencias")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "location"], name="inventory_balance_item_location_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.location_id}: {self.on_hand}"


class StockTotal(models.Model):
    """One item's stock over every location: the sum of its balances, kept in the same
    transaction (relative UPDATEs, in item order), so the stock of every item is a plain scan
    of one row per item (derived; `reads.balance_mismatches` checks it)."""

    item = models.OneToOneField(
        StockItem, primary_key=True, on_delete=models.PROTECT, related_name="total"
    )
    on_hand = quantity_field(_("existencia"), default=0)
    value_avg = money_field(_("valor (promedio)"), default=0)
    value_fifo = money_field(_("valor (PEPS)"), default=0)
    last_movement_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("existencia total")
        verbose_name_plural = _("existencias totales")

    def __str__(self) -> str:
        return f"{self.item_id}: {self.on_hand}"


class StockLayer(models.Model):
    """A FIFO cost layer: what is left of one inbound movement at its location (derived).

    A negative layer (only when the desk allows negative stock) holds what was issued beyond
    the stock, valued at the last known cost, until an inbound movement covers it.
    """

    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(StockMovement, on_delete=models.PROTECT, related_name="+")
    remaining = quantity_field("remaining")
    remaining_value = money_field("remaining value")

    class Meta:
        indexes = [
            # Oldest layer first for one item at one location.
            models.Index(fields=["item", "location", "source"], name="inventory_layer_fifo_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.location_id}: {self.remaining} / {self.remaining_value}"


class StockSerial(models.Model):
    """One serialised piece, captured at receipt. Unique per brand."""

    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="serials")
    brand = models.CharField(max_length=80, blank=True)
    serial = models.CharField(_("número de serie"), max_length=80)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="serials"
    )
    received_by_movement = models.ForeignKey(
        StockMovement, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("número de serie")
        verbose_name_plural = _("números de serie")
        constraints = [
            models.UniqueConstraint(
                Lower("brand"), "serial", name="inventory_stockserial_brand_serial_unique"
            ),
            models.CheckConstraint(condition=~Q(serial=""), name="inventory_serial_required"),
        ]

    def __str__(self) -> str:
        return self.serial


class MovementSerial(models.Model):
    """Which serialised pieces a movement moved (append-only, like the movement)."""

    movement = models.ForeignKey(StockMovement, on_delete=models.PROTECT, related_name="serials")
    serial = models.ForeignKey(StockSerial, on_delete=models.PROTECT, related_name="movements")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["movement", "serial"], name="inventory_movementserial_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.movement_id}:{self.serial_id}"


class CountStatus(models.TextChoices):
    OPEN = "open", _("En captura")
    SUBMITTED = "submitted", _("Por aprobar")
    APPROVED = "approved", _("Aprobado")
    CANCELLED = "cancelled", _("Cancelado")


class StockCount(models.Model):
    """A physical count of one location: counted, compared, approved into adjustments."""

    location = models.ForeignKey(
        Location, verbose_name=_("ubicación"), on_delete=models.PROTECT, related_name="counts"
    )
    status = models.CharField(
        _("estado"), max_length=10, choices=CountStatus.choices, default=CountStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contó"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("iniciado"))
    submitted_at = models.DateTimeField(_("enviado"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("aprobó"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("aprobado"), null=True, blank=True)
    entry = models.OneToOneField(
        "logbook.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.CharField(_("observaciones"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("conteo físico")
        verbose_name_plural = _("conteos físicos")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CountStatus.values), name="inventory_count_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=CountStatus.APPROVED)
                | (
                    Q(approved_by__isnull=False)
                    & Q(approved_at__isnull=False)
                    & Q(entry__isnull=False)
                ),
                name="inventory_count_approved_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.location}"


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="+")
    counted = quantity_field(_("contado"))
    # What the ledger said when the count was submitted, and at approval (what was adjusted).
    expected = quantity_field(_("según sistema"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["count", "item"], name="inventory_countline_unique"),
            models.CheckConstraint(
                condition=Q(counted__gte=0), name="inventory_countline_counted_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count_id}:{self.item_id}={self.counted}"


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Borrador")
    ORDERED = "ordered", _("Pedida")
    PARTIAL = "partial", _("Recibida en parte")
    RECEIVED = "received", _("Recibida")
    CANCELLED = "cancelled", _("Cancelada")


OPEN_ORDER_STATUSES = (OrderStatus.DRAFT, OrderStatus.ORDERED, OrderStatus.PARTIAL)


class PurchaseOrder(models.Model):
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("proveedor"), on_delete=models.PROTECT, related_name="orders"
    )
    location = models.ForeignKey(
        Location,
        verbose_name=_("entregar en"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("estado"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("creada"))
    ordered_at = models.DateTimeField(_("pedida"), null=True, blank=True)
    notes = models.CharField(_("observaciones"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("orden de compra")
        verbose_name_plural = _("órdenes de compra")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="inventory_order_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "supplier"], name="inventory_order_status_idx"),
        ]

    def __str__(self) -> str:
        return f"OC-{self.pk:05d}"


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="+")
    quantity = quantity_field(_("cantidad"))
    unit_cost = ScaledDecimalField(_("costo unitario"), places=COST_PLACES)
    received = quantity_field(_("recibido"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "item"], name="inventory_orderline_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="inventory_orderline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="inventory_orderline_cost_positive"
            ),
            models.CheckConstraint(
                condition=Q(received__gte=0) & Q(received__lte=models.F("quantity")),
                name="inventory_orderline_received_within",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.item_id}"

    @property
    def pending(self) -> Decimal:
        return self.quantity - self.received
