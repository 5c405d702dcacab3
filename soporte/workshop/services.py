"""Use cases of a repair, from the counter to the customer's hands. Keyword-only, the actor and
`now` passed in, one transaction each; every move of status is checked against
`models.TRANSITIONS` and recorded as a `StatusChange` (who, when).

The bitácora (seed 004): the intake and the delivery are entries of the customer's contract
logbook that the customer signs (drawn + their key, `logbook.services.countersign_entry`, on
the counter's tablet through the logbook's on-site page); the quote's decision is an
`approval` entry; the repair writes its corrective maintenance entry with the eleven
elements, signed by the technician who did it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from soporte.directory.models import Person, User
from soporte.inventory import services as stock
from soporte.inventory.models import Device, Location, MovementKind, StockBalance, StockItem
from soporte.lib import tasks
from soporte.lib.errors import Forbidden
from soporte.logbook import services as logbook_services
from soporte.logbook.models import Entry, EntryKind, LogbookKind
from soporte.tickets.mail import outbox
from soporte.tickets.services import desk_language, organisation_logbook
from soporte.workshop import photos, register, sales
from soporte.workshop import tasks as shop_tasks
from soporte.workshop.models import (
    AUXILIARY_WARNING,
    TRANSITIONS,
    DecisionChannel,
    PaymentMethod,
    Quote,
    QuoteLine,
    QuoteStatus,
    Repair,
    RepairPhoto,
    RepairStatus,
    StatusChange,
    WorkshopSettings,
)
from soporte.workshop.money import RepairError, parse_money

# Re-exported: the pages and the API read them as `services.portal_url` / `services.is_signed`.
from soporte.workshop.portal import is_signed, portal_url  # noqa: F401

MAX_TEXT = 2000
MAX_QUOTE_LINES = 50
REPAIR_SUBJECT = "repair"


# --- small helpers ------------------------------------------------------------------------


def _require_staff(actor: User) -> None:
    if not actor.is_desk_staff:
        raise Forbidden(_("Solo el personal del taller hace esto."))


def _text(value: str, limit: int, *, required: str = "") -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise RepairError(
            _("El texto pasa de %(n)d caracteres.") % {"n": limit}, code="too_long", field=required
        )
    if required and not text:
        raise RepairError(_("Falta un dato obligatorio."), code="required", field=required)
    return text


def _local(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now)


def _lock(repair: Repair) -> Repair:
    return (
        Repair.objects.select_for_update()
        .select_related("device", "organisation")
        .get(pk=repair.pk)
    )


def _move(repair: Repair, to_status: str, *, actor: User, now: dt.datetime, note: str = "") -> None:
    """The one place a status changes: only along TRANSITIONS, recorded with who and when."""
    if to_status not in TRANSITIONS.get(repair.status, ()):
        raise RepairError(
            _("Una reparación en «%(from)s» no pasa a «%(to)s».")
            % {
                "from": RepairStatus(repair.status).label,
                "to": RepairStatus(to_status).label
                if to_status in RepairStatus.values
                else to_status,
            },
            code="illegal_transition",
            from_status=repair.status,
            to_status=to_status,
        )
    last = (
        StatusChange.objects.filter(repair=repair)
        .order_by("-changed_at", "-id")
        .values_list("changed_at", flat=True)
        .first()
    )
    StatusChange.objects.create(
        repair=repair,
        from_status=repair.status,
        to_status=to_status,
        changed_by=actor,
        changed_at=now,
        seconds_in_from=max(0, int((now - last).total_seconds())) if last else 0,
        note=note[:500],
    )
    repair.status = to_status
    repair.save(update_fields=["status"])


def _notify(repair: Repair, subject: str, body: str) -> None:
    """E-mail the people of the repair's organisation who brought it or decide on it (never
    anyone outside it), sent by the job queue after the change commits."""
    people = {p.pk: p for p in (repair.brought_by, repair.decision_maker) if p is not None}
    messages = []
    for person in people.values():
        if not person.email or person.organisation_id != repair.organisation_id:
            continue
        with desk_language():
            text = _("Hola, %(name)s:\n\n%(body)s\n\nSiga su reparación %(folio)s en %(url)s\n") % {
                "name": person.full_name,
                "body": body,
                "folio": repair.folio,
                "url": portal_url(repair),
            }
        messages.append(
            EmailMultiAlternatives(
                subject=f"[{repair.folio}] {subject}"[:250],
                body=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[person.email],
                headers={"Auto-Submitted": "auto-generated"},
            )
        )
    if messages:
        outbox.queue(messages)


def _entry(
    repair: Repair,
    *,
    kind: str,
    author: User,
    summary: str,
    fields: dict[str, str],
    now: dt.datetime,
) -> Entry:
    book = organisation_logbook(repair.organisation_id, now=now)
    with desk_language():
        return logbook_services.append_entry(
            logbook=book,
            kind=kind,
            author=author,
            summary=summary,
            fields=fields,
            subject=logbook_services.Subject(REPAIR_SUBJECT, repair.folio, str(repair.device)),
            now=now,
        )


def can_sign(entry: Entry | None) -> bool:
    """The customer can sign this entry (it is in their contract logbook); an organisation
    without one has its repairs recorded in the desk's internal logbook, unsigned."""
    return entry is not None and entry.logbook.kind == LogbookKind.CUSTOMER


