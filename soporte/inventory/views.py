"""Pages of the inventory. Views are glue: authorise, validate, one service call, render.

Devices are obtained through `Device.objects.visible_to`, so another organisation's device is
a 404 to a customer; everything about stock (items, movements, intakes, counts, orders) is
the desk's own and answers 403 to a customer.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from soporte.directory.models import Organisation, User
from soporte.inventory import device_import, devices, labels, reads, services
from soporte.inventory.forms import (
    KIND_CHOICES,
    MAX_UPLOAD,
    DeviceForm,
    ImportForm,
    ItemForm,
    MaintenanceForm,
    MovementForm,
    ProposeForm,
    ReceiptForm,
    RemoteAccessForm,
    RetireForm,
    ReverseForm,
    StartCountForm,
    read_upload,
    split_serials,
)
from soporte.inventory.models import (
    EQUIPMENT_SUBJECT,
    CountStatus,
    Device,
    DeviceImport,
    DeviceKind,
    ImportStatus,
    InventorySettings,
    Location,
    MovementKind,
    OrderStatus,
    PurchaseOrder,
    StockBalance,
    StockCount,
    StockItem,
    StockMovement,
    StockReceipt,
)
from soporte.lib import clock
from soporte.lib.errors import DomainError, Forbidden
from soporte.lib.params import parse_id
from soporte.logbook import services as logbook_services

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _staff(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_desk_staff:
        raise PermissionDenied
    return user


def _device(request: HttpRequest, device_id: int) -> Device:
    return get_object_or_404(
        Device.objects.visible_to(request.user).select_related(
            "organisation", "owner", "attached_to"
        ),
        pk=device_id,
    )


def _forbidden(exc: DomainError) -> None:
    if isinstance(exc, Forbidden):
        raise PermissionDenied(str(exc)) from exc


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- devices ------------------------------------------------------------------------------


def device_queryset(request: HttpRequest) -> Any:
    """The device list's rows for this person and the filters in the query string."""
    queryset = Device.objects.visible_to(request.user).select_related("organisation", "owner")
    kind = request.GET.get("tipo", "")
    if kind in DeviceKind.values:
        queryset = queryset.filter(kind=kind)
    organisation_id = parse_id(request.GET.get("organizacion", ""))
    if organisation_id is not None:
        queryset = queryset.filter(organisation_id=organisation_id)
    if request.GET.get("bajas") != "1":
        queryset = queryset.in_service()
    queryset = devices.search(queryset, request.GET.get("q", ""))
    return queryset.order_by("organisation__name", "inventory_tag", "id")


@require_GET
@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    queryset = device_queryset(request)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("pagina"))
    params = request.GET.copy()
    params.pop("pagina", None)
    context = {
        "page": page,
        "kinds": KIND_CHOICES,
        "organisations": Organisation.objects.visible_to(request.user).order_by("name"),
        "filters": request.GET,
        "querystring": params.urlencode(),
        "is_staff": _user(request).is_desk_staff,
    }
    return render(request, "inventory/device_list.html", context)


