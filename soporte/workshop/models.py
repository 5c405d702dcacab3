"""The repair shop: repairs from intake to delivery, their quotes, and the shop's sales and
expenses (the repair register and the sales logbook of seed 004).

A repair moves only along `TRANSITIONS`; every move is a `StatusChange` row (who, when), so
the register computes turnaround and time in each status from stored timestamps. A repair is
credited to whoever marked it repaired (`repaired_by`, `repaired_at`), never to whoever
received or charged it.

Money is in cents (`inventory.fields.ScaledDecimalField`): exact sums in SQL on both
databases. A sale is never edited: a refund is a new document that names it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from soporte.directory.models import scoped_to_organisation
from soporte.inventory.models import money_field, quantity_field

# The seed's warning for a repair by someone who is not a professional technician.
AUXILIARY_WARNING = _(
    "Reparación auxiliar: la realiza una persona que no es técnico profesional. El cliente "
    "acepta que el resultado no tiene la garantía de un servicio técnico profesional y que "
    "puede requerir después la revisión de un técnico."
)


class WorkshopSettings(models.Model):
    """The shop's data and rules: one row (id 1), edited in the admin."""

    shop_name = models.CharField(_("nombre del taller"), max_length=120, default="Soporte")
    shop_address = models.CharField(_("dirección"), max_length=300, blank=True)
    shop_tax_id = models.CharField(_("RFC"), max_length=20, blank=True)
    shop_phone = models.CharField(_("teléfono"), max_length=40, blank=True)
    # IVA in basis points (1600 = 16 %): an integer, so no rate is ever a binary fraction.
    vat_basis_points = models.PositiveIntegerField(_("IVA (centésimas de punto)"), default=1600)
    minor_work_limit = money_field(
        _("límite de trabajo menor"),
        default=Decimal("300.00"),
        help_text=_("Trabajo que no pasa de este importe empieza sin esperar aprobación."),
    )
    warranty_days = models.PositiveIntegerField(_("días de garantía"), default=90)
    warranty_covers = models.CharField(
        _("qué cubre la garantía"),
        max_length=300,
        default="Mano de obra y piezas instaladas, por la misma falla.",
    )

    class Meta:
        verbose_name = _("ajustes del taller")
        verbose_name_plural = _("ajustes del taller")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="workshop_settings_single_row"),
            models.CheckConstraint(
                condition=Q(vat_basis_points__lte=10000), name="workshop_settings_vat_range"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Ajustes del taller"))

    @classmethod
    def current(cls) -> WorkshopSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row

    @property
    def vat_rate(self) -> Decimal:
        return Decimal(self.vat_basis_points) / Decimal(10000)


class RepairStatus(models.TextChoices):
    RECEIVED = "received", _("Recibido")
    DIAGNOSING = "diagnosing", _("En diagnóstico")
    AWAITING_APPROVAL = "awaiting_approval", _("Esperando aprobación")
    AWAITING_PARTS = "awaiting_parts", _("Esperando piezas")
    REPAIRING = "repairing", _("En reparación")
    READY = "ready", _("Listo para entregar")
    DELIVERED = "delivered", _("Entregado")
    UNREPAIRABLE = "unrepairable", _("Sin reparación posible")
    ABANDONED = "abandoned", _("Abandonado")


S = RepairStatus
# The only moves a repair makes (the services refuse every other one). Work starts only from
# an approved quote or under the shop's minor-work limit (`services.start_repair`).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.RECEIVED: (S.DIAGNOSING, S.ABANDONED),
    S.DIAGNOSING: (S.AWAITING_APPROVAL, S.REPAIRING, S.UNREPAIRABLE, S.ABANDONED),
    S.AWAITING_APPROVAL: (S.AWAITING_PARTS, S.REPAIRING, S.DIAGNOSING, S.UNREPAIRABLE, S.ABANDONED),
    S.AWAITING_PARTS: (S.REPAIRING, S.ABANDONED),
    S.REPAIRING: (S.AWAITING_PARTS, S.READY, S.UNREPAIRABLE),
    S.READY: (S.DELIVERED, S.ABANDONED),
    S.UNREPAIRABLE: (S.DELIVERED, S.ABANDONED),
    S.DELIVERED: (),
    S.ABANDONED: (),
}
OPEN_STATUSES = tuple(s for s in RepairStatus.values if TRANSITIONS[s])


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Efectivo")
    CARD = "card", _("Tarjeta")
    TRANSFER = "transfer", _("Transferencia")
    NONE = "none", _("Sin cobro")