# --- intake -------------------------------------------------------------------------------


@dataclass
class Intake:
    """What the counter records when a device arrives."""

    device: Device
    brought_by: Person
    fault: str
    condition: str
    accessories: str = ""
    preserve_data: bool = True
    estimate: object = None
    auxiliary: bool = False
    auxiliary_acknowledged: bool = False
    decision_maker: Person | None = None
    technician: User | None = None
    # Photos of how it arrived, as uploaded (`photos.prepare` checks and re-encodes them).
    photos: Sequence[bytes] = ()


def _bool_text(value: bool) -> str:
    return _("Sí") if value else _("No")


@transaction.atomic
def receive_repair(
    *, actor: User, intake: Intake, now: dt.datetime, warranty_of: Repair | None = None
) -> Repair:
    """Check-in: the device, the reported fault, its visible condition, the accessories left,
    whether its data must be preserved and an estimate; an auxiliary repair only with the
    seed's warning acknowledged; photos of how it arrived (re-encoded, without their
    metadata). Writes the intake entry of the customer's logbook, which the customer then
    signs (drawn + key) at the counter, and e-mails the receipt (folio and QR code) to whoever
    brought it once the intake commits."""
    _require_staff(actor)
    device = Device.objects.select_related("organisation").get(pk=intake.device.pk)
    if device.is_retired:
        raise RepairError(_("El equipo está dado de baja."), code="device_retired")
    organisation = device.organisation
    if intake.brought_by.organisation_id != organisation.pk:
        raise RepairError(
            _("Quien entrega el equipo no es de %(org)s.") % {"org": organisation.name},
            code="foreign_person",
            field="brought_by",
        )
    if intake.decision_maker is not None and (
        intake.decision_maker.organisation_id != organisation.pk
        or not intake.decision_maker.can_decide
    ):
        raise RepairError(
            _("El decisor debe ser un decisor de %(org)s.") % {"org": organisation.name},
            code="invalid_decision_maker",
            field="decision_maker",
        )
    if intake.technician is not None and not intake.technician.is_desk_staff:
        raise RepairError(_("El técnico debe ser del taller."), code="invalid_technician")
    if intake.auxiliary and not intake.auxiliary_acknowledged:
        raise RepairError(
            _("El cliente debe aceptar el aviso de reparación auxiliar."),
            code="auxiliary_not_acknowledged",
            field="auxiliary_acknowledged",
        )
    fault = _text(intake.fault, MAX_TEXT, required="fault")
    condition = _text(intake.condition, MAX_TEXT, required="condition")
    accessories = _text(intake.accessories, 500)
    estimate = (
        None if intake.estimate in (None, "") else parse_money(intake.estimate, field="estimate")
    )
    if warranty_of is not None and warranty_of.device_id != device.pk:
        raise RepairError(_("La garantía es de otro equipo."), code="warranty_other_device")
    prepared = photos.prepare(list(intake.photos))
    repair = Repair.objects.create(
        organisation=organisation,
        device=device,
        brought_by=intake.brought_by,
        decision_maker=intake.decision_maker,
        received_by=actor,
        received_at=now,
        fault=fault,
        condition=condition,
        accessories=accessories,
        preserve_data=intake.preserve_data,
        estimate=estimate,
        auxiliary=intake.auxiliary,
        auxiliary_acknowledged=intake.auxiliary_acknowledged,
        technician=intake.technician,
        warranty_of=warranty_of,
    )
    StatusChange.objects.create(
        repair=repair, to_status=RepairStatus.RECEIVED, changed_by=actor, changed_at=now
    )
    register.count(repair.technician_id, now, received=1)
    for photo in prepared:
        photos.store(photo)
        RepairPhoto.objects.create(
            repair=repair,
            key=photo.key,
            width=photo.width,
            height=photo.height,
            taken_by=actor,
            taken_at=now,
        )
    if warranty_of is not None:
        register.count(warranty_of.repaired_by_id, now, warranty_returns=1)
    local = _local(now)
    with desk_language():
        fields = {
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
            "folio": repair.folio,
            "device_data": device.device_data(),
            "reported_fault": fault,
            "condition": condition,
            "accessories": accessories or _("Ninguno"),
            "preserve_data": _bool_text(intake.preserve_data),
            "estimate": f"${estimate}" if estimate is not None else _("Sin estimado"),
            "brought_by": intake.brought_by.full_name,
            "received_by": str(actor),
        }
        if intake.auxiliary:
            fields["auxiliary_warning"] = str(AUXILIARY_WARNING)
        if warranty_of is not None:
            fields["warranty_of"] = warranty_of.folio
        summary = _("Recepción %(folio)s: %(device)s") % {"folio": repair.folio, "device": device}
    repair.intake_entry = _entry(
        repair, kind=EntryKind.REPAIR_INTAKE, author=actor, summary=summary, fields=fields, now=now
    )
    repair.save(update_fields=["intake_entry"])
    if intake.brought_by.email:
        # Enqueued in this transaction: the receipt exists only if the intake commits.
        tasks.enqueue(
            shop_tasks.send_intake_receipt, key=f"intake-receipt:{repair.pk}", repair_id=repair.pk
        )
    return repair