@require_GET
@login_required
def device_detail(request: HttpRequest, device_id: int) -> HttpResponse:
    device = _device(request, device_id)
    user = _user(request)
    events = devices.timeline(device=device, actor=user, limit=200)
    context = {
        "device": device,
        "events": events,
        "is_staff": user.is_desk_staff,
        "peripherals": device.peripherals.order_by("inventory_tag"),
        "remote_ids": device.remote_ids.order_by("tool", "id") if user.is_desk_staff else [],
        "remote_form": RemoteAccessForm(),
        "retire_form": RetireForm(),
        "label_url": labels.device_url(device),
        "equipment_subject": EQUIPMENT_SUBJECT,
        "in_warranty": device.warranty_end_date is not None
        and device.warranty_end_date >= timezone.localdate(),
    }
    return render(request, "inventory/device_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def device_form(request: HttpRequest, device_id: int | None = None) -> HttpResponse:
    user = _staff(request)
    device = _device(request, device_id) if device_id is not None else None
    if request.method == "POST":
        form = DeviceForm(request.POST, instance=device, editing=device is not None)
        if form.is_valid():
            try:
                if device is None:
                    saved = devices.register_device(
                        actor=user, data=form.device_data(), now=clock.now()
                    )
                else:
                    saved = devices.update_device(
                        actor=user, device=device, data=form.device_data(), now=clock.now()
                    )
            except DomainError as exc:
                _forbidden(exc)
                form.add_service_errors(exc.details.get("fields") or {"__all__": str(exc)})
            else:
                messages.success(
                    request, _("Equipo %(tag)s guardado.") % {"tag": saved.inventory_tag}
                )
                return redirect("inventory:device_detail", saved.pk)
    else:
        initial = {}
        organisation_id = parse_id(request.GET.get("organizacion", ""))
        if organisation_id is not None:
            initial["organisation"] = organisation_id
        form = DeviceForm(instance=device, initial=initial, editing=device is not None)
    return render(request, "inventory/device_form.html", {"form": form, "device": device})


@require_POST
@login_required
def device_retire(request: HttpRequest, device_id: int) -> HttpResponse:
    user = _staff(request)
    device = _device(request, device_id)
    form = RetireForm(request.POST)
    if form.is_valid():
        try:
            devices.retire_device(
                actor=user, device=device, reason=form.cleaned_data["reason"], now=clock.now()
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Equipo dado de baja."))
    else:
        messages.error(request, _("Indique el motivo de la baja."))
    return redirect("inventory:device_detail", device.pk)


@require_POST
@login_required
def device_remote_access(request: HttpRequest, device_id: int) -> HttpResponse:
    user = _staff(request)
    device = _device(request, device_id)
    form = RemoteAccessForm(request.POST)
    if form.is_valid():
        try:
            devices.add_remote_access(actor=user, device=device, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Acceso remoto registrado."))
    else:
        messages.error(request, _("Indique la herramienta y el identificador."))
    return redirect("inventory:device_detail", device.pk)


@require_GET
@login_required
def device_label(request: HttpRequest, device_id: int) -> HttpResponse:
    _staff(request)
    device = _device(request, device_id)
    return _pdf(labels.devices_pdf([device]), f"etiqueta-{device.inventory_tag}.pdf")


@require_GET
@login_required
def device_labels(request: HttpRequest) -> HttpResponse:
    """Labels for the devices of the list as filtered (at most 500 per file)."""
    _staff(request)
    rows = list(device_queryset(request)[:500])
    if not rows:
        raise Http404
    return _pdf(labels.devices_pdf(rows), "etiquetas-equipos.pdf")


@require_http_methods(["GET", "POST"])
@login_required
def device_maintenance(request: HttpRequest, device_id: int) -> HttpResponse:
    """A maintenance entry opened from the device: its two device elements come filled in,
    and the entry names the device, so it appears on the device's timeline."""
    user = _staff(request)
    device = _device(request, device_id)
    initial = devices.maintenance_elements(device)
    initial["responsible_name"] = str(user)
    initial["evaluated_date"] = timezone.localdate().isoformat()
    if device.owner_id:
        initial["user_name"] = str(device.owner)
    if request.method == "POST":
        form = MaintenanceForm(request.POST, device=device, initial_elements=initial)
        if form.is_valid():
            try:
                entry = logbook_services.append_entry(
                    logbook=form.cleaned_data["logbook"],
                    kind=form.cleaned_data["kind"],
                    author=user,
                    summary=form.cleaned_data["summary"],
                    fields=form.element_values(),
                    subject=logbook_services.Subject(
                        EQUIPMENT_SUBJECT, device.subject_id, str(device)
                    ),
                    now=clock.now(),
                )
            except DomainError as exc:
                _forbidden(exc)
                form.add_error(None, str(exc))
                form.mark_missing(exc.details.get("missing", []))
            else:
                messages.success(
                    request, _("Nota %(number)d registrada y firmada.") % {"number": entry.number}
                )
                return redirect("logbook:entry_detail", entry.logbook_id, entry.number)
    else:
        form = MaintenanceForm(device=device, initial_elements=initial)
    return render(
        request,
        "inventory/device_maintenance.html",
        {
            "device": device,
            "form": form,
            "no_logbook": not form.fields["logbook"].queryset.exists(),  # type: ignore[attr-defined]
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def device_import_upload(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            staged, preview = device_import.stage_import(
                actor=user,
                name=upload.name or "equipos.csv",
                data=read_upload(upload, device_import.MAX_BYTES),
                organisation=form.cleaned_data["organisation"],
                now=clock.now(),
            )
        except DomainError as exc:
            _forbidden(exc)
            form.add_error("file", str(exc))
        else:
            context.update(
                {
                    "staged": staged,
                    "preview": preview,
                    "messages_rows": device_import.row_messages(preview),
                }
            )
    return render(request, "inventory/device_import.html", context)


@require_POST
@login_required
def device_import_confirm(request: HttpRequest, import_id: int) -> HttpResponse:
    user = _staff(request)
    staged = get_object_or_404(DeviceImport, pk=import_id, status=ImportStatus.PENDING)
    try:
        created = device_import.confirm_import(actor=user, staged=staged, now=clock.now())
    except DomainError as exc:
        _forbidden(exc)
        messages.error(request, str(exc))
        for row in exc.details.get("rows", [])[:50]:
            messages.error(request, row)
        return redirect("inventory:device_import")
    messages.success(request, _("Se importaron %(n)d equipos.") % {"n": len(created)})
    return redirect("inventory:device_list")


# --- stock: the inventory-control logbook ---------------------------------------------------


@require_GET
@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    """What is stored, how much, its value under the item's method, last movement, flags:
    the whole stock is valued from the kept totals (`reads.stock_values`), a page is shown."""
    _staff(request)
    rules = InventorySettings.current()
    values = reads.stock_values()
    ordered = services.on_order()
    flag = request.GET.get("marca", "")
    text = request.GET.get("q", "").strip()[:60]
    items = StockItem.objects.select_related("preferred_supplier").order_by("sku")
    if text:
        items = items.filter(Q(sku__icontains=text) | Q(name__icontains=text) | Q(barcode=text))
    zero = Decimal(0)
    rows = []
    total = zero
    low_count = 0
    for item in items:
        value = values.get(item.pk)
        on_hand = value.on_hand if value else zero
        low = item.is_active and item.reorder_point > 0 and on_hand <= item.reorder_point
        over = item.target_level > 0 and on_hand > item.target_level
        total += value.value if value else zero
        low_count += low
        if (flag == "bajo" and not low) or (flag == "exceso" and not over):
            continue
        rows.append(
            {
                "item": item,
                "on_hand": on_hand,
                "value": value.value if value else zero,
                "method": value.method
                if value
                else (item.cost_method or rules.default_cost_method),
                "low": low,
                "over": over,
                "on_order": ordered.get(item.pk, zero),
            }
        )
    page = Paginator(rows, 100).get_page(request.GET.get("pagina"))
    last = reads.levels_by_item([row["item"].pk for row in page])
    for row in page:
        level = last.get(row["item"].pk)
        row["last"] = level.last_movement_at if level else None
    params = request.GET.copy()
    params.pop("pagina", None)
    return render(
        request,
        "inventory/item_list.html",
        {
            "page": page,
            "total": total,
            "flag": flag,
            "filters": request.GET,
            "querystring": params.urlencode(),
            "low_count": low_count,
            "propose_form": ProposeForm(),
            "rules": rules,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def item_form(request: HttpRequest, item_id: int | None = None) -> HttpResponse:
    user = _staff(request)
    item = get_object_or_404(StockItem, pk=item_id) if item_id is not None else None
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        saved = services.save_item(actor=user, item=form.save(commit=False), now=clock.now())
        messages.success(request, _("Artículo %(sku)s guardado.") % {"sku": saved.sku})
        return redirect("inventory:item_detail", saved.pk)
    return render(request, "inventory/item_form.html", {"form": form, "item": item})


@require_http_methods(["GET", "POST"])
@login_required
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    """An item's stock per location, its ledger card, and the forms that move it."""
    user = _staff(request)
    item = get_object_or_404(StockItem.objects.select_related("preferred_supplier"), pk=item_id)
    location_id = parse_id(request.GET.get("ubicacion", ""))
    form = MovementForm(request.POST or None, initial={"location": location_id})
    if request.method == "POST" and form.is_valid():
        try:
            moved = _move(user, item, form.cleaned_data)
        except DomainError as exc:
            _forbidden(exc)
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Movimiento registrado: %(m)s.") % {"m": moved})
            return redirect("inventory:item_detail", item.pk)
    balances = list(
        StockBalance.objects.filter(item=item).select_related("location").order_by("location__code")
    )
    method = services.effective_method(item)
    movements = item.movements.select_related("location", "created_by").order_by("-id")
    if location_id is not None:
        movements = movements.filter(location_id=location_id)
    page = Paginator(movements, PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(
        request,
        "inventory/item_detail.html",
        {
            "item": item,
            "balances": balances,
            "method": method,
            "method_label": services.method_label(method),
            "page": page,
            "form": form,
            "location_id": location_id,
            "total_on_hand": sum((b.on_hand for b in balances), Decimal(0)),
            "total_value": sum(
                (b.value_fifo if method == "fifo" else b.value_avg for b in balances), Decimal(0)
            ),
            "serials": item.serials.filter(location__isnull=False)
            .select_related("location")
            .order_by("serial")[:200]
            if item.serialised
            else [],
        },
    )


def _move(user: User, item: StockItem, data: dict[str, Any]) -> str:
    from soporte.tickets.models import Ticket

    now = clock.now()
    kind = data["kind"]
    serials = split_serials(data.get("serials") or "")
    device = None
    if data.get("device"):
        device = Device.objects.filter(inventory_tag=data["device"].strip().upper()).first()
        if device is None:
            raise services.StockError(_("No existe el equipo con esa etiqueta."), code="no_device")
    ticket = None
    if data.get("ticket_number"):
        ticket = Ticket.objects.filter(number=data["ticket_number"]).first()
        if ticket is None:
            raise services.StockError(_("No existe ese ticket."), code="no_ticket")
    if kind == MovementKind.TRANSFER:
        if data.get("to_location") is None:
            raise services.StockError(_("Elija el destino del traspaso."), code="no_destination")
        services.transfer_stock(
            actor=user,
            item=item,
            from_location=data["location"],
            to_location=data["to_location"],
            quantity=data["quantity"],
            reason=data.get("reason") or "",
            serials=serials,
            now=now,
        )
    elif kind == MovementKind.CUSTOMER_RETURN:
        services.return_from_customer(
            actor=user,
            item=item,
            location=data["location"],
            quantity=data["quantity"],
            organisation=device.organisation
            if device
            else (ticket.organisation if ticket else None),
            device=device,
            ticket=ticket,
            reference=data.get("reference") or "",
            reason=data.get("reason") or "",
            serials=serials,
            now=now,
        )
    else:
        services.issue_stock(
            actor=user,
            item=item,
            location=data["location"],
            quantity=data["quantity"],
            kind=kind,
            device=device,
            ticket=ticket,
            organisation=ticket.organisation if ticket and not device else None,
            supplier=data.get("supplier"),
            reference=data.get("reference") or "",
            reason=data.get("reason") or "",
            serials=serials,
            now=now,
        )
    return str(MovementKind(kind).label)


@require_GET
@login_required
def bin_label(request: HttpRequest, item_id: int, location_id: int) -> HttpResponse:
    _staff(request)
    item = get_object_or_404(StockItem, pk=item_id)
    location = get_object_or_404(Location, pk=location_id)
    return _pdf(labels.bins_pdf([(item, location)]), f"etiqueta-{item.sku}-{location.code}.pdf")


# --- the ledger ---------------------------------------------------------------------------


def movement_queryset(request: HttpRequest) -> Any:
    queryset = StockMovement.objects.select_related("item", "location", "created_by")
    kind = request.GET.get("tipo", "")
    if kind in MovementKind.values:
        queryset = queryset.filter(kind=kind)
    location_id = parse_id(request.GET.get("ubicacion", ""))
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    text = request.GET.get("q", "").strip()[:60]
    if text:
        queryset = queryset.filter(
            Q(item__sku__icontains=text)
            | Q(item__name__icontains=text)
            | Q(reference__icontains=text)
        )
    return queryset.order_by("-occurred_at", "-id")


@require_GET
@login_required
def movement_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    page = Paginator(movement_queryset(request), PAGE_SIZE).get_page(request.GET.get("pagina"))
    params = request.GET.copy()
    params.pop("pagina", None)
    return render(
        request,
        "inventory/movement_list.html",
        {
            "page": page,
            "kinds": MovementKind.choices,
            "locations": Location.objects.order_by("code"),
            "filters": request.GET,
            "querystring": params.urlencode(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def movement_detail(request: HttpRequest, movement_id: int) -> HttpResponse:
    user = _staff(request)
    movement = get_object_or_404(
        StockMovement.objects.select_related(
            "item",
            "location",
            "created_by",
            "receipt",
            "device",
            "ticket",
            "supplier",
            "reverses",
            "transfer_from",
            "count",
        ),
        pk=movement_id,
    )
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reverse_movement(
                actor=user, movement=movement, reason=form.cleaned_data["reason"], now=clock.now()
            )
        except DomainError as exc:
            _forbidden(exc)
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Movimiento revertido."))
            return redirect("inventory:movement_detail", movement.pk)
    reversed_by = StockMovement.objects.filter(reverses=movement).first()
    return render(
        request,
        "inventory/movement_detail.html",
        {
            "movement": movement,
            "form": form,
            "reversed_by": reversed_by,
            "serials": movement.serials.select_related("serial").order_by("serial__serial"),
        },
    )


# --- intakes: the content logbook ---------------------------------------------------------


@require_GET
@login_required
def receipt_list(request: HttpRequest) -> HttpResponse:
    """The content logbook: intakes day by day (who received what, from whom, at what cost,
    with the supplier's document), over the last 90 days or a chosen month."""
    _staff(request)
    receipts = (
        StockReceipt.objects.select_related("supplier", "location", "received_by", "entry")
        .annotate(total=Sum("movements__value_avg"))
        .order_by("-received_at", "-id")
    )
    month = request.GET.get("mes", "")
    try:
        start = dt.datetime.strptime(month, "%Y-%m").date() if month else None
    except ValueError:
        start = None
    if start is not None:
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        receipts = receipts.filter(received_at__date__gte=start, received_at__date__lt=end)
    else:
        receipts = receipts.filter(received_at__gte=clock.now() - dt.timedelta(days=90))
    days: dict[dt.date, list[StockReceipt]] = defaultdict(list)
    for receipt in receipts[:500].prefetch_related("movements__item"):
        days[timezone.localtime(receipt.received_at).date()].append(receipt)
    return render(
        request,
        "inventory/receipt_list.html",
        {"days": sorted(days.items(), reverse=True), "month": month},
    )


@require_http_methods(["GET", "POST"])
@login_required
def receipt_new(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = ReceiptForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("document")
        document = None
        if upload:
            document = services.Document(
                upload.name or "documento",
                read_upload(upload, MAX_UPLOAD),
                upload.content_type or "",
            )
        try:
            receipt = services.receive_stock(
                actor=user,
                supplier=form.cleaned_data["supplier"],
                location=form.cleaned_data["location"],
                invoice_number=form.cleaned_data["invoice_number"],
                lines=[
                    services.ReceiptLine(item, quantity, cost, serials)
                    for item, quantity, cost, serials in form.lines
                ],
                document=document,
                notes=form.cleaned_data.get("notes") or "",
                now=clock.now(),
            )
        except DomainError as exc:
            _forbidden(exc)
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Entrada registrada y firmada en la bitácora (nota %(n)d).")
                % {"n": receipt.entry.number},
            )
            return redirect("inventory:receipt_detail", receipt.pk)
    return render(request, "inventory/receipt_form.html", {"form": form})


def _receipt(request: HttpRequest, receipt_id: int) -> StockReceipt:
    _staff(request)
    return get_object_or_404(
        StockReceipt.objects.select_related(
            "supplier", "location", "received_by", "entry", "purchase_order"
        ),
        pk=receipt_id,
    )


@require_GET
@login_required
def receipt_detail(request: HttpRequest, receipt_id: int) -> HttpResponse:
    receipt = _receipt(request, receipt_id)
    movements = (
        receipt.movements.select_related("item").prefetch_related("serials__serial").order_by("id")
    )
    return render(
        request,
        "inventory/receipt_detail.html",
        {
            "receipt": receipt,
            "movements": movements,
            "total": sum((m.value for m in movements), Decimal(0)),
        },
    )


@require_GET
@login_required
def receipt_document(request: HttpRequest, receipt_id: int) -> FileResponse:
    receipt = _receipt(request, receipt_id)
    if not receipt.document_key:
        raise Http404
    path = services.document_path(receipt.document_key)
    if not path.exists():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=receipt.document_name,
        content_type="application/octet-stream",
    )


# --- counts -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def count_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = StartCountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.start_count(
                actor=user,
                location=form.cleaned_data["location"],
                notes=form.cleaned_data.get("notes") or "",
                now=clock.now(),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("inventory:count_detail", count.pk)
    counts = StockCount.objects.select_related("location", "created_by", "approved_by").order_by(
        "-created_at", "-id"
    )[:200]
    return render(request, "inventory/count_list.html", {"counts": counts, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def count_detail(request: HttpRequest, count_id: int) -> HttpResponse:
    """The counter enters what they see per item; the differences show; a supervisor
    approves."""
    user = _staff(request)
    count = get_object_or_404(
        StockCount.objects.select_related("location", "created_by", "approved_by", "entry"),
        pk=count_id,
    )
    if request.method == "POST":
        action = request.POST.get("accion", "")
        now = clock.now()
        try:
            if action == "guardar":
                counted: dict[StockItem, object] = {}
                for key in request.POST:
                    value = request.POST.get(key, "")
                    if key.startswith("item_") and value.strip():
                        item_id = parse_id(key[5:])
                        item = StockItem.objects.filter(pk=item_id).first() if item_id else None
                        if item is not None:
                            counted[item] = value
                services.record_count(count=count, actor=user, counted=counted)
                messages.success(request, _("Conteo guardado."))
            elif action == "enviar":
                services.submit_count(count=count, actor=user, now=now)
                messages.success(request, _("Conteo enviado a aprobación."))
            elif action == "aprobar":
                services.approve_count(count=count, actor=user, now=now)
                messages.success(request, _("Conteo aprobado: ajustes registrados y firmados."))
            elif action == "cancelar":
                services.cancel_count(count=count, actor=user)
                messages.success(request, _("Conteo cancelado."))
        except Forbidden as exc:
            messages.error(request, str(exc))
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("inventory:count_detail", count.pk)
    differences = services.count_differences(count)
    counted_ids = {d.line.item_id for d in differences}
    stocked = (
        StockItem.objects.filter(balances__location=count.location, is_active=True)
        .exclude(pk__in=counted_ids)
        .order_by("sku")
        .distinct()
    )
    return render(
        request,
        "inventory/count_detail.html",
        {
            "count": count,
            "differences": differences,
            "uncounted": stocked,
            "other_items": StockItem.objects.filter(is_active=True)
            .exclude(pk__in=counted_ids)
            .order_by("sku")[:500],
            "can_approve": user.is_manager and count.status == CountStatus.SUBMITTED,
        },
    )


# --- purchase orders ----------------------------------------------------------------------


@require_GET
@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    orders = (
        PurchaseOrder.objects.select_related("supplier", "location")
        .annotate(lines_count=Sum("lines__quantity"))
        .order_by("-created_at", "-id")[:200]
    )
    return render(request, "inventory/order_list.html", {"orders": orders, "form": ProposeForm()})


@require_POST
@login_required
def order_propose(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Elija dónde se entregan."))
        return redirect("inventory:item_list")
    orders = services.propose_purchase_orders(
        actor=user, location=form.cleaned_data["location"], now=clock.now()
    )
    if orders:
        messages.success(
            request, _("Se propusieron %(n)d órdenes de compra en borrador.") % {"n": len(orders)}
        )
    else:
        messages.info(request, _("Nada por pedir: ningún artículo está en su punto de reorden."))
    return redirect("inventory:order_list")


@require_http_methods(["GET", "POST"])
@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    user = _staff(request)
    order = get_object_or_404(
        PurchaseOrder.objects.select_related("supplier", "location"), pk=order_id
    )
    lines = list(order.lines.select_related("item").order_by("item__sku"))
    if request.method == "POST":
        action = request.POST.get("accion", "")
        now = clock.now()
        try:
            if action == "pedir":
                services.place_order(order=order, actor=user, now=now)
                messages.success(request, _("Orden marcada como pedida."))
            elif action == "cancelar":
                services.cancel_order(order=order, actor=user)
                messages.success(request, _("Orden cancelada."))
            elif action == "recibir":
                wanted = []
                for line in lines:
                    raw = request.POST.get(f"qty_{line.pk}", "").strip()
                    if raw and Decimal(raw.replace(",", ".") or 0) != 0:
                        wanted.append(
                            services.OrderReceipt(
                                line,
                                services.parse_quantity(raw, item=line.item),
                                serials=split_serials(request.POST.get(f"serials_{line.pk}", "")),
                            )
                        )
                if not wanted:
                    raise services.StockError(
                        _("Capture qué cantidades llegaron."), code="no_lines"
                    )
                upload = request.FILES.get("document")
                receipt = services.receive_purchase_order(
                    order=order,
                    actor=user,
                    lines=wanted,
                    invoice_number=request.POST.get("invoice_number", ""),
                    document=services.Document(
                        upload.name or "documento",
                        read_upload(upload, MAX_UPLOAD),
                        upload.content_type or "",
                    )
                    if upload
                    else None,
                    now=now,
                )
                messages.success(
                    request,
                    _("Recepción registrada (nota %(n)d de la bitácora).")
                    % {"n": receipt.entry.number},
                )
        except DomainError as exc:
            messages.error(request, str(exc))
        except ArithmeticError:
            messages.error(request, _("La cantidad no es un número."))
        return redirect("inventory:order_detail", order.pk)
    return render(
        request,
        "inventory/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "receivable": order.status in (OrderStatus.ORDERED, OrderStatus.PARTIAL),
            "total": sum((line.quantity * line.unit_cost for line in lines), Decimal(0)),
        },
    )
