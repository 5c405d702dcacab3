"""The sales pages with the personas: the counter sale, a document and its receipt (a customer
sees their own organisation's, another's is a 404), a refund, expenses, and the sales logbook
(chart, table, drill-down, exports with formulas neutralised)."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from soporte.workshop import sales
from soporte.workshop.models import Expense, Sale, SaleKind
from soporte.workshop.tests.conftest import receive


def test_counter_sale_receipt_and_refund_through_the_pages(personas, now, ram, shelf, supplier):
    receive(personas.agent, supplier, shelf, now, (ram, 2, "400"))
    agent = personas.client("agent")
    response = agent.post(
        reverse("workshop:sale_new"),
        {
            "organisation": personas.org_a.pk,
            "lines": "RAM-DDR4-8, 1, 650, 0, A-01\nLimpieza, 1, 300, 50",
            "payment_method": "cash",
        },
    )
    sale = Sale.objects.get()
    assert response.status_code == 302
    assert (sale.subtotal, sale.tax, sale.total, sale.cost) == (900, 144, 1044, 400)
    receipt = agent.get(reverse("workshop:sale_receipt", args=[sale.pk])).content
    assert receipt.startswith(b"%PDF") and sale.folio.encode() in receipt and b"1044.00" in receipt
    line = sale.lines.get(item=ram)
    refunded = agent.post(
        reverse("workshop:sale_refund", args=[sale.pk]),
        {f"renglon-{line.pk}": "1", "motivo": "Defectuosa"},
    )
    refund = Sale.objects.get(kind=SaleKind.REFUND)
    assert refunded["Location"] == reverse("workshop:sale_detail", args=[refund.pk])
    assert refund.total == -754
    bad = agent.post(
        reverse("workshop:sale_new"), {"lines": "Limpieza, uno, 300", "payment_method": "cash"}
    )
    assert bad.status_code == 200 and "La cantidad no es un número" in bad.content.decode()
    assert Sale.objects.count() == 2


def test_customers_see_only_their_own_receipts_and_never_the_books(personas, now):
    sale_a = sales.sell(
        actor=personas.agent,
        lines=[sales.Line("Servicio", "1", "100")],
        payment_method="card",
        organisation=personas.org_a,
        now=now,
    )
    sale_b = sales.sell(
        actor=personas.agent,
        lines=[sales.Line("Servicio", "1", "100")],
        payment_method="card",
        organisation=personas.org_b,
        now=now,
    )
    for who, own, other in (("customer_a", sale_a, sale_b), ("customer_b", sale_b, sale_a)):
        client = personas.client(who)
        for name in ("workshop:sale_detail", "workshop:sale_receipt"):
            assert client.get(reverse(name, args=[own.pk])).status_code == 200
            assert client.get(reverse(name, args=[other.pk])).status_code == 404
        for url in (
            reverse("workshop:sale_new"),
            reverse("workshop:sale_list"),
            reverse("workshop:sales_book"),
            reverse("workshop:sales_book_export", args=["csv"]),
            reverse("workshop:expense_list"),
        ):
            assert client.get(url).status_code == 403, url
        assert (
            client.post(reverse("workshop:sale_refund", args=[own.pk]), {"motivo": "x"}).status_code
            == 403
        )
    anonymous = personas.client("anonymous")
    for url in (reverse("workshop:sales_book"), reverse("workshop:sale_detail", args=[sale_a.pk])):
        assert anonymous.get(url).status_code == 302
    for who in ("agent", "supervisor"):
        assert personas.client(who).get(reverse("workshop:sales_book")).status_code == 200


def test_sales_book_chart_table_drilldown_and_neutralised_export(personas, now):
    sales.sell(
        actor=personas.agent,
        lines=[sales.Line('=HYPERLINK("http://x")', "1", "1000")],
        payment_method="cash",
        customer_name="@malicioso",
        now=now,
    )
    agent = personas.client("supervisor")
    response = agent.post(
        reverse("workshop:expense_list"),
        {
            "category": "rent",
            "description": "Renta",
            "amount": "1500",
            "incurred_date": now.date().isoformat(),
        },
    )
    assert response.status_code == 302 and Expense.objects.get().amount == 1500
    day = now.date().isoformat()
    page = agent.get(
        reverse("workshop:sales_book"), {"desde": day, "hasta": day, "por": "day"}
    ).content.decode()
    assert "<svg" in page
    assert "1\xa0000,00" in page  # Spanish number format (a non-breaking space groups thousands)
    assert "Pérdida" in page and "-500,00" in page
    assert f"{reverse('workshop:sale_list')}?desde={day}&amp;hasta={day}" in page
    documents = agent.get(
        reverse("workshop:sale_list"), {"desde": day, "hasta": day}
    ).content.decode()
    assert Sale.objects.get().folio in documents
    response = agent.get(
        reverse("workshop:sales_book_export", args=["csv"]), {"desde": day, "hasta": day}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[-1][0] == "Total" and rows[-1][7] == "-500.00"
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
        body = agent.get(
            reverse("workshop:sales_book_export", args=[fmt]), {"desde": day, "hasta": day}
        ).content
        assert body.startswith(magic)
    bad = agent.post(
        reverse("workshop:expense_list"),
        {"category": "rent", "description": "Renta", "amount": "abc", "incurred_date": day},
    )
    assert bad.status_code == 200 and Expense.objects.count() == 1