@transaction.atomic
def receive_warranty_return(
    *,
    actor: User,
    original: Repair,
    brought_by: Person,
    fault: str,
    condition: str,
    accessories: str = "",
    now: dt.datetime,
) -> Repair:
    """A device back under the shop's warranty: a new repair linked to the original one and
    assigned to the technician who repaired it."""
    original = Repair.objects.get(pk=original.pk)
    if original.status != RepairStatus.DELIVERED or original.delivered_at is None:
        raise RepairError(_("Solo una reparación entregada tiene garantía."), code="not_delivered")
    if original.repaired_at is None:
        raise RepairError(
            _("La reparación original no se reparó: no tiene garantía."), code="no_warranty"
        )
    if now > original.delivered_at + dt.timedelta(days=original.warranty_days):
        raise RepairError(
            _("La garantía de %(folio)s venció.") % {"folio": original.folio},
            code="warranty_expired",
        )
    return receive_repair(
        actor=actor,
        intake=Intake(
            device=original.device,
            brought_by=brought_by,
            fault=fault,
            condition=condition,
            accessories=accessories,
            preserve_data=original.preserve_data,
            decision_maker=original.decision_maker,
            technician=original.repaired_by,
        ),
        now=now,
        warranty_of=original,
    )


# --- diagnosis and quote ------------------------------------------------------------------


@transaction.atomic
def start_diagnosis(*, actor: User, repair: Repair, now: dt.datetime) -> Repair:
    _require_staff(actor)
    repair = _lock(repair)
    _move(repair, RepairStatus.DIAGNOSING, actor=actor, now=now)
    if repair.technician_id is None:
        repair.technician = actor
        repair.save(update_fields=["technician"])
        register.count(actor.pk, repair.received_at, received=1)
    return repair


