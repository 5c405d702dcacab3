"""The contact-centre report page and its exports, over calls stored in the database."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse

from soporte.reports import calls_report, reads
from soporte.reports.metrics import Definitions

MEXICO = ZoneInfo("America/Mexico_City")
# (wait, outcome, talk, holds, transfer): the research note's ten calls (domain.md §2.1).
TEN = [
    (5, "answered", 240, (30,), ""),
    (12, "answered", 300, (), ""),
    (25, "answered", 180, (20, 40), "warm"),
    (3, "abandoned", 0, (), ""),
    (40, "abandoned", 0, (), ""),
    (18, "answered", 420, (), ""),
    (35, "answered", 150, (45,), "blind"),
    (8, "answered", 200, (), ""),
    (22, "abandoned", 0, (), ""),
    (15, "answered", 260, (20,), ""),
]


@pytest.fixture
def ten_calls(personas, line, store_call, now):
    agent = personas.agent.agent
    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=MEXICO)
    for i, (wait, outcome, talk, holds, transfer) in enumerate(TEN):
        store_call(
            line,
            start + dt.timedelta(minutes=10 * i),
            wait=wait,
            outcome=outcome,
            talk=talk,
            holds=holds,
            ring=wait if outcome == "answered" else None,
            agent=agent if outcome == "answered" else None,
            transfer=transfer,
        )
    return agent


def figures_of(report):
    return {f["code"]: f["value"] for f in report["figures"]}


def test_the_ten_calls_read_from_the_database_give_the_notes_figures(ten_calls):
    scope = reads.Scope(
        start_at=dt.datetime(2026, 11, 20, tzinfo=MEXICO),
        end_at=dt.datetime(2026, 11, 21, tzinfo=MEXICO),
    )
    report = calls_report.build(scope, "day", Definitions())
    f = figures_of(report)
    assert (f["offered"], f["answered"], f["abandoned"], f["short_abandons"]) == (10, 7, 3, 1)
    assert round(f["asa"], 2) == 16.86
    assert f["service_level"] == pytest.approx(0.5)
    assert f["hold_avg_held_call"] == pytest.approx(38.75)
    assert f["hold_avg_instance"] == pytest.approx(31.0)
    assert round(f["transfer_rate"], 3) == 0.286
    # After-call work is not recorded by the phone system: AHT is talk + hold here.
    assert f["aht"] == pytest.approx((1750 + 155) / 7)
    variants = {v["code"]: v["value"] for v in report["service_level_variants"]}
    assert variants["sl_icmi1"] == pytest.approx(0.6)
    assert round(variants["sl_icmi4"], 3) == 0.556
    # Friday 20 November: all ten calls between 9:00 and 10:30 at the desk.
    assert report["heat"][4][9] == 6 and report["heat"][4][10] == 4


def test_a_day_at_the_desk_is_midnight_to_midnight_in_its_time_zone(personas, line, store_call):
    # 23:59:59 on the 22nd in Mexico City is 05:59:59 UTC on the 23rd: it belongs to the 22nd.
    store_call(line, dt.datetime(2026, 11, 22, 23, 59, 59, tzinfo=MEXICO), wait=4)
    store_call(line, dt.datetime(2026, 11, 23, 0, 0, 0, tzinfo=MEXICO), wait=4)
    store_call(line, dt.datetime(2026, 11, 23, 23, 59, 59, tzinfo=MEXICO), wait=4)
    client = personas.client("supervisor")
    for day, expected in (("2026-11-22", 1), ("2026-11-23", 2), ("2026-11-24", 0)):
        page = client.get(reverse("reports:calls"), {"desde": day, "hasta": day})
        assert page.status_code == 200
        offered = next(f for f in page.context["report"]["figures"] if f["code"] == "offered")
        assert offered["value"] == expected, day


def test_the_page_shows_figures_definitions_charts_and_tables(personas, ten_calls):
    page = personas.client("supervisor").get(
        reverse("reports:calls"), {"desde": "2026-11-20", "hasta": "2026-11-20", "por": "agent"}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "50,0 %" in text  # service level, Spanish format
    assert "16,9 s" in text  # ASA
    assert "atendidas en 20 s ÷ (atendidas + abandonadas)" in text
    assert text.count("<svg") == 3
    assert "Blanca Herrera" in text
    # A variant asked for in the query: T = 10 s.
    page = personas.client("supervisor").get(
        reverse("reports:calls"), {"desde": "2026-11-20", "hasta": "2026-11-20", "objetivo": 10}
    )
    sl = next(f for f in page.context["report"]["figures"] if f["code"] == "service_level")
    assert sl["value"] == pytest.approx(0.2) and "10 s" in sl["definition"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"desde": "2026-11-20", "hasta": "2026-11-01"},
            "La fecha final es anterior a la inicial.",
        ),
        ({"desde": "2020-01-01", "hasta": "2026-11-01"}, "El periodo pasa de 731 días."),
        ({"objetivo": "0"}, "Asegúrese de que este valor es mayor o igual a 1."),
        ({"por": "planeta"}, "Escoja una opción válida."),
        ({"desde": "ayer"}, "Introduzca una fecha válida."),
    ],
)
def test_a_bad_query_is_refused_in_spanish(personas, query, message):
    page = personas.client("supervisor").get(reverse("reports:calls"), query)
    assert page.status_code == 400
    assert message in page.content.decode()


def test_the_export_reads_back_as_the_page_shows(personas, ten_calls):
    query = {"desde": "2026-11-20", "hasta": "2026-11-20", "por": "day"}
    client = personas.client("supervisor")
    xlsx = client.get(reverse("reports:calls_export", args=["xlsx"]), query)
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Día", "Ofrecidas", "Atendidas", "Abandonadas")
    assert rows[1][1:4] == (10, 7, 3)
    assert rows[1][4] == pytest.approx(0.5)  # service level, a number formatted as a percentage
    assert sheet.cell(row=2, column=5).number_format == "0.0%"
    response = client.get(reverse("reports:calls_export", args=["csv"]), query)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    [header, row] = list(csv.reader(io.StringIO(text)))
    assert header[1] == "Ofrecidas" and row[1:4] == ["10", "7", "3"]
    pdf = client.get(reverse("reports:calls_export", args=["pdf"]), query)
    assert pdf.content.startswith(b"%PDF")
    assert client.get(reverse("reports:calls_export", args=["doc"]), query).status_code == 404


def test_the_desks_definitions_apply_unless_the_page_asks_for_a_variant(personas, ten_calls):
    from soporte.reports.models import MetricSettings

    MetricSettings.objects.create(
        pk=1, answer_target_seconds=10, short_abandons_in_abandon_rate=False
    )
    client = personas.client("supervisor")
    day = {"desde": "2026-11-20", "hasta": "2026-11-20"}
    f = {
        x["code"]: x for x in client.get(reverse("reports:calls"), day).context["report"]["figures"]
    }
    assert f["service_level"]["value"] == pytest.approx(0.2)
    assert round(f["abandon_rate"]["value"], 3) == 0.222
    assert "abandonos cortos" in f["abandon_rate"]["definition"]
    asked = client.get(reverse("reports:calls"), {**day, "objetivo": 20, "abandono_cortos": "1"})
    f = {x["code"]: x["value"] for x in asked.context["report"]["figures"]}
    assert f["service_level"] == pytest.approx(0.5) and f["abandon_rate"] == pytest.approx(0.3)


def test_the_admin_edits_the_definitions_but_never_deletes_them(personas):
    admin = personas.client("admin")
    response = admin.post(
        reverse("admin:reports_metricsettings_add"),
        {"answer_target_seconds": 15, "short_abandon_seconds": 5},
    )
    assert response.status_code == 302
    from soporte.reports.models import MetricSettings

    row = MetricSettings.current()
    assert row.answer_target_seconds == 15 and row.updated_by == personas.admin
    assert not row.abandons_in_service_level  # an unticked box is "no"
    delete = admin.get(reverse("admin:reports_metricsettings_delete", args=[1]))
    assert delete.status_code == 403
