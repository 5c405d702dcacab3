"""Transcript files uploaded on the call's QA page: WebVTT with voice tags, SRT with
"Nombre: …", Whisper/WhisperX JSON with speaker labels or one channel per speaker; each read,
stored and scored, and bad files refused with a Spanish message that says why, nothing lost.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from soporte.calls import qa
from soporte.calls.models import Speaker, TranscriptTurn, Verdict
from soporte.calls.tests.test_qa_rules import GOOD, ended, hold
from soporte.lib.errors import DomainError

PEOPLE = qa.People(agent="Blanca Herrera", caller="Roberto Sánchez")
NAMES = {"agent": "Blanca Herrera", "caller": "Roberto Sánchez"}


def _stamp(seconds: float, sep: str = ".") -> str:
    ms = round(seconds * 1000)
    return (
        f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"
    )


def vtt(rows=GOOD) -> bytes:
    cues = [f"{_stamp(a)} --> {_stamp(b)}\n<v {NAMES[s]}>{t}</v>\n" for s, a, b, t in rows]
    return ("WEBVTT\n\n" + "\n".join(cues)).encode()


def srt(rows=GOOD) -> bytes:
    cues = [
        f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{'Agente' if s == 'agent' else 'Cliente'}: {t}\n"
        for i, (s, a, b, t) in enumerate(rows, start=1)
    ]
    return "\n".join(cues).encode()


def whisperx(rows=GOOD) -> bytes:
    """WhisperX: diarised segments labelled SPEAKER_00 (the agent speaks first) and 01."""
    label = {"agent": "SPEAKER_00", "caller": "SPEAKER_01"}
    return json.dumps(
        {
            "language": "es",
            "segments": [
                {"start": a, "end": b, "text": " " + t, "speaker": label[s]} for s, a, b, t in rows
            ],
        }
    ).encode()


def channels(rows=GOOD) -> bytes:
    """One Whisper run per channel of a stereo recording: channel 0 agent, 1 caller."""
    per = [
        [{"start": a, "end": b, "text": t} for s, a, b, t in rows if s == who]
        for who in ("agent", "caller")
    ]
    return json.dumps({"channels": [{"segments": seg} for seg in per]}).encode()


def speakers(turns) -> list[tuple[str, int, str]]:
    return [(t.speaker, t.start_ms, t.text) for t in turns]


EXPECTED = [(s, round(a * 1000), t) for s, a, _, t in GOOD]


# --- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [("llamada.vtt", vtt()), ("llamada.srt", srt()), ("whisperx.json", whisperx()), ("estereo.JSON", channels())],
)  # fmt: skip
def test_each_format_gives_the_same_turns(name, data):
    turns = qa.parse_transcript_file(name=name, data=data, people=PEOPLE)
    assert speakers(turns) == EXPECTED


def test_first_speaker_choice_applies_to_nameless_labels():
    data = whisperx([("caller", 0.5, 2.0, "¿Bueno?"), ("agent", 2.5, 5.0, "Buenos días.")])
    turns = qa.parse_transcript_file(
        name="a.json", data=data, people=PEOPLE, first_speaker=Speaker.CALLER
    )
    assert [t.speaker for t in turns] == [Speaker.CALLER, Speaker.AGENT]


def test_labels_by_role_word_and_the_receiving_agent_by_name():
    data = (
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Agente>Hola.\n\n"
        b"00:00:03.000 --> 00:00:04.000\n<v usuario>Hola.\n\n"
        b"00:00:05.000 --> 00:00:06.000\n<v Gabriela>Soy Gabriela.\n"
    )
    people = qa.People(agent="Blanca Herrera", receiving_agent="Gabriela Ruiz", caller="")
    turns = qa.parse_transcript_file(name="x.vtt", data=data, people=people)
    assert [t.speaker for t in turns] == [Speaker.AGENT, Speaker.CALLER, Speaker.OTHER_AGENT]


def test_json_segments_may_name_the_consultation_leg():
    data = json.dumps(
        {"segments": [{"start": 1, "end": 2, "text": "Te paso a Roberto.", "speaker": "Blanca", "leg": "consult"}]}
    ).encode()  # fmt: skip
    (turn,) = qa.parse_transcript_file(name="x.json", data=data, people=PEOPLE)
    assert (turn.speaker, turn.leg) == (Speaker.AGENT, "consult")


@pytest.mark.parametrize(
    ("name", "data", "code", "message"),
    [
        ("llamada.txt", b"hola", "transcript_file_kind", "debe ser WebVTT (.vtt), SubRip (.srt) o JSON"),
        ("llamada.vtt", b"  \n", "transcript_file_empty", "El archivo está vacío."),
        ("llamada.vtt", b"WEBVTT\n" + b"x" * qa.MAX_FILE_BYTES, "transcript_file_too_large", "el máximo es 2048 KB"),
        ("llamada.srt", "1\n00:00:01,000 --> 00:00:02,000\nAgente: Buenos días\n".encode("utf-16"), "transcript_file_encoding", "no está en UTF-8"),
        ("llamada.vtt", b"NO ES WEBVTT\n\n00:01 --> 00:02\nhola\n", "transcript_file_invalid", "No se pudo leer el archivo VTT"),
        ("llamada.json", b'{"segments": [', "transcript_file_invalid", "El JSON no es válido (línea 1"),
        ("llamada.json", b'{"segments": [{"start": "uno", "end": 2, "text": "hola", "speaker": "A"}]}', "transcript_file_invalid", "Segmento 1: los tiempos deben ser segundos"),
        ("llamada.json", b'{"text": "hola"}', "transcript_file_invalid", "una lista «segments»"),
        ("llamada.srt", b"1\n00:00:01,000 --> 00:00:02,000\nBuenos dias\n", "transcript_speaker_missing", "no dice quién habla"),
        ("llamada.json", b'{"segments": [{"start": 1, "end": 2, "text": "a", "speaker": "S0"}, {"start": 3, "end": 4, "text": "b", "speaker": "S1"}, {"start": 5, "end": 6, "text": "c", "speaker": "S2"}]}', "transcript_speaker_unknown", "No se sabe quién es «S0», «S1», «S2»"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_with_a_code_and_a_reason(name, data, code, message):
    with pytest.raises(DomainError) as refused:
        qa.parse_transcript_file(name=name, data=data, people=PEOPLE)
    assert refused.value.code == code
    assert message in str(refused.value)


# --- the page -----------------------------------------------------------------------------


@pytest.fixture
def call(make_call, personas):
    call = make_call(organisation=personas.org_a)
    hold(call, 20, 55)
    qa.score_call(call=call, now=ended(call))
    return call


def upload(client, call, name, data, **fields):
    return client.post(
        f"/llamadas/calidad/{call.pk}/transcripcion/",
        {"archivo": SimpleUploadedFile(name, data), "first_speaker": "agent", **fields},
        follow=True,
    )


def lines(call) -> dict[str, str]:
    return {ln.rule: ln.verdict for ln in call.scorecard.lines.all()}


@pytest.mark.django_db
def test_an_agent_uploads_a_webvtt_and_the_text_rules_get_real_verdicts(personas, call):
    assert lines(call)["T2"] == Verdict.NOT_APPLICABLE
    response = upload(personas.client("agent"), call, "llamada.vtt", vtt())
    assert response.status_code == 200
    body = response.content.decode()
    assert "Transcripción guardada: 9 turnos; puntaje 100.0 %" in body
    assert "Buenos días, le atiende Blanca" in body
    verdicts = lines(call)
    for rule in ("T2", "T3", "H1", "H4", "D1", "D3", "C1", "C2"):
        assert verdicts[rule] == Verdict.PASSED, rule


@pytest.mark.django_db
def test_a_supervisor_uploads_a_whisper_json_and_it_replaces_the_transcript(personas, call):
    upload(personas.client("agent"), call, "llamada.vtt", vtt())
    rows = [
        r if i != 8 else ("agent", 110.0, 114.0, "Listo, hasta luego.") for i, r in enumerate(GOOD)
    ]
    response = upload(personas.client("supervisor"), call, "whisperx.json", whisperx(rows))
    assert response.status_code == 200
    assert TranscriptTurn.objects.filter(call=call).count() == len(GOOD)
    assert lines(call)["C1"] == Verdict.FAILED  # the new closing, without thanks or name


@pytest.mark.django_db
def test_a_bad_file_is_refused_in_spanish_and_the_previous_transcript_stays(personas, call):
    client = personas.client("agent")
    upload(client, call, "llamada.vtt", vtt())
    response = client.post(
        f"/llamadas/calidad/{call.pk}/transcripcion/",
        {"archivo": SimpleUploadedFile("llamada.srt", b"1\n00:00:01,000 --> 00:00:02,000\nhola\n"), "first_speaker": "caller"},
    )  # fmt: skip
    assert response.status_code == 422
    body = response.content.decode()
    assert "no dice quién habla" in body
    assert '<option value="caller" selected>' in body  # the choice is kept
    assert TranscriptTurn.objects.filter(call=call).count() == len(GOOD)


@pytest.mark.django_db
def test_a_transcript_longer_than_the_call_is_refused(personas, call):
    rows = [*GOOD, ("caller", 400.0, 401.0, "¿Sigue ahí?")]
    response = upload(personas.client("agent"), call, "llamada.vtt", vtt(rows))
    assert response.status_code == 422
    assert "termina después de que terminó la llamada" in response.content.decode()
    assert not TranscriptTurn.objects.filter(call=call).exists()


@pytest.mark.django_db
def test_upload_access(personas, call):
    url = f"/llamadas/calidad/{call.pk}/transcripcion/"
    anonymous = personas.client("anonymous").post(url, {})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/entrar/")
    for who in ("customer_a", "customer_b"):
        response = upload(personas.client(who), call, "llamada.vtt", vtt())
        assert response.status_code == 403, who
    assert not TranscriptTurn.objects.filter(call=call).exists()
    assert personas.client("agent").get(url).status_code == 405
    assert upload(personas.client("supervisor"), call, "llamada.vtt", vtt()).status_code == 200
    missing = personas.client("agent").post("/llamadas/calidad/999999/transcripcion/", {})
    assert missing.status_code == 404