@dataclass
class PartLine:
    item: StockItem
    location: Location
    quantity: object
    unit_price: object


def reserved(item: StockItem, location: Location, *, exclude_quote: Quote | None = None) -> Decimal:
    """What quotes still standing (pending or approved, not yet consumed) hold of an item."""
    lines = QuoteLine.objects.filter(
        item=item,
        location=location,
        movement__isnull=True,
        quote__status__in=[QuoteStatus.PENDING, QuoteStatus.APPROVED],
        quote__repair__status__in=[
            RepairStatus.AWAITING_APPROVAL,
            RepairStatus.AWAITING_PARTS,
            RepairStatus.REPAIRING,
        ],
    )
    if exclude_quote is not None:
        lines = lines.exclude(quote=exclude_quote)
    return lines.aggregate(total=Sum("quantity"))["total"] or Decimal("0")


def available(
    item: StockItem, location: Location, *, exclude_quote: Quote | None = None
) -> Decimal:
    balance = StockBalance.objects.filter(item=item, location=location).first()
    on_hand = balance.on_hand if balance is not None else Decimal("0")
    return on_hand - reserved(item, location, exclude_quote=exclude_quote)


def parts_in_stock(quote: Quote) -> bool:
    return all(
        available(line.item, line.location, exclude_quote=quote) >= line.quantity
        for line in quote.lines.select_related("item", "location")
    )


@transaction.atomic
def quote_repair(
    *,
    actor: User,
    repair: Repair,
    diagnosis: str,
    labour: object,
    parts: Sequence[PartLine] = (),
    notes: str = "",
    now: dt.datetime,
) -> Quote:
    """The technician's diagnosis and quote. Work under the shop's minor-work limit starts at
    once (no approval needed); otherwise the repair waits for the decision-maker."""
    _require_staff(actor)
    repair = _lock(repair)
    if repair.status != RepairStatus.DIAGNOSING:
        raise RepairError(
            _("Solo se presupuesta una reparación en diagnóstico."), code="not_diagnosing"
        )
    diagnosis = _text(diagnosis, 4000, required="diagnosis")
    if len(parts) > MAX_QUOTE_LINES:
        raise RepairError(
            _("Un presupuesto admite hasta %(n)d piezas.") % {"n": MAX_QUOTE_LINES}, code="too_many"
        )
    quote = Quote.objects.create(
        repair=repair,
        labour=parse_money(labour, field="labour"),
        notes=_text(notes, 1000),
        created_by=actor,
        created_at=now,
    )
    for part in parts:
        QuoteLine.objects.create(
            quote=quote,
            item=part.item,
            location=part.location,
            quantity=stock.parse_quantity(part.quantity, item=part.item),
            unit_price=parse_money(part.unit_price, field="unit_price"),
        )
    repair.diagnosis = diagnosis
    repair.diagnosed_by = actor
    repair.diagnosed_at = now
    if repair.technician_id is None:
        repair.technician = actor
        register.count(actor.pk, repair.received_at, received=1)
    repair.save(update_fields=["diagnosis", "diagnosed_by", "diagnosed_at", "technician"])
    rules = WorkshopSettings.current()
    if quote.total() <= rules.minor_work_limit:
        quote.status = QuoteStatus.APPROVED
        quote.channel = DecisionChannel.MINOR
        quote.decided_at = now
        quote.decided_by = actor
        quote.save(update_fields=["status", "channel", "decided_at", "decided_by"])
        _move(repair, RepairStatus.REPAIRING, actor=actor, now=now, note=_("Trabajo menor"))
        if not parts_in_stock(quote):
            _move(repair, RepairStatus.AWAITING_PARTS, actor=actor, now=now)
        return quote
    _move(repair, RepairStatus.AWAITING_APPROVAL, actor=actor, now=now)
    _notify(
        repair,
        _("Presupuesto de su reparación"),
        _(
            "Su equipo tiene diagnóstico y presupuesto por $%(total)s. Apruébelo o recházelo en el portal."
        )
        % {"total": quote.total()},
    )
    return quote


