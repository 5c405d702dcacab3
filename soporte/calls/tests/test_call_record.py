"""Item 10: every finished call writes its record in the ticket and its bitácora entry."""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.calls import services
from soporte.calls.models import Call, Scorecard, TransferKind, Verdict
from soporte.logbook.models import Entry, EntryKind
from soporte.tickets.models import Escalation, Note

pytestmark = pytest.mark.django_db
S = dt.timedelta(seconds=1)


def _open_demo_logbook(personas, now):
    from soporte.logbook import services as logbook

    return logbook.desk_logbook(now=now)


def test_a_console_call_with_hold_and_warm_transfer_is_recorded(personas, now, settings):
    _open_demo_logbook(personas, now)
    blanca = personas.agent
    hector = personas.supervisor
    personas.person_a.phone = "5255501234"
    personas.person_a.save()

    call = services.register_ringing(actor=blanca, number="5255501234", now=now)
    assert call.person == personas.person_a
    call = services.answer_call(actor=blanca, call=call, now=now + 7 * S)
    assert call.rings == 2
    call = services.record_caller(
        actor=blanca,
        call=call,
        need="La impresora no imprime",
        caller_name="Roberto",
        now=now + 20 * S,
    )
    call = services.open_ticket_for_call(
        actor=blanca,
        call=call,
        requester=personas.person_a,
        subject="Impresora sin imprimir",
        description="La impresora no imprime desde la mañana.",
        now=now + 30 * S,
    )
    call = services.place_on_hold(
        actor=blanca, call=call, reason="consulto el historial", choice="wait", now=now + 40 * S
    )
    call = services.resume_call(actor=blanca, call=call, now=now + 115 * S)

    transfer = services.start_warm_transfer(
        actor=blanca,
        call=call,
        to_agent=hector.agent,
        reason="El controlador de la impresora falla al instalarse",
        summary="Se reinició la cola de impresión y se reinstaló el controlador, sin éxito.",
        announced=True,
        now=now + 120 * S,
    )
    services.accept_transfer(actor=hector, transfer=transfer, now=now + 125 * S)
    call = services.complete_transfer(actor=blanca, transfer=transfer, now=now + 150 * S)
    assert call.agent == hector.agent
    call = services.hang_up(actor=hector, call=call, by="caller", now=now + 300 * S)

    # The transfer became the ticket's escalation, with the hand-off note (X2).
    escalation = Escalation.objects.get(ticket=call.ticket)
    assert escalation.customer_name == "Roberto"
    assert escalation.to_agent == hector.agent
    assert "controlador" in escalation.reason
    assert call.transfers.get().kind == TransferKind.WARM

    assert services.record_finished_calls(now=now + 302 * S) == 1
    call = Call.objects.get(pk=call.pk)
    assert call.recorded_at is not None
    note = Note.objects.filter(ticket=call.ticket, internal=True).order_by("-id").first()
    assert note is not None and "Timbres: 2" in note.body and "75 s" in note.body
    entry = Entry.objects.filter(kind=EntryKind.CALL).get()
    assert entry.subject_id == call.ticket.folio
    assert entry.fields["rings"] == "2"
    assert "Roberto" in entry.fields["who"]

    card = Scorecard.objects.get(call=call)
    lines = {line.rule: line for line in card.lines.all()}
    assert lines["T1"].verdict == Verdict.PASSED and "2.º timbre" in lines["T1"].evidence
    assert lines["H3"].verdict == Verdict.FAILED and "75 s" in lines["H3"].evidence
    assert lines["X2"].verdict == Verdict.PASSED
    assert lines["C3"].verdict == Verdict.PASSED
    # Recording twice changes nothing.
    assert services.record_finished_calls(now=now + 400 * S) == 0
    assert Entry.objects.filter(kind=EntryKind.CALL).count() == 1


def test_an_abandoned_call_without_ticket_is_logged_in_the_desk_logbook(pbx, personas, now):
    pbx.post(event="newCall", **{"from": "5255500000"}, to="1", direction="in", callId="ab", at=now)
    pbx.post(event="hangup", direction="in", callId="ab", cause="cancel", at=now + 20 * S)
    assert services.record_finished_calls(now=now + 21 * S) == 1
    entry = Entry.objects.get(kind=EntryKind.CALL)
    assert entry.subject_type == "call" and entry.subject_id == "ab"
    assert "Abandonada" in entry.summary


def test_a_call_recorded_while_english_is_active_is_kept_in_spanish(pbx, personas, now):
    """The console's hang-up can finish a call from an English page: the signed entry and
    the QA evidence are still the desk's Spanish."""
    from django.utils import translation

    pbx.post(event="newCall", **{"from": "5255500000"}, to="1", direction="in", callId="en", at=now)
    pbx.post(event="hangup", direction="in", callId="en", cause="cancel", at=now + 20 * S)
    with translation.override("en"):
        assert services.record_finished_calls(now=now + 21 * S) == 1
    entry = Entry.objects.get(kind=EntryKind.CALL)
    assert "Abandonada" in entry.summary
    assert "Abandoned" not in entry.summary


