"""The caller's record on a new call: found by phone, and never stale after a directory edit.

The CTI batches keep the people-by-phone answers for two seconds per process (a burst from the
same numbers does not query the directory for every commit); saving a person or an
organisation in this process drops them at once.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from soporte.calls.models import Call

pytestmark = pytest.mark.django_db


def _new_call(pbx, call_id: str, number: str, now) -> Call:
    r = pbx.post(
        event="newCall",
        **{"from": number},
        to="5255509999",
        direction="in",
        callId=call_id,
        user=["Blanca Herrera"],
        at=now,
    )
    assert r.status_code == 200
    return Call.objects.select_related("person", "organisation").get(call_id=call_id)


def test_a_new_call_after_a_phone_changes_hands_pops_the_new_owner(pbx, personas, now):
    personas.person_a.phone = "5255501234"
    personas.person_a.save()
    assert _new_call(pbx, "c-1", "5255501234", now).person == personas.person_a

    personas.person_a.phone = "5255507777"
    personas.person_a.save()
    personas.person_b.phone = "5255501234"
    personas.person_b.save()

    second = _new_call(pbx, "c-2", "5255501234", now)
    assert second.person == personas.person_b
    assert second.organisation == personas.org_b
    assert _new_call(pbx, "c-3", "5255507777", now).person == personas.person_a


def test_a_number_nobody_had_pops_the_person_who_gets_it(pbx, personas, now):
    assert _new_call(pbx, "c-1", "5255504444", now).person is None

    personas.person_b.phone = "5255504444"
    personas.person_b.save()

    assert _new_call(pbx, "c-2", "5255504444", now).person == personas.person_b


def test_a_person_moved_to_another_organisation_is_seen_on_the_next_call(pbx, personas, now):
    personas.person_a.phone = "5255501234"
    personas.person_a.save()
    assert _new_call(pbx, "c-1", "5255501234", now).organisation == personas.org_a

    personas.person_a.organisation = personas.org_b
    personas.person_a.save()

    assert _new_call(pbx, "c-2", "5255501234", now).organisation == personas.org_b


def test_the_oldest_record_wins_when_two_people_share_a_number(pbx, personas, now):
    personas.person_b.phone = "5255501234"
    personas.person_b.save()
    personas.person_a.phone = "5255501234"
    personas.person_a.save()
    older = min(personas.person_a, personas.person_b, key=lambda p: p.pk)

    assert _new_call(pbx, "c-1", "5255501234", now).person == older


def test_a_second_call_from_a_known_number_does_not_read_the_directory_again(pbx, personas, now):
    personas.person_a.phone = "5255501234"
    personas.person_a.save()
    _new_call(pbx, "c-0", "5255501234", now)

    with CaptureQueriesContext(connection) as queries:
        r = pbx.post(
            event="newCall",
            **{"from": "5255501234"},
            to="5255509999",
            direction="in",
            callId="c-1",
            at=now,
        )
    assert r.status_code == 200
    assert not [q for q in queries.captured_queries if "directory_person" in q["sql"]]
    assert Call.objects.get(call_id="c-1").person == personas.person_a
