"""The queue page's hand-written SELECT gives exactly what the queryset rules give.

`queues.row_page` is SQL written by hand (a queryset cost more to compile than to answer);
`queues._ordered` is the same queue as a queryset, the one the API pages. Every queue, filter,
sort and cursor is compared on a desk with tickets spread over two organisations, levels,
areas, assignees, statuses and breaches, on whichever database the suite runs.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools

import pytest

from soporte.directory.models import Agent, Area
from soporte.tickets import queues, services
from soporte.tickets.models import Channel, Priority, SlaAlert, SlaTarget, Status, Ticket


@pytest.fixture
def desk(personas, now, make_agent):
    """24 tickets: organisations A/B, levels 1-2, three assignees (one in the agent's area,
    one not), some unassigned, some resolved, two breached; equal update times on purpose
    so the cursor's tie-break on the id is exercised."""
    me = Agent.objects.get(user=personas.agent)
    networks = Area.objects.create(name="Redes")
    me.areas.add(networks)
    mate = make_agent("ana.mate", level=1)
    mate.areas.add(networks)
    other = make_agent("otro.nivel2", level=2)
    assignees = [me, mate, other, None]
    tickets = []
    for i in range(24):
        org, person = (
            (personas.org_a, personas.person_a) if i % 3 else (personas.org_b, personas.person_b)
        )
        t = services.open_ticket(
            actor=personas.agent,
            data=services.NewTicket(
                organisation=org,
                requester=person,
                subject=f"Ticket {i}",
                description="x",
                channel=Channel.PHONE if i % 2 else Channel.EMAIL,
                priority=[Priority.LOW, Priority.HIGH, Priority.NORMAL][i % 3],
            ),
            now=now,
        )
        tickets.append(t)
    for i, t in enumerate(tickets):
        fields = {
            "level": 2 if i % 3 == 0 else 1,
            "assignee": assignees[i % 4],
            "updated_at": now + dt.timedelta(minutes=i // 3),  # ties of three
            "created_at": now - dt.timedelta(hours=i % 5),
        }
        if i % 7 == 0:
            fields["status"] = Status.RESOLVED
        elif i % 4 != 3:
            fields["status"] = Status.IN_PROGRESS
        Ticket.objects.filter(pk=t.pk).update(**fields)
    for t in tickets[1:3]:
        SlaAlert.objects.create(
            ticket=t,
            target=SlaTarget.RESOLUTION,
            kind=SlaAlert.Kind.BREACH,
            cycle_start_at=t.created_at,
            at=t.created_at,
        )
    return tickets


def _orm_rows(actor, **kwargs):
    limit = kwargs.pop("limit")
    qs, _field = queues._ordered(actor, agent=queues._UNKNOWN, **kwargs)
    return list(qs.values(*queues.ROW_FIELDS)[: limit + 1])[:limit]


def _all_pages(actor, **kwargs):
    """Every page of a queue, following the cursors, as lists of ids."""
    kwargs.setdefault("sort", "-updated_at")
    kwargs.setdefault("filters", {})
    pages, cursor = [], None
    for _ in range(30):
        page = queues.row_page(actor, cursor=cursor, **kwargs)
        assert page.rows == _orm_rows(actor, cursor=cursor, **kwargs)
        pages.append([row["id"] for row in page.rows])
        cursor = page.next_cursor
        if cursor is None:
            return pages
    raise AssertionError("the cursor never ended")


FILTER_CASES = [
    {},
    {"status": "open"},
    {"status": Status.RESOLVED},
    {"priority": Priority.HIGH, "level": "2"},
    {"channel": Channel.EMAIL},
    {"status": "no-such-status", "level": "x"},  # ignored, as the queryset ignores them
]


@pytest.mark.parametrize("queue", list(queues.QUEUES))
@pytest.mark.parametrize("sort", list(queues.SORTS))
def test_every_queue_and_sort_matches_the_queryset_page_by_page(desk, personas, queue, sort):
    seen_total = 0
    for filters in FILTER_CASES:
        pages = _all_pages(personas.agent, queue=queue, filters=filters, sort=sort, limit=4)
        ids = list(itertools.chain.from_iterable(pages))
        assert len(ids) == len(set(ids)), "a row came twice across pages"
        seen_total += len(ids)
    assert seen_total > 0, "the fixture leaves every queue of this sort empty"


def test_the_organisation_filter_and_a_customer_see_only_their_rows(desk, personas):
    org_b = str(personas.org_b.pk)
    staff = _all_pages(personas.agent, queue="all", filters={"organisation": org_b}, limit=5)
    customer = _all_pages(personas.customer_b, queue="all", filters={}, limit=5)
    b_ids = set(Ticket.objects.filter(organisation=personas.org_b).values_list("id", flat=True))
    assert set(itertools.chain.from_iterable(staff)) == b_ids
    assert set(itertools.chain.from_iterable(customer)) == b_ids
    # The customer's own queue names change nothing: still only their organisation.
    mine = queues.row_page(personas.customer_b, queue="mine", limit=100).rows
    assert {row["id"] for row in mine} == b_ids


def test_nobody_and_an_agent_without_an_agent_row_see_nothing(desk, personas, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert queues.row_page(AnonymousUser(), queue="all").rows == []
    Agent.objects.filter(user=personas.supervisor).delete()
    supervisor = django_user_model.objects.get(pk=personas.supervisor.pk)
    assert queues.row_page(supervisor, queue="mine").rows == []
    assert queues.row_page(supervisor, queue="all").rows == _orm_rows(
        supervisor, queue="all", filters=None, sort="-updated_at", cursor=None, limit=25
    )


def test_a_forged_cursor_starts_from_the_first_page(desk, personas):
    first = queues.row_page(personas.agent, queue="all", limit=5)
    forged = queues.row_page(personas.agent, queue="all", limit=5, cursor="no'; DROP--")
    assert forged.rows == first.rows


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("0001-01-01T00:00:00+05:00|1"),  # before the first instant UTC can hold
        _cursor("2026-11-23T10:00:00+00:00|99999999999999999999999"),  # beyond SQLite's ints
        _cursor("2026-11-23T10:00:00|3"),  # no time zone: not a position the queues write
    ],
)
def test_a_damaged_cursor_starts_from_the_first_page_on_every_screen(desk, personas, cursor):
    first = queues.row_page(personas.agent, queue="all", limit=5)
    assert queues.row_page(personas.agent, queue="all", limit=5, cursor=cursor).rows == first.rows
    for who, url in (
        ("agent", f"/tickets/?cola=todos&cursor={cursor}"),
        ("customer_a", f"/tickets/mis-solicitudes/?cursor={cursor}"),
        ("agent", f"/api/v1/tickets?cursor={cursor}"),
    ):
        assert personas.client(who).get(url).status_code == 200, url


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999999", "-1", "1e3"])
def test_hand_typed_numbers_are_ignored_not_a_server_error(desk, personas, value):
    agent = personas.client("agent")
    for url in (
        f"/tickets/?cola=todos&nivel={value}",
        f"/tickets/?cola=todos&organizacion={value}",
        f"/tickets/mis-solicitudes/?organizacion={value}",
        f"/api/v1/tickets?level={value}",
        f"/api/v1/tickets?organisation={value}",
    ):
        client = personas.client("customer_a") if "mis-solicitudes" in url else agent
        assert client.get(url).status_code in (200, 422), url
    response = agent.post("/tickets/asignar/", {"tickets": [value]})
    assert response.status_code == 200
    assert "Elija" in response.content.decode()


