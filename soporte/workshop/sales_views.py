"""Pages of the shop's sales: the counter sale, a document and its receipt, a refund, the
expenses, and the sales logbook (P&L by day, week, month or year: chart, table, exports and
drill-down to the documents).

Sales and the logbook are the shop's own (a customer gets 403), except a document's page and
receipt, which a customer sees for their own organisation (through `Sale.objects.visible_to`;
another's is a 404).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from soporte.directory.models import Organisation, User
from soporte.inventory.models import Location, StockItem, StockSerial
from soporte.lib import charts, clock, exports
from soporte.lib.errors import DomainError
from soporte.lib.exports import Column
from soporte.tickets.models import Ticket
from soporte.workshop import periods, receipts, sales, salesbook
from soporte.workshop.models import Expense, ExpenseCategory, PaymentMethod, Sale

PAGE_SIZE = 50
GRAIN_LABELS = {
    "day": gettext_lazy("Día"),
    "week": gettext_lazy("Semana"),
    "month": gettext_lazy("Mes"),
    "year": gettext_lazy("Año"),
}
PERIOD_ERRORS = {
    "bad_date": gettext_lazy("Fecha no válida: se muestran los últimos doce meses."),
    "bad_range": gettext_lazy(
        "El periodo debe terminar después de empezar y durar hasta tres años."
    ),
}


# The counter's pick list of serialised pieces stays one screen long.
MAX_SERIALS_SHOWN = 300


class SerialChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.item.sku} · {obj.serial} · {obj.location.code}"


def _staff(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_desk_staff:
        raise PermissionDenied
    return user


class SaleForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Cliente (organización)"),
        queryset=Organisation.objects.order_by("name", "id"),
        required=False,
    )
    customer_name = forms.CharField(
        label=gettext_lazy("Nombre del cliente"), max_length=200, required=False
    )
    lines = forms.CharField(
        label=gettext_lazy("Renglones"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "Uno por renglón: SKU o concepto, cantidad, precio unitario sin IVA, descuento, "
            "ubicación (p. ej. RAM-8, 1, 650, 0, A-01; o Limpieza, 1, 300). Las piezas con "
            "número de serie se eligen abajo."
        ),
    )
    serials = SerialChoiceField(
        label=gettext_lazy("Piezas con número de serie"),
        queryset=StockSerial.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("Marque la pieza que se lleva el cliente, una por unidad vendida."),
    )
    ticket = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Forma de pago"),
        choices=[c for c in PaymentMethod.choices if c[0] != PaymentMethod.NONE],
    )
    notes = forms.CharField(label=gettext_lazy("Notas"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The serialised pieces on a shelf now (the counter picks the one it hands over).
        on_shelves = StockSerial.objects.filter(location__isnull=False, item__is_active=True)
        shown = on_shelves.order_by("item__sku", "location__code", "serial").values_list(
            "pk", flat=True
        )[:MAX_SERIALS_SHOWN]
        self.fields["serials"].queryset = (  # type: ignore[attr-defined]
            on_shelves.filter(pk__in=list(shown))
            .select_related("item", "location")
            .order_by("item__sku", "location__code", "serial")
        )


def parse_lines(text: str, picked: Sequence[StockSerial] = ()) -> list[sales.Line]:
    """The typed lines; a serialised item's line takes the picked pieces of that item at
    that location."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [part.strip() for part in raw.split(",")]
        if len(parts) < 3 or len(parts) > 5:
            raise sales.SaleError(
                _("Renglón %(n)d: escriba concepto, cantidad y precio.") % {"n": number},
                code="invalid_line",
            )
        concept, quantity, price = parts[:3]
        discount = parts[3] if len(parts) > 3 and parts[3] else "0"
        item = StockItem.objects.filter(sku=concept, is_active=True).first()
        location = None
        if item is not None:
            code = parts[4] if len(parts) > 4 else ""
            location = Location.objects.filter(code=code, is_active=True).first()
            if location is None:
                raise sales.SaleError(
                    _("Renglón %(n)d: indique una ubicación válida del artículo.") % {"n": number},
                    code="location_required",
                )
        serials = (
            [
                p.serial
                for p in picked
                if item is not None and p.item_id == item.pk and p.location_id == location.pk  # type: ignore[union-attr]
            ]
            if item is not None and item.serialised
            else []
        )
        lines.append(
            sales.Line(
                description=item.name if item else concept,
                quantity=quantity,
                unit_price=price,
                discount=discount,
                item=item,
                location=location,
                serials=serials,
            )
        )
    return lines


