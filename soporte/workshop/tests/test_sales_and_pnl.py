"""Sales: cost from the ledger at the time of sale, IVA rounded to the cent, a refund as a new
document, the stock movement and the sale committing or rolling back together; the sales
logbook's profit and loss for a month checked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from soporte.inventory.models import MovementKind, StockBalance, StockMovement
from soporte.workshop import sales, salesbook
from soporte.workshop.models import Sale, SaleKind, SaleLine, SalesDay
from soporte.workshop.tests.conftest import receive

D = Decimal


def _sell(personas, now, *lines, method="cash", **extra):
    return sales.sell(
        actor=personas.agent, lines=list(lines), payment_method=method, now=now, **extra
    )


def test_iva_is_sixteen_percent_rounded_half_up_to_the_cent(personas, now):
    sale = _sell(personas, now, sales.Line("Limpieza", "3", "33.33"))
    assert (sale.subtotal, sale.tax, sale.total) == (D("99.99"), D("16.00"), D("115.99"))  # 15.9984
    sale = _sell(personas, now, sales.Line("Tornillo", "1", "0.03"))
    assert (sale.tax, sale.total) == (D("0.00"), D("0.03"))  # 0.0048
    sale = _sell(
        personas,
        now,
        sales.Line("Cable", "1", "15.65"),
        sales.Line("Adaptador", "2", "10.00", "1.50"),
    )
    # 15.65 + 20.00 − 1.50 = 34.15; × 0.16 = 5.464 → 5.46
    assert (sale.subtotal, sale.discount, sale.tax, sale.total) == (
        D("34.15"),
        D("1.50"),
        D("5.46"),
        D("39.61"),
    )
    assert sales.vat_of(D("0.03125").quantize(D("0.01")), 1600) == D("0.00")
    # Another rate for the desk: 8 % (border region).
    from soporte.workshop.models import WorkshopSettings

    WorkshopSettings.objects.update_or_create(pk=1, defaults={"vat_basis_points": 800})
    sale = _sell(personas, now, sales.Line("Servicio", "1", "99.99"))
    assert (sale.vat_basis_points, sale.tax) == (800, D("8.00"))  # 7.9992


def test_bad_lines_are_refused_and_nothing_is_written(personas, now, ram, shelf, supplier):
    receive(personas.agent, supplier, shelf, now, (ram, 1, "400"))
    for line, code in [
        (sales.Line("", "1", "10"), "description_required"),
        (sales.Line("X", "1", "10", "11"), "discount_too_large"),
        (sales.Line("X", "1", "-1"), "invalid_amount"),
        (sales.Line("X", "1", "1.001"), "invalid_amount"),
        (sales.Line("Memoria", "1", "650", item=ram), "location_required"),
    ]:
        with pytest.raises(sales.DomainError) as caught:
            _sell(personas, now, line)
        assert caught.value.code == code
    with pytest.raises(sales.DomainError) as caught:
        _sell(personas, now, sales.Line("X", "1", "10"), method="none")
    assert caught.value.code == "invalid_payment_method"
    assert not Sale.objects.exists() and not SalesDay.objects.exists()
    with pytest.raises(sales.Forbidden):
        sales.sell(
            actor=personas.customer_a,
            lines=[sales.Line("X", "1", "1")],
            payment_method="cash",
            now=now,
        )


def test_a_stock_sale_and_its_movement_commit_or_roll_back_together(
    personas, now, ram, shelf, supplier
):
    receive(personas.agent, supplier, shelf, now, (ram, 2, "400"))
    sale = _sell(personas, now, sales.Line("Memoria", "1", "650", item=ram, location=shelf))
    movement = StockMovement.objects.get(kind=MovementKind.SALE)
    assert SaleLine.objects.get(sale=sale).movement_id == movement.pk
    assert movement.reference == sale.folio and movement.quantity == D("-1")
    assert sale.cost == D("400.00")
    # The second line cannot leave (only one left, negative stock refused): the whole sale,
    # its first line's movement included, rolls back.
    with pytest.raises(sales.DomainError):
        _sell(
            personas,
            now,
            sales.Line("Memoria", "1", "650", item=ram, location=shelf),
            sales.Line("Memoria", "5", "650", item=ram, location=shelf),
        )
    assert Sale.objects.count() == 1
    assert StockMovement.objects.filter(kind=MovementKind.SALE).count() == 1
    assert StockBalance.objects.get(item=ram, location=shelf).on_hand == D("1")
    assert SalesDay.objects.get().documents == 1


def test_profit_and_loss_of_a_month_checked_by_hand(personas, now, ram, shelf, supplier):
    """November 2026. RAM bought at 400, sold at 650; bought again at 500 (average 450), sold
    at 700 with a 50 discount; one unit of the first sale refunded; a service sold; rent paid.

        revenue  = 650 + (700 − 50) + 300 − 650            = 950.00
        cost     = 400 + 450 + 0 − 400                      = 450.00
        gross    = 950 − 450                                = 500.00   margin 52.63 %
        expenses = 8,000 (rent)                                          → loss 7,500.00
    A sale in December and an expense in October stay out of November.
    """
    first = now.replace(day=2)
    receive(personas.agent, supplier, shelf, first, (ram, 1, "400"))
    sale_1 = _sell(personas, first, sales.Line("Memoria", "1", "650", item=ram, location=shelf))
    receive(
        personas.agent,
        supplier,
        shelf,
        first + dt.timedelta(days=1),
        (ram, 1, "400"),
        invoice="F-2",
    )
    receive(
        personas.agent,
        supplier,
        shelf,
        first + dt.timedelta(days=2),
        (ram, 1, "500"),
        invoice="F-3",
    )
    sale_2 = _sell(
        personas,
        first + dt.timedelta(days=3),
        sales.Line("Memoria", "1", "700", "50", item=ram, location=shelf),
    )
    _sell(personas, first + dt.timedelta(days=4), sales.Line("Formateo e instalación", "1", "300"))
    refund = sales.refund(
        actor=personas.agent,
        sale=sale_1,
        quantities={sale_1.lines.get().pk: "1"},
        reason="No era compatible",
        now=first + dt.timedelta(days=5),
    )
    sales.record_expense(
        actor=personas.supervisor,
        category="rent",
        description="Renta del local, noviembre",
        amount="8000",
        incurred_date=dt.date(2026, 11, 1),
        now=now,
    )
    sales.record_expense(
        actor=personas.supervisor,
        category="rent",
        description="Renta de octubre",
        amount="8000",
        incurred_date=dt.date(2026, 10, 1),
        now=now,
    )
    _sell(
        personas, dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC), sales.Line("Servicio", "1", "999")
    )

    assert (sale_1.cost, sale_2.cost) == (D("400.00"), D("450.00"))  # two costs (average)
    assert refund.kind == SaleKind.REFUND and refund.refunds_id == sale_1.pk
    assert (refund.subtotal, refund.tax, refund.total, refund.cost) == (
        D("-650.00"),
        D("-104.00"),
        D("-754.00"),
        D("-400.00"),
    )
    Sale.objects.get(pk=sale_1.pk)  # the sale itself is untouched
    assert StockBalance.objects.get(item=ram, location=shelf).on_hand == D("2")  # came back

    buckets, total = salesbook.book(
        first_day=dt.date(2026, 11, 1), last_day=dt.date(2026, 11, 30), grain="month"
    )
    [november] = buckets
    assert (november.revenue, november.cost, november.gross_profit) == (
        D("950.00"),
        D("450.00"),
        D("500.00"),
    )
    assert november.margin is not None and round(november.margin * 100, 2) == D("52.63")
    assert november.expenses == D("8000.00")
    assert november.profit == D("-7500.00")
    assert november.documents == 4
    assert total.profit == november.profit
    # The year by month: October has only its rent; December its one sale.
    months, year = salesbook.book(
        first_day=dt.date(2026, 1, 1), last_day=dt.date(2026, 12, 31), grain="month"
    )
    assert len(months) == 12
    assert (months[9].revenue, months[9].profit) == (D("0"), D("-8000.00"))
    assert months[11].revenue == D("999.00")
    assert year.revenue == D("1949.00") and year.expenses == D("16000.00")
    # The derived day table equals the documents.
    before = list(
        SalesDay.objects.order_by("day_date").values_list(
            "day_date", "revenue", "cost", "tax", "documents"
        )
    )
    salesbook.recompute_days()
    assert (
        list(
            SalesDay.objects.order_by("day_date").values_list(
                "day_date", "revenue", "cost", "tax", "documents"
            )
        )
        == before
    )
    # Refunding more than was sold is refused.
    with pytest.raises(sales.DomainError) as caught:
        sales.refund(
            actor=personas.agent,
            sale=sale_1,
            quantities={sale_1.lines.get().pk: "1"},
            reason="Otra vez",
            now=now,
        )
    assert caught.value.code == "refund_exceeds_sale"