def test_a_remembered_row_shows_every_change_to_what_it_prints(personas, ticket):
    """Rows' HTML is remembered per process: any printed value changing must show at once,
    even when the ticket's update time does not move (a rename of the organisation)."""
    client = personas.client("agent")
    Ticket.objects.filter(pk=ticket.pk).update(assignee=None)
    page = client.get("/tickets/?cola=todos").content.decode()
    assert "Ferretería Anáhuac" in page and "La impresora de almacén" in page
    type(personas.org_a).objects.filter(pk=personas.org_a.pk).update(name="Ferretería Norte")
    Ticket.objects.filter(pk=ticket.pk).update(subject="Sin tóner en almacén")
    page = client.get("/tickets/?cola=todos").content.decode()
    assert "Ferretería Norte" in page and "Sin tóner en almacén" in page
    assert "La impresora de almacén" not in page


def test_my_queue_reads_the_open_tickets_index_on_sqlite(desk, personas):
    """ "Mis tickets" walks the partial index of open tickets (tickets_open_mine_idx): the
    newest 25 open tickets are its first 25 entries, however many closed ones the agent has."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("the plan is SQLite's; PostgreSQL chooses its own")
    with CaptureQueriesContext(connection) as queries:
        queues.row_page(personas.agent, queue="mine")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + queries.captured_queries[-1]["sql"])
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "tickets_open_mine_idx" in plan


def test_the_team_of_an_agent_without_areas_is_their_level(desk, personas):
    """With no area, "Mi equipo" is the agents of one's level (the queryset's rule too)."""
    loner = Agent.objects.get(user__username="otro.nivel2")
    assert not loner.areas.exists()
    pages = _all_pages(loner.user, queue="team", limit=3)
    ids = set(itertools.chain.from_iterable(pages))
    level_two = set(
        Ticket.objects.filter(assignee__level=2, status__in=queues.OPEN_STATUSES).values_list(
            "id", flat=True
        )
    )
    assert ids == level_two and ids
