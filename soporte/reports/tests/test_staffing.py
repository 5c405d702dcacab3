"""The staffing planner: typed figures and the desk's own history."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse

from soporte.reports import reads, staffing

MEXICO = ZoneInfo("America/Mexico_City")
TYPED = {
    "origen": "cifras",
    "llamadas": "100",
    "tmo": "180",
    "paciencia": "120",
    "nivel_servicio": "80",
    "timbres": "3",
    "cadencia": "mx",
    "reduccion": "30",
    "ocupacion": "100",
}


@pytest.mark.parametrize(
    ("cadence", "seconds"), [("mx", 10.0), ("es", 9.0), ("us", 12.0), ("cl", 8.0)]
)
def test_before_the_third_ring_in_seconds_by_cadence(cadence, seconds):
    assert staffing.target_from_rings(3, cadence) == seconds


def test_typed_figures_give_the_answer_and_the_head_counts_around_it(personas):
    page = personas.client("supervisor").get(reverse("reports:staffing"), TYPED)
    assert page.status_code == 200
    result = page.context["result"]
    # 100 calls per half hour, AHT 3 min, 80 % within 10 s: 14 agents with Erlang C, and
    # ceil(14 / 0.7) = 20 to schedule with 30 % shrinkage.
    assert (result["row"]["c_agents"], result["row"]["c_scheduled"]) == (14, 20)
    assert result["row"]["a_agents"] <= 14
    agents = [r["agents"] for r in result["around"]]
    assert agents == list(range(11, 18))
    levels = [r["c_sl"] for r in result["around"]]
    assert levels == sorted(levels)  # one more agent never lowers the service level
    text = page.content.decode()
    assert "<svg" in text and 'class="answer-row"' in text
    assert "86,1 %" in text  # Erlang C's service level at 14 agents, 10 s


def test_the_planner_is_for_supervisors(personas):
    url = reverse("reports:staffing")
    assert personas.client("agent").get(url, TYPED).status_code == 403
    assert personas.client("customer_a").get(url, TYPED).status_code == 403
    assert personas.client("customer_b").get(url, TYPED).status_code == 403
    assert personas.client("anonymous").get(url, TYPED).status_code == 302
    assert personas.client("admin").get(url, TYPED).status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"llamadas": ""}, "Escriba las llamadas por media hora y el tiempo medio de operación."),
        ({"tmo": "0"}, "Asegúrese de que este valor es mayor o igual a 1."),
        ({"nivel_servicio": "100"}, "Asegúrese de que este valor es menor o igual a 99."),
        ({"cadencia": "marte"}, "Escoja una opción válida."),
    ],
)
def test_bad_figures_are_refused_in_spanish(personas, change, message):
    page = personas.client("supervisor").get(reverse("reports:staffing"), {**TYPED, **change})
    assert page.status_code == 400
    assert message in page.content.decode()


def test_history_gives_arrivals_handle_time_patience_and_agents_present(personas, line, store_call):
    agent = personas.agent.agent
    # Two Mondays, 9:00–9:30: four calls each (three answered after 10 s with 170 s of talk
    # and 10 s of hold, one abandoned after 30 s).
    for monday in (dt.date(2026, 11, 9), dt.date(2026, 11, 16)):
        start = dt.datetime.combine(monday, dt.time(9, 0), tzinfo=MEXICO)
        for i in range(3):
            store_call(
                line,
                start + dt.timedelta(minutes=5 * i),
                wait=10,
                talk=170,
                holds=(10,),
                agent=agent,
            )
        store_call(line, start + dt.timedelta(minutes=20), wait=30, outcome="abandoned")
    scope = reads.Scope(
        start_at=dt.datetime(2026, 11, 9, tzinfo=MEXICO),
        end_at=dt.datetime(2026, 11, 23, tzinfo=MEXICO),
    )
    history = staffing.from_history(scope)
    assert history.weeks == pytest.approx(2.0)
    load = history.loads[(0, 18)]
    assert load.calls == pytest.approx(4.0)  # per Monday 9:00–9:30
    assert load.aht_seconds == pytest.approx(180.0)
    assert load.present == pytest.approx(1.0)
    # Patience: (6 × 10 s + 2 × 30 s) waited ÷ 2 abandons = 60 s.
    assert history.patience_seconds == pytest.approx(60.0)
    page = personas.client("supervisor").get(
        reverse("reports:staffing"),
        {**TYPED, "origen": "historia", "desde": "2026-11-09", "hasta": "2026-11-22"},
    )
    assert page.status_code == 200
    [row] = page.context["result"]["grid"]
    assert row["time"] == "09:00" and row["c_agents"] >= 1
    export = personas.client("supervisor").get(
        reverse("reports:staffing_export", args=["xlsx"]),
        {**TYPED, "origen": "historia", "desde": "2026-11-09", "hasta": "2026-11-22"},
    )
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Día", "Hora", "Llamadas por media hora")
    assert rows[1][1] == "09:00" and rows[1][2] == pytest.approx(4.0)
    assert rows[1][4] == row["c_agents"]
