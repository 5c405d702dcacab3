"""Pages of the repair shop. Views are glue: authorise, validate, one service call, render.

A repair is obtained only through `Repair.objects.visible_to`, so another organisation's repair
is a 404 to a customer (the same page serves the counter and the portal: a customer sees their
own repair, its quotes and receipts, and decides a quote when they are its decision-maker).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from soporte.directory.models import Role, User
from soporte.inventory import devices
from soporte.inventory.models import Location, StockItem
from soporte.lib import charts, clock, exports
from soporte.lib.errors import DomainError, Forbidden
from soporte.lib.exports import Column
from soporte.logbook import services as logbook_services
from soporte.logbook.forms import OnSiteForm
from soporte.logbook.models import Entry, SignatureMethod, SignerSide
from soporte.workshop import periods, photos, receipts, register, services
from soporte.workshop.forms import (
    DecisionForm,
    DeliveryForm,
    IntakeForm,
    QuoteForm,
    ReasonForm,
    RepairedForm,
    WarrantyForm,
)
from soporte.workshop.models import (
    OPEN_STATUSES,
    Quote,
    QuoteStatus,
    Repair,
    RepairPhoto,
    RepairStatus,
    WorkshopSettings,
)

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _staff(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_desk_staff:
        raise PermissionDenied
    return user


def _repair(request: HttpRequest, repair_id: int) -> Repair:
    return get_object_or_404(
        Repair.objects.visible_to(request.user).select_related(
            "organisation",
            "device",
            "brought_by",
            "decision_maker",
            "received_by",
            "technician",
            "repaired_by",
            "delivered_by",
            "warranty_of",
            "intake_entry__logbook",
            "delivery_entry__logbook",
        ),
        pk=repair_id,
    )


def _forbidden(exc: DomainError) -> None:
    if isinstance(exc, Forbidden):
        raise PermissionDenied(str(exc)) from exc


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_GET
@login_required
def repair_list(request: HttpRequest) -> HttpResponse:
    """The counter's list (staff: every repair, open first by default) and the portal's
    "Mis reparaciones" (a customer: their organisation's)."""
    user = _user(request)
    queryset = Repair.objects.visible_to(user).select_related(
        "organisation", "device", "technician"
    )
    status = request.GET.get("estado", "")
    if status in RepairStatus.values:
        queryset = queryset.filter(status=status)
    elif status != "todas" and user.is_desk_staff:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    page = Paginator(queryset.order_by("-received_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("pagina")
    )
    return render(
        request,
        "workshop/repair_list.html",
        {
            "page": page,
            "statuses": RepairStatus.choices,
            "status": status,
            "is_staff": user.is_desk_staff,
        },
    )


def _intake_device(form: IntakeForm, user: User) -> Any:
    data = form.cleaned_data
    if data.get("device"):
        return data["device"]
    return devices.register_device(
        actor=user,
        data=devices.DeviceData(
            organisation=data["organisation"],
            kind=data["new_kind"],
            brand=data["new_brand"],
            model=data.get("new_model", ""),
            serial_number=data.get("new_serial", ""),
            owner=data["brought_by"],
        ),
        now=clock.now(),
    )


@require_http_methods(["GET", "POST"])
@login_required
def repair_new(request: HttpRequest) -> HttpResponse:
    """Check-in at the counter; then the customer signs the intake on the same screen."""
    user = _staff(request)
    initial: dict[str, Any] = {}
    if request.method == "POST":
        form = IntakeForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                repair = services.receive_repair(
                    actor=user,
                    intake=services.Intake(
                        device=_intake_device(form, user),
                        brought_by=data["brought_by"],
                        fault=data["fault"],
                        condition=data["condition"],
                        accessories=data.get("accessories", ""),
                        preserve_data=bool(data.get("preserve_data")),
                        estimate=data.get("estimate"),
                        auxiliary=bool(data.get("auxiliary")),
                        auxiliary_acknowledged=bool(data.get("auxiliary_acknowledged")),
                        decision_maker=data.get("decision_maker"),
                        technician=data.get("technician"),
                        # Read bounded: one byte past the limit is enough to refuse it.
                        photos=[f.read(photos.MAX_BYTES + 1) for f in data.get("photos") or []],
                    ),
                    now=clock.now(),
                )
            except DomainError as exc:
                _forbidden(exc)
                form.add_error(
                    "photos" if exc.code.startswith(("photo", "too_many_photos")) else None,
                    str(exc),
                )
            else:
                messages.success(
                    request, _("Reparación %(folio)s recibida.") % {"folio": repair.folio}
                )
                if services.can_sign(repair.intake_entry):
                    return redirect("workshop:repair_sign", repair.pk, "recepcion")
                return redirect("workshop:repair_detail", repair.pk)
    else:
        organisation = request.GET.get("organizacion", "")
        if organisation.isdigit():
            initial["organisation"] = int(organisation)
        form = IntakeForm(initial=initial)
    return render(request, "workshop/repair_new.html", {"form": form})


def _signers(entry: Entry) -> QuerySet[User]:
    """Who may sign at the counter for the customer: the authorised signers of the logbook."""
    logbook = entry.logbook
    return User.objects.filter(
        pk__in=logbook.signers.filter(side=SignerSide.CUSTOMER).values("user_id"),
        role=Role.CUSTOMER,
        organisation_id=logbook.organisation_id,
        is_active=True,
    ).order_by("first_name", "last_name", "id")


SIGN_STEPS = {"recepcion": "intake_entry", "entrega": "delivery_entry"}


@require_http_methods(["GET", "POST"])
@login_required
def repair_sign(request: HttpRequest, repair_id: int, step: str) -> HttpResponse:
    """The customer signs the intake or the delivery on the counter's tablet or phone: drawn,
    and with their own key (their portal password proves who they are), through the bitácora
    (`countersign_entry`). A customer on their own session only draws."""
    user = _user(request)
    repair = _repair(request, repair_id)
    if step not in SIGN_STEPS:
        raise PermissionDenied
    entry: Entry | None = getattr(repair, SIGN_STEPS[step])
    if entry is None or not services.can_sign(entry):
        messages.info(request, _("Esta nota no se firma en el mostrador."))
        return redirect("workshop:repair_detail", repair.pk)
    if user.is_desk_staff:
        signers: QuerySet[User] | None = _signers(entry)
    elif logbook_services.can_countersign(entry, user):
        signers = None
    else:
        raise PermissionDenied
    now = clock.now()
    status = logbook_services.status_of(entry, now=now)
    if request.method == "POST":
        form = OnSiteForm(request.POST, signers=signers)
        if form.is_valid():
            signer = form.cleaned_data["signer"] if signers is not None else user
            try:
                logbook_services.countersign_entry(
                    entry=entry,
                    signer=signer,
                    method=SignatureMethod.ON_SITE,
                    drawn_png=form.cleaned_data["drawing"],
                    now=now,
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Firmado por %(name)s en la bitácora.") % {"name": signer}
                )
                return redirect("workshop:repair_detail", repair.pk)
    else:
        form = OnSiteForm(signers=signers)
    return render(
        request,
        "workshop/repair_sign.html",
        {
            "repair": repair,
            "entry": entry,
            "form": form,
            "pending": status == "pending",
            "no_signers": signers is not None and not signers.exists(),
            "fields": [(k, v) for k, v in entry.fields.items() if v],
        },
    )


@require_GET
@login_required
def repair_detail(request: HttpRequest, repair_id: int) -> HttpResponse:
    user = _user(request)
    repair = _repair(request, repair_id)
    quotes = list(
        repair.quotes.select_related("decided_by")
        .prefetch_related("lines__item")
        .order_by("created_at", "id")
    )
    pending = next((q for q in quotes if q.status == QuoteStatus.PENDING), None)
    staff = user.is_desk_staff
    context: dict[str, Any] = {
        "repair": repair,
        "quotes": quotes,
        "changes": repair.changes.select_related("changed_by").order_by("changed_at", "id"),
        "is_staff": staff,
        "pending_quote": pending,
        "can_decide": pending is not None and (staff or services.may_decide(user, repair)),
        "intake_signed": services.is_signed(repair.intake_entry),
        "delivery_signed": services.is_signed(repair.delivery_entry),
        "can_sign_intake": services.can_sign(repair.intake_entry),
        "can_sign_delivery": services.can_sign(repair.delivery_entry),
        "warranty_ends": services.warranty_ends(repair),
        "warranty_returns": repair.warranty_returns.order_by("received_at", "id"),
        "receipts": repair.sales.order_by("sold_at", "id"),
        "photos": repair.photos.order_by("id"),
        "settings": WorkshopSettings.current(),
    }
    if staff:
        rules = context["settings"]
        approved = services.approved_quote(repair)
        handed = str(repair.device) + (f", {repair.accessories}" if repair.accessories else "")
        context.update(
            quote_form=QuoteForm(),
            decision_form=DecisionForm(organisation_id=repair.organisation_id),
            repaired_form=RepairedForm(),
            # Its own ids: the quote decision's form on the same page has a `reason` too.
            reason_form=ReasonForm(auto_id="unrepairable_%s"),
            delivery_form=DeliveryForm(
                initial={
                    "handed_back": handed,
                    "warranty_days": rules.warranty_days,
                    "warranty_covers": rules.warranty_covers,
                    "amount": approved.total() if approved is not None else Decimal("0"),
                }
            ),
            warranty_form=WarrantyForm(organisation_id=repair.organisation_id),
        )
    elif context["can_decide"]:
        context["decision_form"] = DecisionForm()
    return render(request, "workshop/repair_detail.html", context)


@require_GET
@login_required
def repair_photo(request: HttpRequest, repair_id: int, key: str) -> FileResponse:
    """A photo taken at intake, for whoever may see the repair (the staff, its customer)."""
    repair = _repair(request, repair_id)
    photo = get_object_or_404(RepairPhoto, repair=repair, key=key)
    path = photos.photo_path(photo.key)
    if not path.exists():
        raise Http404
    response = FileResponse(path.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
@login_required
def repair_receipt(request: HttpRequest, repair_id: int) -> HttpResponse:
    repair = _repair(request, repair_id)
    return _pdf(receipts.repair_pdf(repair), f"{repair.folio}.pdf")


PART_LINE = re.compile(r"^\s*([^,]+?)\s*,\s*([\d.,]+)\s*,\s*([\d.,]+)\s*,\s*([^,]+?)\s*$")


def parse_parts(text: str) -> list[services.PartLine]:
    """The quote form's parts, one per line: SKU, quantity, unit price, location code."""
    parts = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        match = PART_LINE.match(raw)
        if match is None:
            raise services.RepairError(
                _("Renglón %(n)d: escriba SKU, cantidad, precio, ubicación.") % {"n": number},
                code="invalid_part",
            )
        sku, quantity, price, code = match.groups()
        item = StockItem.objects.filter(sku=sku, is_active=True).first()
        location = Location.objects.filter(code=code).first()
        if item is None or location is None:
            raise services.RepairError(
                _("Renglón %(n)d: no existe el artículo o la ubicación.") % {"n": number},
                code="unknown_part",
            )
        parts.append(
            services.PartLine(item=item, location=location, quantity=quantity, unit_price=price)
        )
    return parts


def _run(request: HttpRequest, repair: Repair, action: str, user: User) -> str:
    """One button of the repair page; returns the success message."""
    now = clock.now()
    post = request.POST
    if action == "diagnosticar":
        services.start_diagnosis(actor=user, repair=repair, now=now)
        return _("Diagnóstico iniciado.")
    if action == "presupuestar":
        form = QuoteForm(post)
        if not form.is_valid():
            raise services.RepairError(
                _("Revise el diagnóstico y la mano de obra."), code="invalid_form"
            )
        services.quote_repair(
            actor=user,
            repair=repair,
            diagnosis=form.cleaned_data["diagnosis"],
            labour=form.cleaned_data["labour"],
            parts=parse_parts(form.cleaned_data.get("parts", "")),
            notes=form.cleaned_data.get("notes", ""),
            now=now,
        )
        return _("Presupuesto registrado.")
    if action == "decidir":
        quote = get_object_or_404(Quote, repair=repair, status=QuoteStatus.PENDING)
        decision = DecisionForm(
            post, organisation_id=repair.organisation_id if user.is_desk_staff else None
        )
        if not decision.is_valid():
            raise services.RepairError(
                _("Elija aprobar o rechazar y quién decide."), code="invalid_form"
            )
        services.decide_quote(
            actor=user,
            quote=quote,
            approve=decision.cleaned_data["decision"] == "approve",
            decided_by=decision.cleaned_data.get("decided_by"),
            reason=decision.cleaned_data.get("reason", ""),
            now=now,
        )
        return _("Decisión registrada en la bitácora.")
    if not user.is_desk_staff:
        raise PermissionDenied
    if action == "piezas":
        services.parts_arrived(actor=user, repair=repair, now=now)
        return _("Piezas recibidas: en reparación.")
    if action == "reparado":
        done = RepairedForm(post)
        if not done.is_valid():
            raise services.RepairError(_("Describa el trabajo y los minutos."), code="invalid_form")
        services.mark_repaired(
            actor=user,
            repair=repair,
            work_done=done.cleaned_data["work_done"],
            labour_minutes=done.cleaned_data["labour_minutes"],
            now=now,
        )
        return _("Reparación terminada: lista para entregar.")
    if action in ("sin-reparacion", "abandonado"):
        reason = ReasonForm(post)
        if not reason.is_valid():
            raise services.RepairError(_("Escriba el motivo."), code="invalid_form")
        use_case = (
            services.mark_unrepairable if action == "sin-reparacion" else services.abandon_repair
        )
        use_case(actor=user, repair=repair, reason=reason.cleaned_data["reason"], now=now)
        return _("Estado actualizado.")
    if action == "entregar":
        delivery = DeliveryForm(post)
        if not delivery.is_valid():
            raise services.RepairError(_("Revise los datos de la entrega."), code="invalid_form")
        data = delivery.cleaned_data
        services.deliver_repair(
            actor=user,
            repair=repair,
            handed_back=data["handed_back"],
            payment_method=data["payment_method"],
            amount=data["amount"],
            warranty_days=data.get("warranty_days"),
            warranty_covers=data.get("warranty_covers"),
            now=now,
        )
        return _("Equipo entregado.")
    raise PermissionDenied


@require_POST
@login_required
def repair_action(request: HttpRequest, repair_id: int, action: str) -> HttpResponse:
    user = _user(request)
    repair = _repair(request, repair_id)
    if action != "decidir" and not user.is_desk_staff:
        raise PermissionDenied
    try:
        message = _run(request, repair, action, user)
    except DomainError as exc:
        _forbidden(exc)
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
        if action == "entregar" and services.can_sign(
            Repair.objects.get(pk=repair.pk).delivery_entry
        ):
            return redirect("workshop:repair_sign", repair.pk, "entrega")
    return redirect("workshop:repair_detail", repair.pk)


@require_POST
@login_required
def warranty_return(request: HttpRequest, repair_id: int) -> HttpResponse:
    user = _staff(request)
    original = _repair(request, repair_id)
    form = WarrantyForm(request.POST, organisation_id=original.organisation_id)
    if not form.is_valid():
        messages.error(request, _("Revise quién entrega el equipo y la falla."))
        return redirect("workshop:repair_detail", original.pk)
    try:
        repair = services.receive_warranty_return(
            actor=user,
            original=original,
            brought_by=form.cleaned_data["brought_by"],
            fault=form.cleaned_data["fault"],
            condition=form.cleaned_data["condition"],
            now=clock.now(),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("workshop:repair_detail", original.pk)
    messages.success(request, _("Garantía %(folio)s recibida.") % {"folio": repair.folio})
    if services.can_sign(repair.intake_entry):
        return redirect("workshop:repair_sign", repair.pk, "recepcion")
    return redirect("workshop:repair_detail", repair.pk)


# --- the repair register ------------------------------------------------------------------

PERIOD_ERRORS = {
    "bad_date": gettext_lazy("Fecha no válida: se muestran los últimos doce meses."),
    "bad_range": gettext_lazy(
        "El periodo debe terminar después de empezar y durar hasta tres años."
    ),
}


def _register(request: HttpRequest) -> tuple[register.Register, periods.Period, str]:
    period, error = periods.from_query(request.GET.dict(), now=clock.now())
    return register.build(start=period.start, end=period.end), period, error


def register_columns() -> list[Column]:
    columns = [
        Column("technician", _("Técnico")),
        Column("received", _("Recibidas"), "int"),
        Column("repaired", _("Reparadas"), "int"),
        Column("unrepairable", _("Sin reparación posible"), "int"),
        Column("warranty_returns", _("Regresos en garantía"), "int"),
        Column("share_repaired", _("Porcentaje reparado"), "percent"),
        Column("median_turnaround_hours", _("Mediana recibido → listo (horas)"), "decimal"),
    ]
    columns += [
        Column(
            f"hours_{status}",
            _("Horas en «%(status)s»") % {"status": RepairStatus(status).label},
            "decimal",
        )
        for status in register.WORK_STATUSES
    ]
    return columns


def register_rows(data: register.Register) -> list[dict[str, Any]]:
    return [
        {
            "technician": row.name,
            "received": row.received,
            "repaired": row.repaired,
            "unrepairable": row.unrepairable,
            "warranty_returns": row.warranty_returns,
            "share_repaired": row.share_repaired,
            "median_turnaround_hours": (
                Decimal(str(round(row.median_turnaround_hours, 2)))
                if row.median_turnaround_hours is not None
                else None
            ),
            **{
                f"hours_{status}": Decimal(str(round(row.hours_in_status[status], 2)))
                if status in row.hours_in_status
                else None
                for status in register.WORK_STATUSES
            },
        }
        for row in data.rows
    ]


@require_GET
@login_required
def register_page(request: HttpRequest) -> HttpResponse:
    _staff(request)
    data, period, error = _register(request)
    labels = [formats.date_format(month, "YEAR_MONTH_FORMAT") for month in data.months]
    # One series per technician (the most repairs first); past the chart's limit the rest
    # are read in the table. A name shared by two people keeps both series apart.
    shown = data.rows[: charts.MAX_SERIES]
    names = [row.name for row in shown]
    chart = charts.bar_chart(
        title=_("Reparaciones por técnico y mes"),
        labels=labels,
        series={
            (row.name if names.count(row.name) == 1 else f"{row.name} ({row.technician_id})"): (
                data.monthly.get(row.technician_id, [])
            )
            for row in shown
        },
    )
    return render(
        request,
        "workshop/register.html",
        {
            "data": data,
            "period": period,
            "error": PERIOD_ERRORS.get(error, ""),
            "chart": chart,
            "columns": register_columns(),
            "rows": register_rows(data),
            "query": request.GET.urlencode(),
            "statuses": [RepairStatus(s).label for s in register.WORK_STATUSES],
        },
    )


@require_GET
@login_required
def register_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    _staff(request)
    if fmt not in exports.FORMATS:
        raise Http404
    data, period, _error = _register(request)
    return exports.export_response(
        fmt,
        name=f"registro-reparaciones-{period.first_day}-{period.last_day}",
        title=_("Registro de reparaciones"),
        subtitle=f"{period.first_day.isoformat()} – {period.last_day.isoformat()}",
        columns=register_columns(),
        rows=register_rows(data),
    )
