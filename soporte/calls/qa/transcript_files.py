"""Transcript files into turns: WebVTT (with voice tags), SubRip (SRT) and the JSON that
speech-to-text tools write (Whisper's `segments`, with WhisperX's `speaker` labels, or one
channel per speaker).

Who speaks is read from the file: a WebVTT voice tag (`<v Blanca>`), a "Nombre: …" or
"[Nombre] …" at the start of a cue, a JSON segment's `speaker`, or its `channel`. Each label
is matched to a role of the call: the agent's or the receiving agent's name, the caller's
name, or a word such as "agente", "cliente"; labels that name nobody (SPEAKER_00, channel 0)
are taken in order of appearance, the first being `first_speaker` (the agent, as most PBXs
record the agent first). A file this cannot read is refused with a message that says where.

Parsing is pure (bytes in, `TurnData` out); `save_transcript_file` is the use case the
call's page calls: the call's people, the parse, then `scoring.save_transcript`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import webvtt
from django.utils.translation import gettext as _

from soporte.calls.models import Call, Leg, Scorecard, Speaker, TransferState
from soporte.calls.qa.scoring import TurnData, save_transcript
from soporte.calls.qa.spanish import fold
from soporte.directory.models import User
from soporte.lib.errors import DomainError

MAX_FILE_BYTES = 2 * 1024 * 1024  # a long call's transcript is a few hundred kilobytes
KINDS = ("vtt", "srt", "json")
MAX_LABEL = 60

# Labels that say the role rather than a name (folded).
ROLE_LABELS: dict[str, str] = {
    **dict.fromkeys(
        ("agente", "agent", "asesor", "asesora", "operador", "operadora", "tecnico", "tecnica",
         "soporte", "mesa de ayuda", "ejecutivo", "ejecutiva"),
        Speaker.AGENT,
    ),
    **dict.fromkeys(
        ("cliente", "caller", "quien llama", "usuario", "usuaria", "llamante", "customer",
         "user", "contacto"),
        Speaker.CALLER,
    ),
    **dict.fromkeys(
        ("agent2", "agente 2", "agente que recibe", "especialista", "receptor", "receptora",
         "colega"),
        Speaker.OTHER_AGENT,
    ),
}  # fmt: skip
PREFIX = re.compile(r"^\s*(?:\[(?P<b>[^\]\n]{1,60})\]|(?P<c>[^:\n]{1,60}):)\s*(?P<text>.+)$", re.S)


@dataclass(frozen=True)
class People:
    """The names a label may carry, per role."""

    agent: str = ""
    receiving_agent: str = ""
    caller: str = ""


@dataclass
class _Cue:
    start_ms: int
    end_ms: int
    text: str
    label: str | None  # None: no speaker given
    leg: str = Leg.CALLER


def _refuse(message: str, code: str, **details: Any) -> DomainError:
    return DomainError(message, code=code, **details)


def kind_of(name: str) -> str:
    kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind not in KINDS:
        raise _refuse(
            _("El archivo debe ser WebVTT (.vtt), SubRip (.srt) o JSON de voz a texto (.json)."),
            "transcript_file_kind",
        )
    return kind


def _text(data: bytes) -> str:
    if not data.strip():
        raise _refuse(_("El archivo está vacío."), "transcript_file_empty")
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(
            _("El archivo pesa %(kb)d KB; el máximo es %(max)d KB.")
            % {"kb": len(data) // 1024, "max": MAX_FILE_BYTES // 1024},
            "transcript_file_too_large",
            max_bytes=MAX_FILE_BYTES,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(
            _("El archivo no está en UTF-8 (byte %(at)d).") % {"at": exc.start},
            "transcript_file_encoding",
        ) from exc


def _split_prefix(text: str) -> tuple[str | None, str]:
    match = PREFIX.match(text)
    if match is None:
        return None, text
    label = match.group("b") or match.group("c") or ""
    # "Nota: …" inside a sentence is not a speaker: labels are short.
    if len(label.split()) > 4:
        return None, text
    return label.strip(), match.group("text").strip()


def _subtitles(text: str, kind: str) -> list[_Cue]:
    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=kind)
    except (webvtt.errors.MalformedFileError, webvtt.errors.MalformedCaptionError) as exc:
        raise _refuse(
            _("No se pudo leer el archivo %(kind)s: %(error)s")
            % {"kind": kind.upper(), "error": exc},
            "transcript_file_invalid",
        ) from exc
    cues: list[_Cue] = []
    for caption in captions.captions:
        body = " ".join(caption.text.split())
        if not body:
            continue
        label: str | None = caption.voice if kind == "vtt" else None
        if not label:
            label, body = _split_prefix(body)
        cues.append(
            _Cue(
                caption.start_time.in_milliseconds(),
                caption.end_time.in_milliseconds(),
                body,
                label,
            )
        )
    return cues


def _seconds(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _refuse(
            _("%(where)s: los tiempos deben ser segundos (números positivos).") % {"where": where},
            "transcript_file_invalid",
        )
    return round(float(value) * 1000)


def _segments(text: str) -> list[_Cue]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _refuse(
            _("El JSON no es válido (línea %(line)d, columna %(col)d).")
            % {"line": exc.lineno, "col": exc.colno},
            "transcript_file_invalid",
        ) from exc
    groups: list[tuple[int | None, Any]] = []
    if isinstance(document, dict) and isinstance(document.get("channels"), list):
        # One transcript per channel (agent and caller recorded apart).
        for number, channel in enumerate(document["channels"]):
            segments = channel.get("segments") if isinstance(channel, dict) else channel
            groups.append((number, segments))
    elif isinstance(document, dict):
        groups.append((None, document.get("segments")))
    else:
        groups.append((None, document))
    cues: list[_Cue] = []
    for channel, segments in groups:
        if not isinstance(segments, list):
            raise _refuse(
                _("El JSON debe tener una lista «segments» con start, end y text."),
                "transcript_file_invalid",
            )
        for index, segment in enumerate(segments):
            where = _("Segmento %(n)d") % {"n": index + 1}
            if not isinstance(segment, dict):
                raise _refuse(
                    _("%(where)s no es un objeto.") % {"where": where}, "transcript_file_invalid"
                )
            body = " ".join(str(segment.get("text") or "").split())
            if not body:
                continue
            label = segment.get("speaker")
            own_channel = segment.get("channel")
            if label is None and (own_channel is not None or channel is not None):
                label = f"\x00channel {own_channel if own_channel is not None else channel}"
            leg = str(segment.get("leg") or Leg.CALLER)
            cues.append(
                _Cue(
                    _seconds(segment.get("start"), where),
                    _seconds(segment.get("end"), where),
                    body,
                    None if label is None else str(label)[:MAX_LABEL],
                    leg,
                )
            )
    return cues


def _role(label: str, people: People) -> str | None:
    folded = fold(label)
    if folded in ROLE_LABELS:
        return ROLE_LABELS[folded]
    words = set(folded.split())

    def named(name: str) -> bool:
        return bool(words & {w for w in fold(name).split() if len(w) > 2})

    if people.receiving_agent and named(people.receiving_agent):
        return Speaker.OTHER_AGENT
    if people.agent and named(people.agent):
        return Speaker.AGENT
    if people.caller and named(people.caller):
        return Speaker.CALLER
    return None


def _assign(cues: Sequence[_Cue], people: People, first_speaker: str) -> dict[str, str]:
    """Each label → a speaker code; nameless labels in order of appearance."""
    roles: dict[str, str] = {}
    nameless: list[str] = []
    for cue in cues:
        label = cue.label
        if label is None or label in roles or label in nameless:
            continue
        role = _role(label, people) if not label.startswith("\x00") else None
        if role is None:
            nameless.append(label)
        else:
            roles[label] = role
    # Channels in their own order (channel 0 first), other nameless labels as they appear.
    nameless.sort(key=lambda n: (0, n) if n.startswith("\x00channel") else (1, ""))
    order = [first_speaker, Speaker.CALLER if first_speaker == Speaker.AGENT else Speaker.AGENT]
    free = [s for s in order if s not in roles.values()]
    if len(nameless) > len(free):
        shown = ", ".join(f"«{n.lstrip(chr(0))}»" for n in nameless)
        raise _refuse(
            _(
                "No se sabe quién es %(labels)s. Nombre a cada hablante como «agente», "
                "«cliente» o por su nombre."
            )
            % {"labels": shown},
            "transcript_speaker_unknown",
            labels=[n.lstrip("\x00") for n in nameless],
        )
    roles.update(zip(nameless, free, strict=False))
    return roles


def parse_transcript_file(
    *, name: str, data: bytes, people: People, first_speaker: str = Speaker.AGENT
) -> list[TurnData]:
    """The turns of an uploaded transcript, ordered by their start, with speakers assigned."""
    kind = kind_of(name)
    text = _text(data)
    cues = _segments(text) if kind == "json" else _subtitles(text, kind)
    if not cues:
        raise _refuse(_("El archivo no tiene ningún texto."), "transcript_file_empty")
    unlabelled = next((i for i, c in enumerate(cues) if c.label is None), None)
    if unlabelled is not None and any(c.label for c in cues):
        raise _refuse(
            _(
                "El texto %(n)d («%(text)s») no dice quién habla; los demás sí. Indique el "
                "hablante (<v Nombre> o «Nombre: …»)."
            )
            % {"n": unlabelled + 1, "text": cues[unlabelled].text[:40]},
            "transcript_speaker_missing",
            cue=unlabelled,
        )
    if unlabelled is not None:
        raise _refuse(
            _(
                "El archivo no dice quién habla. Use etiquetas de voz (<v Nombre>), "
                "«Nombre: …» al inicio de cada texto, o un JSON con «speaker» o «channel»."
            ),
            "transcript_speaker_missing",
            cue=unlabelled,
        )
    roles = _assign(cues, people, first_speaker)
    ordered = sorted(cues, key=lambda c: (c.start_ms, c.end_ms))
    return [TurnData(roles[c.label or ""], c.start_ms, c.end_ms, c.text, c.leg) for c in ordered]


def people_of(call: Call) -> People:
    agent = call.answered_by or call.agent
    transfer = (
        call.transfers.filter(state=TransferState.COMPLETED, to_agent__isnull=False)
        .select_related("to_agent__user")
        .order_by("-started_at", "-id")
        .first()
    )
    return People(
        agent=agent.name if agent is not None else "",
        receiving_agent=transfer.to_agent.name if transfer and transfer.to_agent else "",
        caller=call.caller_name.strip() or (call.person.full_name if call.person else ""),
    )


def save_transcript_file(
    *, actor: User, call: Call, name: str, data: bytes, first_speaker: str, now: dt.datetime
) -> Scorecard:
    """A transcript file uploaded on the call's page: read, stored (replacing any previous
    transcript) and the call re-scored. Nothing is stored when the file is refused."""
    if first_speaker not in (Speaker.AGENT, Speaker.CALLER):
        raise _refuse(_("Elija quién habla primero: el agente o quien llama."), "first_speaker")
    turns = parse_transcript_file(
        name=name, data=data, people=people_of(call), first_speaker=first_speaker
    )
    return save_transcript(actor=actor, call=call, turns=turns, now=now)