class RepairQuerySet(models.QuerySet["Repair"]):
    def visible_to(self, actor: Any) -> RepairQuerySet:
        """Staff see every repair; a customer only their organisation's."""
        return scoped_to_organisation(self, actor)


class Repair(models.Model):
    """A device in the shop, from the counter to the customer's hands."""

    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("cliente"),
        on_delete=models.PROTECT,
        related_name="repairs",
    )
    device = models.ForeignKey(
        "inventory.Device",
        verbose_name=_("equipo"),
        on_delete=models.PROTECT,
        related_name="repairs",
    )
    brought_by = models.ForeignKey(
        "directory.Person",
        verbose_name=_("entrega el equipo"),
        on_delete=models.PROTECT,
        related_name="repairs_brought",
    )
    decision_maker = models.ForeignKey(
        "directory.Person",
        verbose_name=_("decisor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repairs_decided",
        help_text=_("Quien aprueba el presupuesto, si no es quien entrega el equipo."),
    )
    status = models.CharField(
        _("estado"), max_length=20, choices=RepairStatus.choices, default=S.RECEIVED
    )
    # Intake (check-in).
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recibió"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("recibido"))
    fault = models.TextField(_("falla reportada"), max_length=2000)
    condition = models.TextField(_("estado físico"), max_length=2000)
    accessories = models.CharField(_("accesorios que deja"), max_length=500, blank=True)
    preserve_data = models.BooleanField(_("conservar los datos"), default=True)
    estimate = money_field(_("presupuesto estimado"), null=True, blank=True)
    auxiliary = models.BooleanField(_("reparación auxiliar"), default=False)
    auxiliary_acknowledged = models.BooleanField(
        _("aviso de reparación auxiliar aceptado"), default=False
    )
    # Set in the intake's own transaction, right after the row (the entry names the folio).
    intake_entry = models.OneToOneField(
        "logbook.Entry",
        verbose_name=_("nota de recepción"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Work.
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("técnico asignado"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    diagnosis = models.TextField(_("diagnóstico"), max_length=4000, blank=True)
    diagnosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    diagnosed_at = models.DateTimeField(_("diagnosticado"), null=True, blank=True)
    work_done = models.TextField(_("trabajo realizado"), max_length=4000, blank=True)
    labour_minutes = models.PositiveIntegerField(_("minutos de mano de obra"), default=0)
    # The register's credit: who marked it repaired, and when (the day it counts on).
    repaired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reparó"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    repaired_at = models.DateTimeField(_("reparado"), null=True, blank=True)
    # received → ready, stored when it is marked repaired (the register's median turnaround
    # reads these numbers instead of two timestamps per repair).
    turnaround_seconds = models.FloatField(null=True, blank=True, editable=False)
    unrepairable_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unrepairable_at = models.DateTimeField(null=True, blank=True)
    maintenance_entry = models.OneToOneField(
        "logbook.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Delivery (check-out).
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entregó"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    delivered_at = models.DateTimeField(_("entregado"), null=True, blank=True)
    handed_back = models.CharField(_("se entrega"), max_length=500, blank=True)
    warranty_days = models.PositiveIntegerField(_("días de garantía"), default=0)
    warranty_covers = models.CharField(_("qué cubre la garantía"), max_length=300, blank=True)
    payment_method = models.CharField(
        _("forma de pago"), max_length=10, choices=PaymentMethod.choices, blank=True
    )
    amount_charged = money_field(_("importe cobrado"), default=0)
    delivery_entry = models.OneToOneField(
        "logbook.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    warranty_of = models.ForeignKey(
        "self",
        verbose_name=_("garantía de"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="warranty_returns",
    )

    objects = RepairQuerySet.as_manager()

    class Meta:
        verbose_name = _("reparación")
        verbose_name_plural = _("reparaciones")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RepairStatus.values), name="workshop_repair_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(auxiliary=False) | Q(auxiliary_acknowledged=True),
                name="workshop_repair_auxiliary_acknowledged",
            ),
            models.CheckConstraint(
                condition=Q(repaired_at__isnull=True) | Q(repaired_by__isnull=False),
                name="workshop_repair_repaired_has_technician",
            ),
            models.CheckConstraint(
                condition=Q(estimate__isnull=True) | Q(estimate__gte=0),
                name="workshop_repair_estimate_positive",
            ),
            models.CheckConstraint(
                condition=~Q(warranty_of=models.F("id")), name="workshop_repair_not_own_warranty"
            ),
        ]
        indexes = [
            # The register: repairs credited in a period (and to whom); and one technician's
            # median turnaround in a period, read from the index alone (`register._medians`).
            models.Index(fields=["repaired_at", "repaired_by"], name="workshop_repair_credit_idx"),
            models.Index(
                fields=["repaired_by", "repaired_at", "turnaround_seconds"],
                name="workshop_repair_turnaround_idx",
            ),
            # The register's "received" count and the counter's list, newest first.
            models.Index(fields=["received_at", "id"], name="workshop_repair_received_idx"),
            # A customer's repairs (portal).
            models.Index(fields=["organisation", "received_at"], name="workshop_repair_org_idx"),
            # The shop's open work by status.
            models.Index(fields=["status", "received_at"], name="workshop_repair_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.folio} · {self.device}"

    @property
    def folio(self) -> str:
        return f"R-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return bool(TRANSITIONS[self.status])


class RepairPhoto(models.Model):
    """A photo of the device taken at intake (`workshop.photos`: re-encoded, no metadata)."""

    repair = models.ForeignKey(Repair, on_delete=models.PROTECT, related_name="photos")
    key = models.CharField(max_length=40, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(_("tomada"))

    class Meta:
        verbose_name = _("foto de recepción")
        verbose_name_plural = _("fotos de recepción")

    def __str__(self) -> str:
        return f"{self.repair_id}: {self.key}"


class StatusChange(models.Model):
    """One move of a repair: who, when, from where to where (the register's time in each
    status is the gap between consecutive rows)."""

    repair = models.ForeignKey(Repair, on_delete=models.PROTECT, related_name="changes")
    from_status = models.CharField(max_length=20, choices=RepairStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=RepairStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("fecha"))
    # How long the repair stayed in `from_status` (stored once, so the register's time in
    # each status is a plain AVG over the changes of the repairs it counts).
    seconds_in_from = models.PositiveBigIntegerField(default=0)
    note = models.CharField(_("nota"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("cambio de estado")
        verbose_name_plural = _("cambios de estado")
        indexes = [
            # A repair's history in order; the register's time in each status.
            models.Index(fields=["repair", "changed_at", "id"], name="workshop_change_repair_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.repair_id}: {self.from_status} → {self.to_status}"


class QuoteStatus(models.TextChoices):
    PENDING = "pending", _("Pendiente")
    APPROVED = "approved", _("Aprobado")
    REJECTED = "rejected", _("Rechazado")


class DecisionChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    COUNTER = "counter", _("Mostrador")
    MINOR = "minor", _("Trabajo menor, sin aprobación")


class Quote(models.Model):
    """The technician's quote for a repair: parts from stock (reserved) and labour."""

    repair = models.ForeignKey(Repair, on_delete=models.PROTECT, related_name="quotes")
    labour = money_field(_("mano de obra"), default=0)
    notes = models.CharField(_("notas"), max_length=1000, blank=True)
    status = models.CharField(
        _("estado"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("fecha"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decidió"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by_name = models.CharField(_("decisor"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decidido"), null=True, blank=True)
    channel = models.CharField(max_length=10, choices=DecisionChannel.choices, blank=True)
    decision_entry = models.OneToOneField(
        "logbook.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("presupuesto")
        verbose_name_plural = _("presupuestos")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=QuoteStatus.values), name="workshop_quote_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=QuoteStatus.PENDING) | Q(decided_at__isnull=False),
                name="workshop_quote_decided_has_time",
            ),
            models.CheckConstraint(
                condition=Q(labour__gte=0), name="workshop_quote_labour_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repair.folio} #{self.pk}"

    def parts_total(self) -> Decimal:
        return sum((line.amount for line in self.lines.all()), Decimal("0"))

    def total(self) -> Decimal:
        return self.parts_total() + self.labour


class QuoteLine(models.Model):
    """A part quoted from stock at a location; while the quote stands it is reserved there."""

    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey("inventory.StockItem", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="+")
    quantity = quantity_field(_("cantidad"))
    unit_price = money_field(_("precio unitario"))
    # The movement that took the part from stock into the device (set when consumed).
    movement = models.OneToOneField(
        "inventory.StockMovement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("pieza presupuestada")
        verbose_name_plural = _("piezas presupuestadas")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="workshop_quoteline_qty_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="workshop_quoteline_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} × {self.quantity}"

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


# --- sales and expenses: the sales logbook ------------------------------------------------


class SaleKind(models.TextChoices):
    SALE = "sale", _("Venta")
    REFUND = "refund", _("Devolución")


class SaleQuerySet(models.QuerySet["Sale"]):
    def visible_to(self, actor: Any) -> SaleQuerySet:
        """Staff see every document; a customer only their organisation's receipts."""
        return scoped_to_organisation(self, actor)


class Sale(models.Model):
    """A sale's document (or a refund's: a new document naming the sale, never an edit).
    Amounts are before IVA unless named `total`; a refund's are negative."""

    kind = models.CharField(
        _("tipo"), max_length=8, choices=SaleKind.choices, default=SaleKind.SALE
    )
    refunds = models.ForeignKey(
        "self",
        verbose_name=_("devuelve"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunded_by",
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("cliente"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales",
    )
    customer_name = models.CharField(_("nombre del cliente"), max_length=200, blank=True)
    repair = models.ForeignKey(
        Repair,
        verbose_name=_("reparación"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("vendió"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    sold_at = models.DateTimeField(_("fecha"))
    payment_method = models.CharField(
        _("forma de pago"), max_length=10, choices=PaymentMethod.choices
    )
    vat_basis_points = models.PositiveIntegerField(_("IVA (centésimas de punto)"))
    subtotal = money_field(_("subtotal"))
    discount = money_field(_("descuento"), default=0)
    tax = money_field(_("IVA"))
    total = money_field(_("total"))
    cost = money_field(_("costo"))
    notes = models.CharField(_("notas"), max_length=500, blank=True)

    objects = SaleQuerySet.as_manager()

    class Meta:
        verbose_name = _("venta")
        verbose_name_plural = _("ventas")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SaleKind.values), name="workshop_sale_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind=SaleKind.REFUND) & Q(refunds__isnull=False))
                | (Q(kind=SaleKind.SALE) & Q(refunds__isnull=True)),
                name="workshop_sale_refund_names_sale",
            ),
            models.CheckConstraint(
                condition=Q(kind=SaleKind.REFUND) | (Q(subtotal__gte=0) & Q(total__gte=0)),
                name="workshop_sale_positive",
            ),
            models.CheckConstraint(
                condition=Q(kind=SaleKind.SALE) | (Q(subtotal__lte=0) & Q(total__lte=0)),
                name="workshop_refund_negative",
            ),
            models.CheckConstraint(
                condition=Q(payment_method__in=PaymentMethod.values),
                name="workshop_sale_payment_valid",
            ),
        ]
        indexes = [
            # The documents of a period (the logbook's drill-down), in order.
            models.Index(fields=["sold_at", "id"], name="workshop_sale_sold_idx"),
            # A customer's receipts (portal).
            models.Index(fields=["organisation", "sold_at"], name="workshop_sale_org_idx"),
        ]

    def __str__(self) -> str:
        return self.folio

    @property
    def folio(self) -> str:
        return f"{'D' if self.kind == SaleKind.REFUND else 'V'}-{self.pk:06d}"


class SaleLine(models.Model):
    """One line: a stock item (its SALE movement in the same transaction gives the cost at the
    time of sale) or a service (no movement; its cost is what the caller states, e.g. the
    parts a repair consumed)."""

    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(
        "inventory.StockItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "inventory.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("concepto"), max_length=200)
    quantity = quantity_field(_("cantidad"))
    unit_price = money_field(_("precio unitario"))
    discount = money_field(_("descuento"), default=0)
    amount = money_field(_("importe"))
    cost = money_field(_("costo"))
    movement = models.OneToOneField(
        "inventory.StockMovement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refunds_line = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refund_lines"
    )

    class Meta:
        verbose_name = _("renglón de venta")
        verbose_name_plural = _("renglones de venta")
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="workshop_saleline_qty_not_zero"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="workshop_saleline_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0), name="workshop_saleline_discount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} × {self.quantity}"


class SalesDay(models.Model):
    """One day's sums of the sales logbook (derived: kept in the same transaction as each
    document, so a year by month reads at most 366 rows; `salesbook.recompute_days` rebuilds
    them from the documents and the tests compare the two)."""

    day_date = models.DateField(primary_key=True)
    revenue = money_field(_("ingresos"), default=0)
    cost = money_field(_("costo"), default=0)
    tax = money_field(_("IVA"), default=0)
    documents = models.IntegerField(_("documentos"), default=0)

    class Meta:
        verbose_name = _("día de ventas")
        verbose_name_plural = _("días de ventas")

    def __str__(self) -> str:
        return self.day_date.isoformat()


class RepairDay(models.Model):
    """One technician's day in the repair register (derived: kept in the same transaction as
    each intake, assignment, repair, unrepairable verdict and warranty return, so a year reads
    at most 366 rows per technician; `register.recompute_days` rebuilds them from the repairs
    and the tests compare the register read from here with the one computed from the repairs).

    The day is the desk's calendar day of the event: intake (`received`, for the repair's
    technician), marked repaired (`repaired`, and the time its repair spent in each work
    status: `<status>_seconds` over `<status>_changes`), marked unrepairable, and a warranty
    return's intake (against the original's repairer)."""

    day_date = models.DateField()
    # The first day of `day_date`'s month: the chart per technician and month groups by it.
    month_date = models.DateField()
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received = models.PositiveIntegerField(default=0)
    repaired = models.PositiveIntegerField(default=0)
    unrepairable = models.PositiveIntegerField(default=0)
    warranty_returns = models.PositiveIntegerField(default=0)
    received_seconds = models.PositiveBigIntegerField(default=0)
    received_changes = models.PositiveIntegerField(default=0)
    diagnosing_seconds = models.PositiveBigIntegerField(default=0)
    diagnosing_changes = models.PositiveIntegerField(default=0)
    awaiting_approval_seconds = models.PositiveBigIntegerField(default=0)
    awaiting_approval_changes = models.PositiveIntegerField(default=0)
    awaiting_parts_seconds = models.PositiveBigIntegerField(default=0)
    awaiting_parts_changes = models.PositiveIntegerField(default=0)
    repairing_seconds = models.PositiveBigIntegerField(default=0)
    repairing_changes = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("día del registro de reparaciones")
        verbose_name_plural = _("días del registro de reparaciones")
        constraints = [
            models.UniqueConstraint(
                fields=["technician", "day_date"], name="workshop_repairday_unique"
            ),
        ]
        indexes = [
            # The register of a period: every technician's days between two dates.
            models.Index(fields=["day_date", "technician"], name="workshop_repairday_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.technician_id} {self.day_date.isoformat()}"


class ExpenseCategory(models.TextChoices):
    RENT = "rent", _("Renta")
    SALARIES = "salaries", _("Sueldos")
    SERVICES = "services", _("Servicios (luz, agua, internet)")
    SUPPLIES = "supplies", _("Insumos")
    OTHER = "other", _("Otros")


class Expense(models.Model):
    """An expense the shop records (rent, salaries, services): the P&L subtracts it from the
    gross profit of its day. Never deleted; a wrong one is answered by a correcting one."""

    category = models.CharField(_("categoría"), max_length=10, choices=ExpenseCategory.choices)
    description = models.CharField(_("descripción"), max_length=300)
    amount = money_field(_("importe"))
    incurred_date = models.DateField(_("fecha del gasto"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registró"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("registrado"))

    class Meta:
        verbose_name = _("gasto")
        verbose_name_plural = _("gastos")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=ExpenseCategory.values),
                name="workshop_expense_category_valid",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="workshop_expense_not_zero"),
        ]
        indexes = [
            # The P&L of a period.
            models.Index(fields=["incurred_date"], name="workshop_expense_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.incurred_date} {self.description}"
