"""The supervisors' page: accepted and overridden per level, the confusion matrix, misleading words."""

from __future__ import annotations

import csv
import io

from soporte.triage import services


def test_decisions_confusion_and_misleading_words(personas, open_request, resolve, areas, now):
    right = open_request("El servidor no responde")
    wrong = open_request("El servidor de pruebas tiene la hora mal", "solo la hora del reloj")
    for ticket in (right, wrong):
        services.suggestion_for(ticket=ticket, now=now)
    s_right = right.triage_suggestion
    s_wrong = wrong.triage_suggestion
    assert s_wrong.level == 4  # "servidor" misleads it: the desk resolves it at level 1
    services.decide(
        suggestion=s_right,
        actor=personas.agent,
        choice=services.Choice(s_right.level, s_right.area_code, s_right.priority),
        now=now,
    )
    services.decide(
        suggestion=s_wrong, actor=personas.agent, choice=services.Choice(1, "", "normal"), now=now
    )
    resolve(right, level=4, at=now)
    resolve(wrong, level=1, at=now)

    review = services.review(since=now - services.dt.timedelta(days=90))

    assert review.per_level[3].accepted == 1 and review.per_level[3].overridden == 1
    assert review.confusion[3][3] == 1 and review.confusion[3][0] == 1
    assert review.misleading and "servidor" in review.misleading[0][0]

    page = personas.client("supervisor").get("/triaje/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and 'id="confusion"' in body

    export = personas.client("supervisor").get("/triaje/matriz.csv?meses=3")
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[4][1:] == ["1", "0", "0", "1"]


def test_the_threshold_is_set_by_a_supervisor_with_a_clear_error(personas):
    client = personas.client("supervisor")

    client.post("/triaje/ajustes/", {"threshold": "85"})
    assert services.TriageSettings.current().threshold == 0.85

    client.post("/triaje/ajustes/", {"threshold": "abc"})
    client.post("/triaje/ajustes/", {"threshold": "150"})
    assert services.TriageSettings.current().threshold == 0.85

    assert personas.client("agent").post("/triaje/ajustes/", {"threshold": "10"}).status_code == 403
    assert services.TriageSettings.current().threshold == 0.85
