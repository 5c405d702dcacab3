"""An administrator sets the desk's SLA in the admin: policies, the working calendar and the
holidays (no shell needed on an install without the demo data)."""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.tickets import sla
from soporte.tickets.models import DeskCalendar, Holiday, SlaPolicy, Ticket

POLICY_FORM = {
    "level": "2",
    "priority": "high",
    "first_response_minutes": "30",
    "next_update_minutes": "120",
    "resolution_minutes": "480",
    "escalate_on_breach": "on",
}
CALENDAR_FORM = {
    "weekdays": "0,1,2,3,4,5",
    "opens": "08:00",
    "closes": "17:00",
    "lunch_from": "13:00",
    "lunch_to": "14:00",
}


def test_an_administrator_adds_a_policy_and_open_tickets_are_checked_again(personas, ticket):
    client = personas.client("admin")
    assert client.get("/admin/tickets/slapolicy/").status_code == 200
    response = client.post("/admin/tickets/slapolicy/add/", POLICY_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get(level=2, priority="high")
    assert (policy.first_response_minutes, policy.resolution_minutes) == (30, 480)
    # The sweep looks at every open ticket again on its next run.
    assert Ticket.objects.get(pk=ticket.pk).sla_check_at == dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    duplicate = client.post("/admin/tickets/slapolicy/add/", POLICY_FORM)
    assert duplicate.status_code == 200
    assert SlaPolicy.objects.count() == 1


def test_the_calendar_is_checked_before_the_clocks_use_it(personas):
    client = personas.client("admin")
    for wrong, field_message in (
        ({"weekdays": "lunes,martes"}, "del 0 (lunes) al 6 (domingo)"),
        ({"weekdays": "0,0,1"}, "sin repetir"),
        ({"closes": "07:00"}, "posterior a la de apertura"),
        ({"lunch_to": ""}, "el inicio y el fin de la comida"),
        ({"lunch_from": "18:00", "lunch_to": "19:00"}, "dentro del horario"),
    ):
        response = client.post("/admin/tickets/deskcalendar/add/", CALENDAR_FORM | wrong)
        assert response.status_code == 200
        assert field_message in response.content.decode(), wrong
    assert not DeskCalendar.objects.exists()
    assert client.post("/admin/tickets/deskcalendar/add/", CALENDAR_FORM).status_code == 302
    calendar = sla.desk_calendar("America/Mexico_City")
    assert calendar.weekdays == frozenset({0, 1, 2, 3, 4, 5})
    assert (calendar.opens, calendar.lunch_from) == (dt.time(8), dt.time(13))
    # One calendar: the clocks read one, so the admin offers no second.
    assert client.get("/admin/tickets/deskcalendar/add/").status_code == 403


def test_holidays_are_added_in_the_admin(personas):
    client = personas.client("admin")
    response = client.post(
        "/admin/tickets/holiday/add/", {"day_date": "2026-12-12", "name": "Día de la Virgen"}
    )
    assert response.status_code == 302
    assert Holiday.objects.get().day_date == dt.date(2026, 12, 12)


@pytest.mark.parametrize("who", ["supervisor", "agent", "customer_a", "anonymous"])
@pytest.mark.parametrize("model", ["slapolicy", "deskcalendar", "holiday"])
def test_only_administrators_reach_the_sla_settings(personas, who, model):
    response = personas.client(who).get(f"/admin/tickets/{model}/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
