"""A supervisor reads the month's call figures with their charts, downloads the table as a
spreadsheet that says the same, and asks the staffing planner how many agents it takes to
answer 80 % before the third ring."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, expect

from soporte.calls.models import Call, CallState, PhoneLine
from soporte.directory.models import Role
from soporte.lib import clock

pytestmark = pytest.mark.browser


def test_supervisor_reads_the_calls_report_exports_it_and_plans_staff(
    browser: Browser, live_server, make_agent, password, tmp_path
):
    now = clock.now()
    make_agent("hector.dominguez", level=3, role=Role.SUPERVISOR)
    blanca = make_agent("blanca.herrera", first_name="Blanca", last_name="Herrera")
    line = PhoneLine.objects.create(name="Conmutador Centro", cadence="mx", created_at=now)
    yesterday = now - dt.timedelta(days=1)
    for i, (wait, answered) in enumerate([(4, True), (8, True), (30, True), (12, False)]):
        start = yesterday + dt.timedelta(minutes=5 * i)
        answered_at = start + dt.timedelta(seconds=wait) if answered else None
        Call.objects.create(
            line=line,
            call_id=f"b{i}",
            direction="in",
            from_number="5550001111",
            to_number="100",
            state=CallState.ENDED,
            agent=blanca if answered else None,
            answered_by=blanca if answered else None,
            started_at=start,
            answered_at=answered_at,
            ended_at=(answered_at or start) + dt.timedelta(seconds=120 if answered else wait),
            ring_seconds=wait if answered else None,
            outcome="answered" if answered else "abandoned",
            updated_at=start,
        )
    day = clock.desk_date(yesterday).isoformat()

    context = browser.new_context(base_url=live_server.url, locale="es-MX", accept_downloads=True)
    page = context.new_page()
    page.goto("/entrar/")
    page.locator("main form").get_by_label("Usuario").fill("hector.dominguez")
    page.locator("main form").get_by_label("Contraseña").fill(password)
    page.locator("main form").get_by_role("button", name="Entrar").click()
    page.get_by_role("link", name="Reportes").first.click()
    expect(page.get_by_role("heading", name="Reporte de llamadas")).to_be_visible()

    page.locator("#consulta input[name=desde]").fill(day)
    page.locator("#consulta input[name=hasta]").fill(day)
    page.locator("#consulta select[name=por]").select_option("agent")
    page.get_by_role("button", name="Ver reporte").click()
    expect(page).to_have_url(re.compile(r"por=agent"))
    figures = page.locator("#figures")
    expect(figures.locator("tr[data-code=offered] td").nth(1)).to_have_text("4")
    # 2 of 4 answered within 20 s (ICMI 3, the default).
    expect(figures.locator("tr[data-code=service_level] td").nth(1)).to_have_text("50,0 %")
    expect(figures.locator("tr[data-code=service_level] td").nth(2)).to_contain_text("20 s")
    expect(page.locator("figure.chart svg")).to_have_count(3)
    expect(page.locator("#groups tbody tr").first).to_contain_text("Blanca Herrera")
    page.screenshot(path=str(tmp_path / "reporte.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_role("link", name="XLSX").click()
    data = io.BytesIO(Path(info.value.path()).read_bytes())
    sheet = openpyxl.load_workbook(data).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Agente", "Ofrecidas", "Atendidas", "Abandonadas")
    assert rows[1][:4] == ("Blanca Herrera", 3, 3, 0)

    page.get_by_role("link", name="Plan de personal").click()
    page.locator("#plan input[name=llamadas]").fill("100")
    page.locator("#plan input[name=tmo]").fill("180")
    page.locator("#plan input[name=timbres]").fill("3")
    page.locator("#plan input[name=reduccion]").fill("30")
    page.locator("#plan input[name=ocupacion]").fill("100")
    page.get_by_role("button", name="Calcular").click()
    expect(page.locator("#answer")).to_contain_text("14")
    expect(page.locator("#answer")).to_contain_text("20")
    expect(page.locator("#plan-table tr.answer-row td").first).to_have_text("14")
    page.screenshot(path=str(tmp_path / "plan.png"), full_page=True)
    context.close()