def test_transfer_needs_a_ticket_the_callers_name_and_the_announcement(personas, now):
    blanca = personas.agent
    call = services.register_ringing(actor=blanca, number="1", now=now)
    call = services.answer_call(actor=blanca, call=call, now=now + 3 * S)
    kwargs = dict(
        actor=blanca,
        call=call,
        to_agent=personas.supervisor.agent,
        reason="r",
        summary="s",
        announced=True,
        now=now + 9 * S,
    )
    with pytest.raises(services.CallError) as err:
        services.start_warm_transfer(**kwargs)
    assert err.value.code == "ticket_required"
    services.open_ticket_for_call(
        actor=blanca,
        call=call,
        requester=personas.person_a,
        subject="Sin red",
        description="No hay red en el piso 2.",
        now=now + 4 * S,
    )
    call.caller_name = ""
    call.save()
    with pytest.raises(services.CallError) as err:
        services.start_warm_transfer(**kwargs)
    assert err.value.code == "caller_name_required"
    services.record_caller(actor=blanca, call=call, caller_name="Ana", now=now + 5 * S)
    with pytest.raises(services.CallError) as err:
        services.start_warm_transfer(**{**kwargs, "announced": False})
    assert err.value.code == "not_announced"
    transfer = services.start_warm_transfer(**kwargs)
    assert transfer.state == "consulting"


def test_callback_chosen_on_hold_lands_in_that_agents_list(personas, now):
    blanca = personas.agent
    call = services.register_ringing(actor=blanca, number="5255507777", now=now)
    call = services.answer_call(actor=blanca, call=call, now=now + 3 * S)
    with pytest.raises(services.CallError) as err:
        services.place_on_hold(actor=blanca, call=call, reason="", choice="wait", now=now)
    assert err.value.code == "reason_required"
    services.place_on_hold(
        actor=blanca,
        call=call,
        reason="necesito revisar el contrato",
        choice="callback",
        callback_at=now + dt.timedelta(hours=2),
        now=now + 30 * S,
    )
    mine = list(services.pending_callbacks(agent=blanca.agent))
    assert [c.phone for c in mine] == ["5255507777"]
    assert mine[0].due_at == now + dt.timedelta(hours=2)
    assert list(services.pending_callbacks(agent=personas.supervisor.agent)) == []


def test_a_hang_up_queues_the_calls_record_and_a_worker_writes_it(pbx, personas, now, run_jobs):
    import time_machine
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from soporte.calls.services.records import RECORD_DELAY

    _open_demo_logbook(personas, now)
    pbx.post(event="newCall", **{"from": "5255500000"}, to="1", direction="in", callId="q1", at=now)
    pbx.post(event="hangup", direction="in", callId="q1", cause="cancel", at=now + 20 * S)
    pbx.post(event="hangup", direction="in", callId="q1", cause="cancel", at=now + 21 * S)

    [job] = DBTaskResult.objects.filter(
        task_path="soporte.calls.services.records.record_ended_call"
    )
    assert job.args_kwargs["kwargs"] == {"call_id": Call.objects.get(call_id="q1").pk}
    assert run_jobs() == 0  # it waits: the CTI writer may record the call in a lull first
    with time_machine.travel(job.run_after + S, tick=True):
        assert run_jobs() == 1
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL
    assert Call.objects.get(call_id="q1").recorded_at is not None
    assert Entry.objects.filter(kind=EntryKind.CALL, subject_id="q1").count() == 1
    assert job.run_after - job.enqueued_at >= RECORD_DELAY - S


def test_the_catch_up_queues_only_calls_without_their_record(pbx, personas, now, run_jobs):
    from django_tasks_db.models import DBTaskResult

    from soporte.calls import tasks as call_jobs

    _open_demo_logbook(personas, now)
    for n in range(3):
        pbx.post(
            event="newCall",
            **{"from": "5255500000"},
            to="1",
            direction="in",
            callId=f"c{n}",
            at=now,
        )
        pbx.post(event="hangup", direction="in", callId=f"c{n}", cause="cancel", at=now + S)
    DBTaskResult.objects.all().delete()  # as if their jobs were pruned
    services.record_call(call=Call.objects.get(call_id="c0"), now=now + 2 * S)

    call_jobs.record_finished_calls.call()
    call_jobs.record_finished_calls.call()  # twice: still one job per call
    assert sorted(r.args_kwargs["kwargs"]["call_id"] for r in DBTaskResult.objects.all()) == sorted(
        Call.objects.filter(call_id__in=["c1", "c2"]).values_list("pk", flat=True)
    )
    assert run_jobs() == 2
    assert Call.objects.filter(recorded_at__isnull=True).count() == 0