def may_decide(user: User, repair: Repair) -> bool:
    """In the portal: a decision-maker of the repair's organisation (the named one if any)."""
    person = getattr(user, "person", None)
    if not user.is_customer or person is None or person.organisation_id != repair.organisation_id:
        return False
    if repair.decision_maker_id is not None:
        return person.pk == repair.decision_maker_id
    return bool(person.can_decide)


@transaction.atomic
def decide_quote(
    *,
    actor: User,
    quote: Quote,
    approve: bool,
    now: dt.datetime,
    decided_by: Person | None = None,
    reason: str = "",
) -> Quote:
    """The decision-maker approves or rejects a quote, in the portal (`actor` is the customer)
    or at the counter (`actor` is staff, `decided_by` the person who decided). The decision is
    an approval entry of the customer's logbook. Approved: work starts, or waits for parts
    not in stock. Rejected: the repair goes back to diagnosis (a new quote, or no repair)."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    repair = _lock(quote.repair)
    if actor.is_desk_staff:
        channel = DecisionChannel.COUNTER
        if decided_by is None or decided_by.organisation_id != repair.organisation_id:
            raise RepairError(_("Indique quién del cliente decide."), code="decider_required")
        name = decided_by.full_name
        author = actor
    elif may_decide(actor, repair):
        channel = DecisionChannel.PORTAL
        name = str(actor)
        author = actor
    else:
        raise Forbidden(_("Solo el decisor del cliente aprueba o rechaza el presupuesto."))
    if quote.status != QuoteStatus.PENDING or repair.status != RepairStatus.AWAITING_APPROVAL:
        raise RepairError(_("El presupuesto ya fue decidido."), code="already_decided")
    reason = _text(reason, 500)
    quote.status = QuoteStatus.APPROVED if approve else QuoteStatus.REJECTED
    quote.decided_by = actor
    quote.decided_by_name = name
    quote.decided_at = now
    quote.channel = channel
    book = organisation_logbook(repair.organisation_id, now=now)
    if author.is_customer and book.kind != LogbookKind.CUSTOMER:
        author = logbook_services.system_signer()
    with desk_language():
        verdict = _("aprobado") if approve else _("rechazado")
        fields = {
            "folio": repair.folio,
            "diagnosis": repair.diagnosis,
            "labour": f"${quote.labour}",
            "parts": "\n".join(
                f"{line.item.name} × {line.quantity.normalize():f} = ${line.amount}"
                for line in quote.lines.select_related("item")
            )
            or _("Sin piezas"),
            "total": f"${quote.total()}",
            "decision": verdict,
            "decision_maker": name,
            "channel": DecisionChannel(channel).label,
        }
        if reason:
            fields["reason"] = reason
        summary = _("Presupuesto de %(folio)s %(verdict)s por %(name)s") % {
            "folio": repair.folio,
            "verdict": verdict,
            "name": name,
        }
    quote.decision_entry = logbook_services.append_entry(
        logbook=book,
        kind=EntryKind.APPROVAL,
        author=author,
        summary=summary,
        fields=fields,
        subject=logbook_services.Subject(REPAIR_SUBJECT, repair.folio, str(repair.device)),
        now=now,
    )
    quote.save()
    if approve:
        _move(repair, RepairStatus.REPAIRING, actor=actor, now=now, note=_("Presupuesto aprobado"))
        if not parts_in_stock(quote):
            _move(repair, RepairStatus.AWAITING_PARTS, actor=actor, now=now)
    else:
        _move(
            repair,
            RepairStatus.DIAGNOSING,
            actor=actor,
            now=now,
            note=reason or _("Presupuesto rechazado"),
        )
    return quote


def approved_quote(repair: Repair) -> Quote | None:
    return repair.quotes.filter(status=QuoteStatus.APPROVED).order_by("-decided_at", "-id").first()


# --- the repair itself --------------------------------------------------------------------


@transaction.atomic
def parts_arrived(*, actor: User, repair: Repair, now: dt.datetime) -> Repair:
    _require_staff(actor)
    repair = _lock(repair)
    quote = approved_quote(repair)
    if quote is not None and not parts_in_stock(quote):
        raise RepairError(_("Aún faltan piezas en el almacén."), code="parts_missing")
    _move(repair, RepairStatus.REPAIRING, actor=actor, now=now)
    return repair


@transaction.atomic
def mark_repaired(
    *,
    actor: User,
    repair: Repair,
    work_done: str,
    labour_minutes: int,
    now: dt.datetime,
    preventive: bool = False,
) -> Repair:
    """The technician finishes: the approved parts leave the stock into the device (ledger
    movements in this transaction), the repair is credited to `actor` on this day, and the
    corrective (or preventive) maintenance entry with the eleven elements is written."""
    _require_staff(actor)
    repair = _lock(repair)
    if repair.status != RepairStatus.REPAIRING:
        raise RepairError(_("Solo se termina una reparación en reparación."), code="not_repairing")
    work_done = _text(work_done, 4000, required="work_done")
    if not 0 <= int(labour_minutes) <= 100_000:
        raise RepairError(_("Minutos de mano de obra fuera de rango."), code="invalid_minutes")
    quote = approved_quote(repair)
    if quote is not None:
        for line in quote.lines.select_related("item", "location").filter(movement__isnull=True):
            line.movement = stock.issue_stock(
                actor=actor,
                item=line.item,
                location=line.location,
                quantity=line.quantity,
                kind=MovementKind.ISSUE,
                device=repair.device,
                organisation=repair.organisation,
                reference=repair.folio,
                now=now,
            )
            line.save(update_fields=["movement"])
    repair.work_done = work_done
    repair.labour_minutes = int(labour_minutes)
    repair.repaired_by = actor
    repair.repaired_at = now
    repair.turnaround_seconds = register.turnaround_seconds(repair.received_at, now)
    local = _local(now)
    device = repair.device
    with desk_language():
        fields = {
            "user_name": repair.brought_by.full_name,
            "evaluated_date": local.date().isoformat(),
            "addressee_name": str(actor),
            "damage_at": _local(repair.received_at).strftime("%Y-%m-%d %H:%M"),
            "description": repair.fault,
            "device_data": device.device_data(),
            "general_data": device.general_data(),
            "diagnosis": repair.diagnosis or work_done,
            "observations": work_done,
            "responsible_name": str(actor),
            "reporting_name": repair.brought_by.full_name,
            "folio": repair.folio,
        }
        summary = _("Reparación %(folio)s terminada: %(device)s") % {
            "folio": repair.folio,
            "device": device,
        }
    repair.maintenance_entry = _entry(
        repair,
        kind=EntryKind.PREVENTIVE if preventive else EntryKind.CORRECTIVE,
        author=actor,
        summary=summary,
        fields=fields,
        now=now,
    )
    repair.save(
        update_fields=[
            "work_done",
            "labour_minutes",
            "repaired_by",
            "repaired_at",
            "turnaround_seconds",
            "maintenance_entry",
        ]
    )
    _move(repair, RepairStatus.READY, actor=actor, now=now)
    # Credited on this day, with the time its repair spent in each work status (all known
    # now: from READY it only leaves the shop).
    register.count(actor.pk, now, repaired=1, **register.time_in_status(repair))
    _notify(repair, _("Su equipo está listo"), _("Su equipo está reparado y listo para entregar."))
    return repair


@transaction.atomic
def mark_unrepairable(*, actor: User, repair: Repair, reason: str, now: dt.datetime) -> Repair:
    _require_staff(actor)
    repair = _lock(repair)
    reason = _text(reason, 500, required="reason")
    _move(repair, RepairStatus.UNREPAIRABLE, actor=actor, now=now, note=reason)
    repair.unrepairable_by = actor
    repair.unrepairable_at = now
    repair.save(update_fields=["unrepairable_by", "unrepairable_at"])
    register.count(actor.pk, now, unrepairable=1)
    _notify(repair, _("Su equipo no tiene reparación"), reason)
    return repair


@transaction.atomic
def abandon_repair(*, actor: User, repair: Repair, reason: str, now: dt.datetime) -> Repair:
    _require_staff(actor)
    repair = _lock(repair)
    _move(
        repair,
        RepairStatus.ABANDONED,
        actor=actor,
        now=now,
        note=_text(reason, 500, required="reason"),
    )
    return repair


@transaction.atomic
def deliver_repair(
    *,
    actor: User,
    repair: Repair,
    handed_back: str,
    payment_method: str,
    amount: object,
    now: dt.datetime,
    warranty_days: int | None = None,
    warranty_covers: str | None = None,
) -> Repair:
    """Check-out: what is handed back, the payment (`amount` before IVA; charged as a sale of
    the shop with IVA on top) and the shop's warranty on the work. The delivery entry of the
    customer's logbook waits for the customer's signature."""
    _require_staff(actor)
    repair = _lock(repair)
    if payment_method not in PaymentMethod.values:
        raise RepairError(_("Forma de pago no válida."), code="invalid_payment_method")
    charged = parse_money(amount, field="amount")
    if charged > 0 and payment_method == PaymentMethod.NONE:
        raise RepairError(_("Indique la forma de pago."), code="invalid_payment_method")
    rules = WorkshopSettings.current()
    repaired = repair.status == RepairStatus.READY
    days = (rules.warranty_days if warranty_days is None else int(warranty_days)) if repaired else 0
    if not 0 <= days <= 3650:
        raise RepairError(_("Días de garantía fuera de rango."), code="invalid_warranty")
    covers = (
        _text(rules.warranty_covers if warranty_covers is None else warranty_covers, 300)
        if repaired
        else ""
    )
    handed_back = _text(handed_back, 500, required="handed_back")
    _move(repair, RepairStatus.DELIVERED, actor=actor, now=now)
    total = charged
    if charged > 0:
        # The charge is a sale of the shop (the sales logbook): the repair's service at the
        # price agreed, its cost the parts the repair took from stock (already in the ledger).
        sale = sales.sell(
            actor=actor,
            lines=[
                sales.Line(
                    description=_("Reparación %(folio)s") % {"folio": repair.folio},
                    quantity="1",
                    unit_price=charged,
                    cost=parts_cost(repair),
                )
            ],
            payment_method=payment_method,
            organisation=repair.organisation,
            customer_name=repair.brought_by.full_name,
            repair=repair,
            now=now,
        )
        total = sale.total
    repair.delivered_by = actor
    repair.delivered_at = now
    repair.handed_back = handed_back
    repair.payment_method = payment_method
    repair.amount_charged = total
    repair.warranty_days = days
    repair.warranty_covers = covers
    local = _local(now)
    with desk_language():
        fields = {
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
            "folio": repair.folio,
            "device_data": repair.device.device_data(),
            "handed_back": handed_back,
            "result": _("Reparado") if repaired else _("Sin reparación"),
            "payment": f"${total} ({PaymentMethod(payment_method).label})",
            "warranty": (
                _("%(days)d días: %(covers)s") % {"days": days, "covers": covers}
                if days
                else _("Sin garantía")
            ),
            "delivered_by": str(actor),
        }
        summary = _("Entrega %(folio)s: %(device)s") % {
            "folio": repair.folio,
            "device": repair.device,
        }
    repair.delivery_entry = _entry(
        repair,
        kind=EntryKind.REPAIR_DELIVERY,
        author=actor,
        summary=summary,
        fields=fields,
        now=now,
    )
    repair.save()
    return repair


def parts_cost(repair: Repair) -> Decimal:
    """What the parts the repair consumed cost (their ledger movements' value)."""
    lines = QuoteLine.objects.filter(quote__repair=repair, movement__isnull=False).select_related(
        "movement"
    )
    return sum((-line.movement.value for line in lines if line.movement is not None), Decimal("0"))


def warranty_ends(repair: Repair) -> dt.datetime | None:
    if repair.delivered_at is None or not repair.warranty_days:
        return None
    return repair.delivered_at + dt.timedelta(days=repair.warranty_days)
