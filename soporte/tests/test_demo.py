"""The demo desk looks like a real one and respects the product's own rules."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core.management import call_command

from soporte import demo
from soporte.tickets.models import Channel


def test_mexican_holidays_follow_the_labour_law():
    days = dict(demo.mexican_holidays(2026))
    assert days[dt.date(2026, 2, 2)] == "Día de la Constitución"  # first Monday of February
    assert days[dt.date(2026, 3, 16)] == "Natalicio de Benito Juárez"  # third Monday of March
    assert days[dt.date(2026, 11, 16)] == "Día de la Revolución"  # third Monday of November
    assert dt.date(2026, 10, 1) not in days
    assert dt.date(2030, 10, 1) in dict(demo.mexican_holidays(2030))


def test_demo_logins_page_does_not_exist_without_the_demo(personas):
    for who in ("anonymous", "agent", "customer_a", "customer_b", "supervisor", "admin"):
        assert personas.client(who).get("/demo/accesos/").status_code == 404, who
    assert "/demo/accesos/" not in personas.client("anonymous").get("/entrar/").content.decode()


def test_demo_console_prints_each_group_heading(db, now, capsys):
    call_command("demo")
    out = capsys.readouterr().out
    for heading in ("Administración", "Supervisión", "Agentes · nivel 1", "Agentes · nivel 4"):
        assert f"\n  {heading}\n" in out
    assert "    gabriela.ruiz" in out


def test_demo_notes_and_requests_are_stamped_within_working_hours(db):
    from django.utils import timezone

    from soporte.logbook.models import Entry, EntryKind
    from soporte.tickets.models import Ticket

    # 02:27 on a Monday at the desk (Mexico City, UTC-6).
    night = dt.datetime(2026, 11, 23, 8, 27, tzinfo=dt.UTC)
    with time_machine.travel(night, tick=True):
        demo.load_demo(now=night)
    notes = Entry.objects.filter(kind=EntryKind.CORRECTIVE)
    requests = Ticket.objects.filter(channel=Channel.PORTAL)
    assert notes.exists() and requests.exists()
    for stamp in [
        *notes.values_list("created_at", flat=True),
        *requests.values_list("created_at", flat=True),
    ]:
        local = timezone.localtime(stamp)
        assert local.weekday() < 5 and 9 <= local.hour < 18, local
        assert stamp <= night