@require_http_methods(["GET", "POST"])
@login_required
def sale_new(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    # Started from a ticket's page: the sale names the ticket and bills its organisation.
    ticket_id = (request.POST if request.method == "POST" else request.GET).get("ticket", "")
    ticket = (
        get_object_or_404(Ticket.objects.visible_to(user), number=int(ticket_id))
        if ticket_id.isdigit()
        else None
    )
    initial: dict[str, Any] = {}
    if ticket is not None:
        initial = {
            "ticket": ticket.number,
            "organisation": ticket.organisation_id,
            "notes": _("Ticket #%(n)d: %(subject)s")
            % {"n": ticket.number, "subject": ticket.subject},
        }
    form = SaleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sale = sales.sell(
                actor=user,
                lines=parse_lines(data["lines"], list(data.get("serials") or [])),
                payment_method=data["payment_method"],
                organisation=data.get("organisation"),
                customer_name=data.get("customer_name", ""),
                notes=data.get("notes", ""),
                ticket=ticket,
                now=clock.now(),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Venta %(folio)s registrada.") % {"folio": sale.folio})
            return redirect("workshop:sale_detail", sale.pk)
    return render(request, "workshop/sale_new.html", {"form": form, "ticket": ticket})


def _sale(request: HttpRequest, sale_id: int) -> Sale:
    return get_object_or_404(
        Sale.objects.visible_to(request.user).select_related(
            "organisation", "sold_by", "refunds", "repair"
        ),
        pk=sale_id,
    )


@require_GET
@login_required
def sale_detail(request: HttpRequest, sale_id: int) -> HttpResponse:
    sale = _sale(request, sale_id)
    lines = list(sale.lines.order_by("id"))
    return render(
        request,
        "workshop/sale_detail.html",
        {
            "sale": sale,
            "lines": [(line, line.quantity - sales.refunded_quantity(line)) for line in lines],
            "refunds": sale.refunded_by.order_by("sold_at", "id"),
            "is_staff": request.user.is_desk_staff,  # type: ignore[union-attr]
            "rate": sale.vat_basis_points / 100,
        },
    )


@require_GET
@login_required
def sale_receipt(request: HttpRequest, sale_id: int) -> HttpResponse:
    sale = _sale(request, sale_id)
    response = HttpResponse(receipts.sale_pdf(sale), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{sale.folio}.pdf"'
    return response


@require_POST
@login_required
def sale_refund(request: HttpRequest, sale_id: int) -> HttpResponse:
    user = _staff(request)
    sale = _sale(request, sale_id)
    quantities: dict[int, object] = {}
    for key, value in request.POST.items():
        if key.startswith("renglon-") and key[8:].isdigit() and len(value) <= 20:
            quantities[int(key[8:])] = value
    try:
        document = sales.refund(
            actor=user,
            sale=sale,
            quantities=quantities,
            reason=request.POST.get("motivo", "")[:500],
            now=clock.now(),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("workshop:sale_detail", sale.pk)
    messages.success(request, _("Devolución %(folio)s registrada.") % {"folio": document.folio})
    return redirect("workshop:sale_detail", document.pk)


@require_GET
@login_required
def sale_list(request: HttpRequest) -> HttpResponse:
    """The documents of a period (the logbook's drill-down)."""
    _staff(request)
    period, error = periods.from_query(request.GET.dict(), now=clock.now())
    queryset = (
        Sale.objects.filter(sold_at__gte=period.start, sold_at__lt=period.end)
        .select_related("organisation", "sold_by")
        .order_by("-sold_at", "-id")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(
        request,
        "workshop/sale_list.html",
        {
            "page": page,
            "period": period,
            "error": PERIOD_ERRORS.get(error, ""),
            "query": _without_page(request),
        },
    )


def _without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("pagina", None)
    return query.urlencode()


# --- the sales logbook --------------------------------------------------------------------


def _grain(request: HttpRequest) -> str:
    grain = request.GET.get("por", "month")
    return grain if grain in salesbook.GRAINS else "month"


def _label(bucket: salesbook.Bucket, grain: str) -> str:
    if grain == "year":
        return str(bucket.start.year)
    if grain == "month":
        return formats.date_format(bucket.start, "YEAR_MONTH_FORMAT")
    if grain == "week":
        return _("Semana del %(day)s") % {
            "day": formats.date_format(bucket.start, "SHORT_DATE_FORMAT")
        }
    return formats.date_format(bucket.start, "SHORT_DATE_FORMAT")


def book_columns() -> list[Column]:
    return [
        Column("period", _("Periodo")),
        Column("documents", _("Documentos"), "int"),
        Column("revenue", _("Ingresos (sin IVA)"), "decimal"),
        Column("cost", _("Costo"), "decimal"),
        Column("gross_profit", _("Utilidad bruta"), "decimal"),
        Column("margin", _("Margen"), "percent"),
        Column("expenses", _("Gastos"), "decimal"),
        Column("profit", _("Utilidad o pérdida"), "decimal"),
        Column("tax", _("IVA cobrado"), "decimal"),
    ]


def _row(bucket: salesbook.Bucket, label: str) -> dict[str, Any]:
    return {
        "period": label,
        "documents": bucket.documents,
        "revenue": bucket.revenue,
        "cost": bucket.cost,
        "gross_profit": bucket.gross_profit,
        "margin": bucket.margin,
        "margin_percent": bucket.margin * 100 if bucket.margin is not None else None,
        "expenses": bucket.expenses,
        "profit": bucket.profit,
        "tax": bucket.tax,
        "first_day": bucket.start,
        "last_day": bucket.end - dt.timedelta(days=1),
    }


def _book(
    request: HttpRequest,
) -> tuple[list[dict[str, Any]], dict[str, Any], periods.Period, str, str]:
    period, error = periods.from_query(request.GET.dict(), now=clock.now())
    grain = _grain(request)
    if grain == "day" and (period.last_day - period.first_day).days > 366:
        grain = "week"
    buckets, total = salesbook.book(
        first_day=period.first_day, last_day=period.last_day, grain=grain
    )
    rows = [_row(bucket, _label(bucket, grain)) for bucket in buckets]
    return rows, _row(total, _("Total")), period, grain, error


@require_GET
@login_required
def sales_book(request: HttpRequest) -> HttpResponse:
    _staff(request)
    rows, total, period, grain, error = _book(request)
    labels = [row["period"] for row in rows]
    chart = charts.bar_chart(
        title=_("Ingresos, costo y utilidad"),
        labels=labels,
        series={
            _("Ingresos"): [row["revenue"] for row in rows],
            _("Costo"): [row["cost"] for row in rows],
            _("Utilidad bruta"): [row["gross_profit"] for row in rows],
            _("Utilidad o pérdida"): [row["profit"] for row in rows],
        },
        kind="money",
    )
    return render(
        request,
        "workshop/sales_book.html",
        {
            "rows": rows,
            "total": total,
            "period": period,
            "grain": grain,
            "grains": GRAIN_LABELS.items(),
            "error": PERIOD_ERRORS.get(error, ""),
            "chart": chart,
            "query": request.GET.urlencode(),
        },
    )


@require_GET
@login_required
def sales_book_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    _staff(request)
    if fmt not in exports.FORMATS:
        raise Http404
    rows, total, period, grain, _error = _book(request)
    return exports.export_response(
        fmt,
        name=f"bitacora-ventas-{period.first_day}-{period.last_day}",
        title=_("Bitácora de ventas"),
        subtitle=f"{period.first_day.isoformat()} – {period.last_day.isoformat()} · {GRAIN_LABELS[grain]}",
        columns=book_columns(),
        rows=[*rows, total],
    )


# --- expenses -----------------------------------------------------------------------------


class ExpenseForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Categoría"), choices=ExpenseCategory.choices)
    description = forms.CharField(label=gettext_lazy("Descripción"), max_length=300)
    amount = forms.CharField(
        label=gettext_lazy("Importe"),
        max_length=20,
        help_text=gettext_lazy("Un importe negativo corrige un gasto registrado de más."),
    )
    incurred_date = forms.DateField(
        label=gettext_lazy("Fecha del gasto"), widget=forms.DateInput(attrs={"type": "date"})
    )


@require_http_methods(["GET", "POST"])
@login_required
def expense_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    now = clock.now()
    form = ExpenseForm(request.POST or None, initial={"incurred_date": now.date()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            expense = sales.record_expense(
                actor=user,
                category=data["category"],
                description=data["description"],
                amount=data["amount"],
                incurred_date=data["incurred_date"],
                now=now,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Gasto registrado: %(what)s.") % {"what": expense.description}
            )
            return redirect("workshop:expense_list")
    expenses = Expense.objects.select_related("recorded_by").order_by("-incurred_date", "-id")
    page = Paginator(expenses, PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(request, "workshop/expense_list.html", {"form": form, "page": page})
