"""H3: the console counts the hold down from the line's limit, warns at 45 s and raises the
alarm at 60 s; the server-rendered panel already says so (the script keeps it current)."""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.calls import services
from soporte.calls.models import Call
from soporte.calls.views import hold_state
from soporte.lib import clock

S = dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("elapsed", "state"),
    [(0, "ok"), (44.9, "ok"), (45, "warn"), (59.9, "warn"), (60, "over"), (61, "over")],
)
def test_hold_state_warns_then_alarms(elapsed, state):
    assert hold_state(elapsed, warn=45, limit=60) == state


@pytest.fixture
def on_hold(personas, now) -> Call:
    call = services.register_ringing(actor=personas.agent, number="5550001111", now=now)
    call = services.answer_call(actor=personas.agent, call=call, now=now + 2 * S)
    services.record_caller(actor=personas.agent, call=call, caller_name="Roberto", now=now + 5 * S)
    return services.place_on_hold(
        actor=personas.agent, call=call, reason="revisar el equipo", choice="wait", now=now + 10 * S
    )


def _console(personas, monkeypatch, moment) -> str:
    monkeypatch.setattr(clock, "now", lambda: moment)
    return personas.client("agent").get("/llamadas/consola/").content.decode()


@pytest.mark.django_db
def test_a_fresh_hold_is_counted_down_without_alarm(personas, on_hold, monkeypatch, now):
    body = _console(personas, monkeypatch, now + 20 * S)
    assert "hold-panel hold-ok" in body
    assert 'data-hold-mode="countdown"' in body
    assert 'data-hold-alarm role="alert" hidden' in body


@pytest.mark.django_db
def test_a_hold_past_45_seconds_warns(personas, on_hold, monkeypatch, now):
    body = _console(personas, monkeypatch, now + 56 * S)
    assert "hold-panel hold-warn" in body
    assert "Casi se cumple el minuto" in body


@pytest.mark.django_db
def test_a_hold_over_sixty_seconds_raises_the_alarm(personas, on_hold, monkeypatch, now):
    body = _console(personas, monkeypatch, now + 71 * S)  # 61 s on hold

    assert "hold-panel hold-over" in body
    assert 'data-hold-alarm role="alert">' in body
    assert "Pasó el límite de espera: regrese con quien llama y explíquele." in body
    assert "Roberto, sigo trabajando en su caso" in body


@pytest.mark.django_db
def test_the_wallboard_shows_a_hold_over_sixty_seconds_in_red(personas, on_hold, monkeypatch, now):
    monkeypatch.setattr(clock, "now", lambda: now + 71 * S)
    body = personas.client("supervisor").get("/llamadas/tablero/").content.decode()
    assert "board-row hold-row hold-over" in body
    assert "61 s" in body
