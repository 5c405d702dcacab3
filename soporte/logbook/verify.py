"""Offline verification of an exported logbook. Needs only the export file.

`soporte logbook verify FILE [--desk-key FP] [--checkpoint CP …] [--tsa-ca PEM]` (or
`python -m soporte.logbook.verify …`). README.md, "How the bitácora is built", describes the
construction this module checks; it reports OK, or the first problem, naming the entry and
the element ("nota 11: la fecha de la firma de Roberto Sánchez no coincide").

Entries are checked in parallel chunks (each entry line carries its own previous hash and each
attestation its predecessor's, so a chunk is self-contained); the links between chunks, the
attestation chain, the keys' certification and the checkpoints are checked when the chunks'
results are joined. No Django here: the standard library and `cryptography` (plus
`rfc3161-client` when the file carries time-stamp tokens).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from soporte.logbook.chain import (
    CHECKPOINT_FORMAT_2,
    FORMAT_2,
    GENESIS_HASH,
    canonical,
    chain_hash,
    changed_elements,
    checkpoint_message,
    entry_message,
    fingerprint,
    grouped,
    load_public_key,
    sha256_hex,
    signature_valid,
    statement_bytes,
)

FORMAT = FORMAT_2
FORMAT_1 = "soporte-logbook/1"
GENESIS_NUMBER = 0
CHUNK_BYTES = 4 << 20
TSA_SKEW = dt.timedelta(minutes=5)
TSA_LATE = dt.timedelta(days=1)

ENTRY_FIELDS = {"type", "content", "prev_hash", "hash", "signature", "attestations"}
LEGACY_ENTRY_FIELDS = {"type", "content", "prev_hash", "hash", "signatures", "acceptance"}

# What a changed element is called in a report.
ELEMENT_NAMES = {
    "number": "el folio",
    "kind": "el tipo de nota",
    "created_at": "la fecha de la nota",
    "author": "el responsable",
    "summary": "el resumen",
    "references": "la nota a la que hace referencia",
    "subject": "el asunto (ticket, equipo o llamada)",
    "logbook": "la bitácora a la que pertenece",
    "signed_by": "la llave, el rol o la forma de la firma del responsable",
    "countersign": "la regla de firma del cliente",
    "trust": "las llaves que certifica",
    "v": "la versión del formato",
    "fields": "los datos",
}
SIGNATURE_ELEMENT_NAMES = {
    "signed_at": "la fecha de la firma",
    "role": "el rol de la firma",
    "method": "la forma de la firma",
    "signer": "el nombre del firmante de la firma",
    "key": "la llave de la firma",
    "drawing_sha256": "la imagen de la firma dibujada",
    "at": "la fecha de la aceptación tácita",
    "entries": "el número de notas al firmar",
    "entry": "la nota firmada",
    "entry_hash": "la nota firmada",
    "seq": "el número de registro de la firma",
    "prev": "el registro anterior de la firma",
    "type": "el tipo de registro de la firma",
    "logbook": "la bitácora de la firma",
}
CHECKPOINT_ELEMENT_NAMES = {
    "entries": "el número de notas",
    "entry_head": "el hash de la última nota",
    "attestations": "el número de firmas posteriores",
    "attestation_head": "el hash de la última firma posterior",
    "created_at": "la fecha",
    "key": "la llave",
    "tsa_ca": "la autoridad de sellado",
}


# The content fields' names as the entry's page shows them (the verifier runs without Django,
# so in Spanish only); a field not listed is named by its key.
FIELD_NAMES = {
    "user_name": "Nombre del usuario",
    "evaluated_date": "Fecha de evaluación del reporte",
    "addressee_name": "Nombre del destinatario",
    "damage_at": "Fecha y hora del daño o la pérdida",
    "description": "Descripción",
    "device_data": "Datos del dispositivo o periférico",
    "general_data": "Datos generales",
    "diagnosis": "Diagnóstico",
    "observations": "Observaciones",
    "responsible_name": "Nombre del responsable",
    "reporting_name": "Nombre de quien reporta",
    "date": "Fecha",
    "time": "Hora",
    "process": "Proceso",
    "desk_party": "Datos de la mesa de ayuda",
    "customer_party": "Datos del cliente",
    "contract": "Datos del contrato",
    "scope": "Alcance del servicio",
    "reason": "Motivo",
    "detail": "Detalle",
    "body": "Texto",
}


def _element_name(path: str, names: dict[str, str]) -> str:
    if path.startswith("fields."):
        key = path[len("fields.") :]
        return f"el dato «{FIELD_NAMES.get(key, key)}»"
    return names.get(path, path)


@dataclass
class Problem:
    number: int | None
    reason: str

    def __str__(self) -> str:
        where = f"nota {self.number}" if self.number is not None else "archivo"
        return f"{where}: {self.reason}"


@dataclass
class KeyUse:
    """How a chunk saw a key used: by whom, where, in what capacity."""

    owners: set[int] = field(default_factory=set)
    first_entry: int | None = None  # first entry it signed as author
    last_entry: int | None = None
    first_att: int | None = None  # lowest entry count stated by an attestation it signed
    last_att: int | None = None
    kinds: set[str] = field(default_factory=set)  # creation / countersignature / tacit

    def see(self, owner: int | None, kind: str, entry: int | None, att: int | None) -> None:
        if owner is not None:
            self.owners.add(owner)
        self.kinds.add(kind)
        if entry is not None:
            self.first_entry = entry if self.first_entry is None else min(self.first_entry, entry)
            self.last_entry = entry if self.last_entry is None else max(self.last_entry, entry)
        if att is not None:
            self.first_att = att if self.first_att is None else min(self.first_att, att)
            self.last_att = att if self.last_att is None else max(self.last_att, att)

    def merge(self, other: KeyUse) -> None:
        self.owners |= other.owners
        self.kinds |= other.kinds
        for entry in (other.first_entry, other.last_entry):
            if entry is not None:
                self.see(None, "", entry, None)
        for att in (other.first_att, other.last_att):
            if att is not None:
                self.see(None, "", None, att)
        self.kinds.discard("")


@dataclass
class ChunkResult:
    first_number: int | None = None
    first_prev: str | None = None
    last_number: int | None = None
    last_hash: str | None = None
    entries: int = 0
    signatures: int = 0
    hashes: dict[int, str] = field(default_factory=dict)  # only at checkpoint numbers
    problems: list[Problem] = field(default_factory=list)
    bytes_read: int = 0
    disorder: bool = False  # numbers not consecutive: the main process says how
    attestations: list[tuple[int, str, str, int]] = field(default_factory=list)
    uses: dict[str, KeyUse] = field(default_factory=dict)
    trust: list[dict[str, Any]] = field(default_factory=list)  # opening / keys entries
    legacy: list[dict[str, Any]] = field(default_factory=list)  # format-1 records
    legacy_numbers: list[int] = field(default_factory=list)
    first_v2: int | None = None
    unaccepted_openings: list[int] = field(default_factory=list)
    countersigned: dict[int, int] = field(default_factory=dict)  # trust entry → seq signed


@dataclass
class Report:
    ok: bool
    entries: int
    signatures: int
    checkpoint_number: int | None
    problem: Problem | None
    warnings: list[str] = field(default_factory=list)
    desk_key: str | None = None
    title: str = ""
    stamps: int = 0

    def summary(self) -> str:
        if not self.ok:
            return f"ERROR en {self.problem}"
        lines = [
            f"OK: {self.entries} notas, {self.signatures} firmas verificadas; cadena íntegra "
            f"hasta la nota {self.checkpoint_number} del punto de control firmado."
        ]
        if self.desk_key:
            lines.append(f"Llave de la mesa: {grouped(self.desk_key)}")
        if self.stamps:
            lines.append(f"Sellos de tiempo verificados: {self.stamps}")
        lines += [f"AVISO: {w}" for w in self.warnings]
        return "\n".join(lines)


class _Context:
    keys: dict[str, dict[str, Any]] = {}
    checkpoint_numbers: set[int] = set()
    public: dict[str, Any] = {}


def _init_worker(keys: dict[str, dict[str, Any]], checkpoint_numbers: set[int]) -> None:
    _Context.keys = keys
    _Context.checkpoint_numbers = checkpoint_numbers
    _Context.public = {}


def _public(key_id: str) -> Any:
    key = _Context.public.get(key_id)
    if key is None:
        key = load_public_key(_Context.keys[key_id]["public_key"])
        _Context.public[key_id] = key
    return key


def _use(result: ChunkResult, key: str) -> KeyUse:
    use = result.uses.get(key)
    if use is None:
        use = result.uses[key] = KeyUse()
    return use


def _content_problem(number: int, content: dict[str, Any], what: str) -> Problem:
    changed = changed_elements(content)
    if changed:
        names = ", ".join(_element_name(p, ELEMENT_NAMES) for p in changed)
        return Problem(number, f"{names} no coincide (la nota fue modificada)")
    if changed is None:
        return Problem(number, "se agregó o quitó un dato del contenido (la nota fue modificada)")
    return Problem(number, what)


def _attestation_problem(number: int, record: dict[str, Any], who: str) -> Problem:
    changed = changed_elements(record)
    if changed:
        names = ", ".join(_element_name(p, SIGNATURE_ELEMENT_NAMES) for p in changed)
        return Problem(number, f"{names} de {who} no coincide")
    if changed is None:
        return Problem(number, f"se agregó o quitó un dato de la firma de {who}")
    return Problem(number, f"la firma de {who} no es válida (falsificada o alterada)")


def _decode(value: str | None) -> bytes | None:
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return b""


def check_entry(record: dict[str, Any], result: ChunkResult) -> None:
    """Check one entry on its own: its hash, its signatures, its attestations."""
    content = record["content"]
    if not isinstance(content, dict) or content.get("v") != 2:
        _check_legacy_entry(record, result)
        return
    number = content["number"]
    if result.first_v2 is None:
        result.first_v2 = number
    raw = record.pop("_raw", None)
    if record.keys() != ENTRY_FIELDS:
        result.problems.append(
            Problem(number, "el registro de la nota tiene datos de más o de menos")
        )
        return
    entry_hash = record["hash"]
    if (raw is None or chain_hash(record["prev_hash"], raw) != entry_hash) and chain_hash(
        record["prev_hash"], canonical(content)
    ) != entry_hash:
        result.problems.append(
            _content_problem(number, content, "el hash registrado no coincide con su contenido")
        )
        return
    author = content["author"]
    signed_by = content["signed_by"]
    key_fp = signed_by["key"]
    if key_fp not in _Context.keys:
        result.problems.append(
            Problem(number, f"la firma de {author['name']} usa una llave que no está en el archivo")
        )
        return
    if not signature_valid(_public(key_fp), record["signature"] or "", entry_message(entry_hash)):
        result.problems.append(
            Problem(number, f"la firma de {author['name']} no es válida (falsificada o movida)")
        )
        return
    if signed_by.get("method") != "on_create":
        result.problems.append(Problem(number, "la firma del responsable no es la de su registro"))
        return
    result.signatures += 1
    use = result.uses.get(key_fp)
    if use is None:  # entries come in order: the first seen is the first signed
        use = result.uses[key_fp] = KeyUse(first_entry=number, kinds={"creation"})
    use.last_entry = number
    use.owners.add(author["id"])
    if "trust" in content:
        result.trust.append({"number": number, "content": content, "countersigned": None})
    _check_attestations(record, content, result)


def _check_attestations(
    record: dict[str, Any], content: dict[str, Any], result: ChunkResult
) -> None:
    number = content["number"]
    accepted = False
    for att in record["attestations"]:
        kind = att.get("type")
        who = att.get("signer", {}).get("name", "?")
        if kind not in ("countersignature", "tacit"):
            result.problems.append(Problem(number, "registro de firma de tipo desconocido"))
            return
        if att.get("entry") != number or att.get("entry_hash") != record["hash"]:
            result.problems.append(Problem(number, f"la firma de {who} es de otra nota (movida)"))
            return
        if kind == "countersignature":
            drawing = _decode(att.get("drawing"))
            expected = att.get("drawing_sha256")
            if (drawing is None) != (expected is None) or (
                drawing is not None and sha256_hex(drawing) != expected
            ):
                result.problems.append(
                    Problem(number, f"la imagen de la firma dibujada de {who} no coincide")
                )
                return
        key_fp = att.get("key")
        if key_fp not in _Context.keys:
            result.problems.append(
                Problem(number, f"la firma de {who} usa una llave que no está en el archivo")
            )
            return
        signed = statement_bytes(att)
        if not signature_valid(_public(key_fp), att.get("signature") or "", signed):
            result.problems.append(_attestation_problem(number, att, who))
            return
        if accepted:
            result.problems.append(Problem(number, f"la nota tiene más de una aceptación ({who})"))
            return
        accepted = True
        if not content["countersign"]:
            result.problems.append(
                Problem(number, f"la nota no espera la firma del cliente y tiene una de {who}")
            )
            return
        if att.get("entries", 0) < number:
            result.problems.append(
                Problem(number, f"la firma de {who} dice haberse hecho antes que la nota")
            )
            return
        result.signatures += 1
        result.attestations.append((att["seq"], att["prev"], sha256_hex(signed), number))
        _use(result, key_fp).see(att["signer"]["id"], kind, None, att["entries"])
        if content.get("trust") and kind == "countersignature":
            result.countersigned[number] = att["seq"]
    if content["kind"] == "opening" and not accepted and content["countersign"]:
        result.unaccepted_openings.append(number)


def _check_legacy_entry(record: dict[str, Any], result: ChunkResult) -> None:
    """Format 1: the hash covers the content; each signature covers the content only."""
    content = record["content"]
    number = content["number"]
    if result.first_v2 is not None:
        result.problems.append(Problem(number, "nota en formato 1 después de notas en formato 2"))
        return
    if set(record) != LEGACY_ENTRY_FIELDS | {"attestations"} and set(record) != LEGACY_ENTRY_FIELDS:
        result.problems.append(
            Problem(number, "el registro de la nota tiene datos de más o de menos")
        )
        return
    data = canonical(content)
    if chain_hash(record["prev_hash"], data) != record["hash"]:
        result.problems.append(
            Problem(number, "el contenido no coincide con su hash (la nota fue modificada)")
        )
        return
    author_signed = False
    for sig in record.get("signatures", []):
        key_fp = sig.get("key") or sig.get("key_id")
        who = sig["signer"]["name"]
        key = _Context.keys.get(key_fp)
        if key is None:
            result.problems.append(Problem(number, f"firma con una llave desconocida {key_fp}"))
            return
        if "owner_id" in key and key.get("owner_id") != sig["signer"]["id"]:
            result.problems.append(
                Problem(number, f"la firma de {who} usa la llave de otra persona")
            )
            return
        drawing = _decode(sig.get("drawing") or sig.get("drawn_png"))
        if "drawing_sha256" in sig and (
            (drawing is None) != (sig["drawing_sha256"] is None)
            or (drawing is not None and sha256_hex(drawing) != sig["drawing_sha256"])
        ):
            result.problems.append(
                Problem(number, f"la imagen de la firma dibujada de {who} no coincide")
            )
            return
        if not signature_valid(_public(key_fp), sig["signature"], data):
            result.problems.append(
                Problem(number, f"firma inválida de {who} (falsificada o movida)")
            )
            return
        result.signatures += 1
        # Format 1 says nothing about when a key came in: only who holds it is checked.
        _use(result, key.get("key", key_fp)).see(sig["signer"]["id"], "legacy", None, None)
        author_signed = author_signed or sig["signer"]["id"] == content["author"]["id"]
    if not author_signed:
        result.problems.append(Problem(number, "falta la firma del responsable"))
        return
    result.legacy_numbers.append(number)
    result.legacy.append(
        {
            "entry": number,
            "signatures": record.get("signatures", []),
            "acceptance": record.get("acceptance"),
        }
    )
    if record.get("attestations"):
        _check_attestations(record, {**content, "countersign": True}, result)


CONTENT_MARK = b',"content":'


def _parse(line: bytes) -> dict[str, Any]:
    """An entry line has its content last, canonical (`export.entry_line`): keep those bytes
    (`_raw`) so the hash is computed on them without serialising the content again. Any
    other line, or one not in that shape, is parsed whole."""
    if line.startswith(b'{"type":"entry","prev_hash"'):
        cut = line.find(CONTENT_MARK)
        if cut < 0:
            return dict(json.loads(line))
        raw = line[cut + len(CONTENT_MARK) :].rstrip()[:-1]
        try:
            record: dict[str, Any] = json.loads(line[:cut] + b"}")
            record["content"] = json.loads(raw)
        except json.JSONDecodeError:
            return dict(json.loads(line))
        record["_raw"] = raw
        return record
    return dict(json.loads(line))


def _records(path: str, start: int, end: int, result: ChunkResult) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as handle:
        if start:
            handle.seek(start - 1)
            if handle.read(1) != b"\n":
                handle.readline()  # the line that started before this chunk belongs to the last one
        while handle.tell() < end:
            line = handle.readline()
            if not line:
                break
            result.bytes_read += len(line)
            if not line.strip():
                continue
            try:
                yield _parse(line)
            except json.JSONDecodeError:
                result.problems.append(
                    Problem(None, f"línea ilegible cerca del byte {handle.tell()}")
                )
                return


def check_chunk(path: str, start: int, end: int) -> ChunkResult:
    result = ChunkResult()
    prev_number: int | None = None
    prev_hash: str | None = None
    for record in _records(path, start, end, result):
        if record.get("type") != "entry":
            result.problems.append(Problem(None, "registro inesperado entre las notas"))
            return result
        try:
            number = record["content"]["number"]
            if prev_number is None:
                result.first_number, result.first_prev = number, record["prev_hash"]
            elif number != prev_number + 1 or record["prev_hash"] != prev_hash:
                if number != prev_number + 1:
                    result.disorder = True
                result.problems.append(
                    link_problem(prev_number, prev_hash, number, record["prev_hash"])
                    or Problem(number, "no continúa la cadena")
                )
                return result
            check_entry(record, result)
        except (KeyError, TypeError, AttributeError) as exc:
            where = (
                record.get("content", {}).get("number")
                if isinstance(record.get("content"), dict)
                else None
            )
            result.problems.append(Problem(where, f"falta o sobra un dato del registro ({exc})"))
            return result
        if result.problems:
            return result
        if number in _Context.checkpoint_numbers:
            result.hashes[number] = record["hash"]
        prev_number, prev_hash = number, record["hash"]
        result.last_number, result.last_hash = number, record["hash"]
        result.entries += 1
    return result


def link_problem(
    prev_number: int, prev_hash: str | None, number: int, claimed_prev: str
) -> Problem | None:
    if number == prev_number + 1 and claimed_prev == prev_hash:
        return None
    if number > prev_number + 1:
        return Problem(number, f"falta la nota {prev_number + 1} (eliminada)")
    if number <= prev_number:
        return Problem(number, f"aparece después de la nota {prev_number} (insertada o reordenada)")
    return Problem(
        number, f"no continúa la cadena de la nota {prev_number} (insertada o modificada)"
    )


def order_problem(path: str, start: int) -> Problem | None:
    """Why the entries are not 1, 2, 3, …: a reordered pair, a deleted or an inserted entry.
    Read sequentially (only when something is out of place)."""
    numbers: list[int] = []
    result = ChunkResult()
    for record in _records(path, start, os.path.getsize(path), result):
        content = record.get("content")
        if isinstance(content, dict) and isinstance(content.get("number"), int):
            numbers.append(content["number"])
    seen: set[int] = set()
    for i, number in enumerate(numbers):
        expected = i + 1
        if number in seen:
            return Problem(number, f"la nota {number} aparece dos veces (insertada)")
        seen.add(number)
        if number == expected:
            continue
        rest = set(numbers[i:])
        if expected in rest:
            later = numbers.index(expected, i)
            if later == i + 1 and number == expected + 1:
                return Problem(
                    expected,
                    f"las notas {expected} y {number} están en orden invertido (reordenadas)",
                )
            return Problem(
                expected,
                f"la nota {expected} aparece después de la nota {number} (reordenada)",
            )
        return Problem(expected, f"falta la nota {expected} (eliminada)")
    return None


@dataclass
class Head:
    header: dict[str, Any]
    keys: dict[str, dict[str, Any]]
    checkpoints: list[dict[str, Any]]
    entries_offset: int


def read_head(path: str) -> Head:
    """The header, the keys and the checkpoints, and the byte offset where entries start."""
    keys: dict[str, dict[str, Any]] = {}
    checkpoints: list[dict[str, Any]] = []
    with open(path, "rb") as handle:
        try:
            header = json.loads(handle.readline())
        except json.JSONDecodeError as exc:
            raise ValueError("no es una exportación de bitácora de Soporte") from exc
        if not isinstance(header, dict) or header.get("format") not in (FORMAT_2, FORMAT_1):
            raise ValueError("no es una exportación de bitácora de Soporte")
        while True:
            offset = handle.tell()
            line = handle.readline()
            if not line:
                break
            record = json.loads(line)
            if record.get("type") == "key":
                if "key" in record:
                    keys[record["key"]] = record
                else:  # format 1
                    keys[record["key_id"]] = record
            elif record.get("type") == "checkpoint":
                checkpoints.append(record)
            else:
                break
        return Head(header, keys, checkpoints, offset)


def _chunks(path: str, start: int) -> list[tuple[int, int]]:
    size = os.path.getsize(path)
    bounds = [*list(range(start, size, CHUNK_BYTES)), size]
    return list(itertools.pairwise(bounds))


def normalise_fp(value: str) -> str:
    return "".join(value.split()).lower()


@dataclass
class Trust:
    """Who holds which key, from the opening (or upgrade) entry and the `keys` entries."""

    desk_key: str | None = None
    owner: dict[str, int] = field(default_factory=dict)
    side: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    since: dict[str, int] = field(default_factory=dict)  # certifying entry
    root: dict[str, bool] = field(default_factory=dict)
    replaced_at: dict[str, int] = field(default_factory=dict)
    desk_only: list[str] = field(default_factory=list)  # customer keys not confirmed
    legacy: dict[str, Any] | None = None
    legacy_entry: int | None = None
    opening: dict[str, Any] | None = None


def _build_trust(
    trust_entries: list[dict[str, Any]], countersigned: dict[int, int], keys: dict[str, Any]
) -> tuple[Trust, Problem | None]:
    trust = Trust()
    for item in sorted(trust_entries, key=lambda t: t["number"]):
        content = item["content"]
        number = content["number"]
        is_root = content["kind"] == "opening" or "legacy" in content["trust"]
        if is_root and trust.desk_key is not None:
            return trust, Problem(number, "segunda apertura o actualización de la bitácora")
        if not is_root:
            if trust.desk_key is None:
                return trust, Problem(number, "certifica llaves antes de la apertura")
            signer = content["signed_by"]["key"]
            if signer != trust.desk_key:
                return trust, Problem(
                    number, "certifica llaves sin la firma de la llave de la mesa"
                )
        for key_item in content["trust"].get("keys", []):
            fp = key_item["key"]
            if fp not in keys:
                return trust, Problem(
                    number,
                    f"la llave de {key_item['owner']['name']} que certifica no está en el archivo "
                    "(llave sustituida)",
                )
            if fp in trust.owner and trust.owner[fp] != key_item["owner"]["id"]:
                return trust, Problem(
                    number, f"certifica de nuevo la llave {fp[:16]}… para otra persona"
                )
            trust.owner[fp] = key_item["owner"]["id"]
            trust.side[fp] = key_item["side"]
            trust.names[fp] = key_item["owner"]["name"]
            trust.since.setdefault(fp, number)
            trust.root[fp] = is_root
            if key_item.get("system"):
                if trust.desk_key is not None and trust.desk_key != fp:
                    return trust, Problem(number, "cambia la llave de la mesa")
                trust.desk_key = fp
            if key_item.get("replaces"):
                trust.replaced_at[key_item["replaces"]] = number
            if key_item["side"] == "customer" and not is_root and number not in countersigned:
                trust.desk_only.append(key_item["owner"]["name"])
        if "legacy" in content["trust"]:
            trust.legacy = content["trust"]["legacy"]
            trust.legacy_entry = number
        if content["kind"] == "opening":
            trust.opening = content
    return trust, None


def _check_uses(trust: Trust, uses: dict[str, KeyUse]) -> Problem | None:
    for fp, use in uses.items():
        owner = trust.owner.get(fp)
        since = trust.since.get(fp)
        where = use.first_entry
        if owner is None or since is None:
            if "legacy" in use.kinds and trust.desk_key is None:
                continue  # a format-1 file: its keys are whatever its records say
            who = ", ".join(str(o) for o in sorted(use.owners))
            return Problem(
                where, f"firma con una llave no certificada en la bitácora (persona {who})"
            )
        if use.owners - {owner}:
            return Problem(
                where, f"la firma usa la llave de {trust.names[fp]} a nombre de otra persona"
            )
        firsts = [x for x in (use.first_entry, use.first_att) if x is not None]
        if firsts:
            first = min(firsts)
            if first < since or (first == since and not trust.root.get(fp)):
                return Problem(
                    first, f"la llave de {trust.names[fp]} firma antes de ser certificada"
                )
            replaced = trust.replaced_at.get(fp)
            last = max(x for x in (use.last_entry, use.last_att) if x is not None)
            if replaced is not None and last > replaced:
                return Problem(last, f"la llave reemplazada de {trust.names[fp]} sigue firmando")
        if "countersignature" in use.kinds and trust.side.get(fp) != "customer":
            return Problem(
                where or use.first_att, "una firma del cliente hecha con una llave de la mesa"
            )
        if "tacit" in use.kinds and fp != trust.desk_key:
            return Problem(where or use.first_att, "una aceptación tácita no firmada por la mesa")
    return None


def _check_attestation_chain(
    attestations: list[tuple[int, str, str, int]], wanted: set[int]
) -> tuple[dict[int, str], Problem | None]:
    hashes = {0: GENESIS_HASH}
    prev = GENESIS_HASH
    for expected, (seq, claimed_prev, digest, number) in enumerate(sorted(attestations), 1):
        if seq != expected:
            return hashes, Problem(
                number,
                f"falta el registro de firma nº {expected} o está repetido (firma eliminada)",
            )
        if claimed_prev != prev:
            return hashes, Problem(number, f"la firma nº {seq} no continúa la cadena de firmas")
        prev = digest
        if seq in wanted:
            hashes[seq] = digest
    return hashes, None


def _checkpoint_problem(
    uid: str, cp: dict[str, Any], desk_key: str | None, keys: dict[str, Any], where: str
) -> Problem | None:
    if cp.get("v") == 2:
        if cp.get("type") != "checkpoint" or cp.get("logbook") != uid:
            return Problem(None, f"{where} es de otra bitácora")
        key = str(cp.get("key"))
        if desk_key is not None and key != desk_key:
            return Problem(None, f"{where} está firmado con una llave que no es la de la mesa")
        public = keys.get(key, {}).get("public_key")
        if public is None or not signature_valid(
            load_public_key(public), cp.get("signature") or "", statement_bytes(cp)
        ):
            changed = changed_elements(cp)
            if changed:
                names = ", ".join(_element_name(p, CHECKPOINT_ELEMENT_NAMES) for p in changed)
                return Problem(None, f"{where}: {names} no coincide")
            return Problem(None, f"firma inválida en {where}")
        return None
    legacy_key = keys.get(str(cp.get("key") or cp.get("key_id")))
    if (
        legacy_key is None
        or (desk_key is not None and legacy_key.get("key") != desk_key)
        or (desk_key is None and not legacy_key.get("desk", True))
    ):
        return Problem(None, f"{where} está firmado con una llave que no es la de la mesa")
    message = checkpoint_message(uid, cp["number"], cp["head_hash"], cp["created_at"])
    if not signature_valid(load_public_key(legacy_key["public_key"]), cp["signature"], message):
        return Problem(None, f"firma inválida en {where}")
    return None


def _cp_entries(cp: dict[str, Any]) -> int:
    return int(cp["entries"] if cp.get("v") == 2 else cp["number"])


def _cp_head(cp: dict[str, Any]) -> str:
    return str(cp["entry_head"] if cp.get("v") == 2 else cp["head_hash"])


def _parse_iso(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def tsa_message(cp: dict[str, Any]) -> bytes:
    """What a checkpoint's time-stamp token stamps: its signed bytes, a newline, its signature."""
    return statement_bytes(cp) + b"\n" + str(cp.get("signature", "")).encode()


def check_timestamp(cp: dict[str, Any], where: str, tsa_ca: bytes | None) -> Problem | None:
    """The token must be the authority's (chain to the CA the checkpoint names, or to the one
    given with --tsa-ca), over this checkpoint, stamped when the checkpoint says it was made."""
    from cryptography import x509
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    stamp = cp["timestamp"]
    ca_der = _decode(stamp.get("ca")) or b""
    if not cp.get("tsa_ca") or sha256_hex(ca_der) != cp["tsa_ca"]:
        return Problem(
            None, f"el certificado de la autoridad de sellado de {where} no es el que nombra"
        )
    if tsa_ca is not None and sha256_hex(tsa_ca) != cp["tsa_ca"]:
        return Problem(None, f"el sello de tiempo de {where} es de otra autoridad de sellado")
    try:
        ca = x509.load_der_x509_certificate(ca_der)
        response = decode_timestamp_response(_decode(stamp.get("response")) or b"")
        VerifierBuilder().add_root_certificate(ca).build().verify_message(response, tsa_message(cp))
    except (VerificationError, ValueError) as exc:
        return Problem(None, f"el sello de tiempo de {where} no es válido ({exc})")
    gen_time = response.tst_info.gen_time
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=dt.UTC)
    made = _parse_iso(cp["created_at"])
    if not made - TSA_SKEW <= gen_time <= made + TSA_LATE:
        return Problem(
            None,
            f"{where} dice ser del {cp['created_at']} pero se selló el {gen_time.isoformat()}",
        )
    return None


def read_checkpoint_file(path: str) -> dict[str, Any]:
    with open(path, "rb") as handle:
        data = json.loads(handle.read(1 << 20))
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT_2:
        raise ValueError(f"{path} no es un punto de control de Soporte")
    return data


def verify_file(
    path: str,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    desk_key: str | None = None,
    checkpoints: list[str] | None = None,
    tsa_ca: bytes | None = None,
) -> Report:
    head = read_head(path)
    header, keys, start = head.header, head.keys, head.entries_offset
    legacy_file = header["format"] == FORMAT_1
    uid = header["logbook"]["uid"] if legacy_file else header["logbook"]
    export_cp = header["checkpoint"]
    if not legacy_file and set(header) != {"format", "logbook", "checkpoint"}:
        return Report(
            False, 0, 0, None, Problem(None, "la cabecera del archivo tiene datos de más")
        )
    all_cps = [*head.checkpoints, export_cp]
    for fp, key in keys.items():
        if not legacy_file and fingerprint(key["public_key"]) != fp:
            return Report(
                False, 0, 0, None, Problem(None, f"la llave {fp[:16]}… no corresponde a su huella")
            )
        if not legacy_file and set(key) != {"type", "key", "public_key"}:
            return Report(
                False,
                0,
                0,
                None,
                Problem(None, f"el registro de la llave {fp[:16]}… tiene datos de más"),
            )
    held = [(p, read_checkpoint_file(p)) for p in checkpoints or []]
    checkpoint_numbers = {_cp_entries(cp) for cp in all_cps} | {
        _cp_entries(data["checkpoint"]) for _p, data in held
    }
    _init_worker(keys, checkpoint_numbers)
    if progress:
        progress(start)  # the header, keys and checkpoints: a bar sized to the file ends at 100 %

    chunks = _chunks(path, start)
    workers = workers or min(os.cpu_count() or 1, max(1, len(chunks)))
    results: list[ChunkResult] = []
    if workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(
            workers, initializer=_init_worker, initargs=(keys, checkpoint_numbers)
        ) as pool:
            for result in pool.map(check_chunk, [path] * len(chunks), *zip(*chunks, strict=False)):
                results.append(result)
                if progress:
                    progress(result.bytes_read)
    else:
        for a, b in chunks:
            results.append(check_chunk(path, a, b))
            if progress:
                progress(results[-1].bytes_read)

    def fail(problem: Problem, entries: int = 0, signatures: int = 0) -> Report:
        return Report(False, entries, signatures, None, problem)

    entries = signatures = 0
    prev_number, prev_hash = 0, GENESIS_HASH
    hashes: dict[int, str] = {GENESIS_NUMBER: GENESIS_HASH}
    attestations: list[tuple[int, str, str, int]] = []
    uses: dict[str, KeyUse] = {}
    trust_entries: list[dict[str, Any]] = []
    legacy: list[dict[str, Any]] = []
    countersigned: dict[int, int] = {}
    unaccepted: list[int] = []
    first_v2: int | None = None
    for result in results:
        if result.first_number is not None:
            link = link_problem(
                prev_number, prev_hash, result.first_number, result.first_prev or ""
            )
            if link:
                if result.first_number != prev_number + 1:
                    return fail(order_problem(path, start) or link, entries, signatures)
                return fail(link, entries, signatures)
        if result.problems:
            if result.disorder:
                return fail(order_problem(path, start) or result.problems[0], entries, signatures)
            return fail(result.problems[0], entries, signatures)
        if result.last_number is not None:
            prev_number, prev_hash = result.last_number, result.last_hash or ""
        entries += result.entries
        signatures += result.signatures
        hashes.update(result.hashes)
        attestations += result.attestations
        for fp, use in result.uses.items():
            uses.setdefault(fp, KeyUse()).merge(use)
        trust_entries += result.trust
        legacy += result.legacy
        countersigned.update(result.countersigned)
        unaccepted += result.unaccepted_openings
        if first_v2 is None:
            first_v2 = result.first_v2

    warnings: list[str] = []
    trust, problem = _build_trust(trust_entries, countersigned, keys)
    if problem:
        return fail(problem, entries, signatures)
    if not legacy_file and trust.desk_key is None and first_v2 is not None:
        return fail(Problem(1, "la bitácora no nombra la llave de la mesa (falta la apertura)"))
    if desk_key is not None:
        pinned = normalise_fp(desk_key)
        found = trust.desk_key
        if found is None:  # format 1: the key that signs the checkpoints
            cp_key = keys.get(export_cp.get("key") or export_cp.get("key_id"))
            found = fingerprint(cp_key["public_key"]) if cp_key else None
        if found != pinned:
            shown = grouped(found) if found else "ninguna"
            return fail(
                Problem(
                    1, f"la llave de la mesa del archivo ({shown}) no es la indicada con --desk-key"
                ),
                entries,
                signatures,
            )
    problem = _check_uses(trust, uses)
    if problem:
        return fail(problem, entries, signatures)
    if trust.desk_only:
        warnings.append(
            "llaves certificadas solo por la mesa, sin la firma del cliente: "
            + ", ".join(sorted(set(trust.desk_only)))
        )
    if unaccepted:
        warnings.append(
            "el cliente aún no firma la apertura: las llaves que nombra no las ha confirmado"
        )
    if legacy:
        numbers = [r["entry"] for r in legacy]
        if trust.legacy is None:
            warnings.append(
                f"las notas {min(numbers)}–{max(numbers)} siguen las reglas del formato 1: su "
                "contenido y la firma de su autor están cubiertos, pero no los datos de sus "
                "firmas, sus aceptaciones ni quién tiene cada llave"
            )
        elif trust.legacy.get("entries") != len(legacy) or trust.legacy.get(
            "records"
        ) != sha256_hex(canonical(sorted(legacy, key=lambda r: r["entry"]))):
            return fail(
                Problem(
                    trust.legacy_entry,
                    "las firmas o aceptaciones de las notas en formato 1 no coinciden con las "
                    "que selló la actualización",
                ),
                entries,
                signatures,
            )
        else:
            warnings.append(
                f"las notas {min(numbers)}–{max(numbers)} son anteriores al formato 2: los datos "
                f"de sus firmas los sella la mesa en la nota {trust.legacy_entry}, no sus firmantes"
            )

    wanted = {int(cp.get("attestations", 0)) for cp in all_cps if cp.get("v") == 2}
    wanted |= {int(data["checkpoint"].get("attestations", 0)) for _p, data in held}
    att_hashes, problem = _check_attestation_chain(attestations, wanted)
    if problem:
        return fail(problem, entries, signatures)
    att_total = len(attestations)

    for cp in all_cps:
        where = f"el punto de control del {cp['created_at']}"
        problem = _checkpoint_problem(uid, cp, trust.desk_key, keys, where)
        if problem:
            return fail(problem, entries, signatures)
    stamps = 0
    for cp in all_cps:
        if cp.get("timestamp"):
            where = f"el punto de control del {cp['created_at']}"
            problem = check_timestamp(cp, where, tsa_ca)
            if problem:
                return fail(problem, entries, signatures)
            stamps += 1
        elif tsa_ca is not None and cp is not export_cp and cp.get("v") == 2:
            return fail(
                Problem(
                    None, f"el punto de control del {cp['created_at']} no tiene sello de tiempo"
                )
            )

    export_entries = _cp_entries(export_cp)
    if prev_number < export_entries:
        return fail(
            Problem(
                prev_number + 1,
                f"el archivo termina en la nota {prev_number} pero el punto de control firmado "
                f"cubre {export_entries} (final truncado)",
            ),
            entries,
            signatures,
        )
    if prev_number > export_entries:
        return fail(
            Problem(export_entries + 1, "nota posterior al punto de control de la exportación"),
            entries,
            signatures,
        )
    if export_cp.get("v") == 2 and int(export_cp["attestations"]) != att_total:
        return fail(
            Problem(
                None,
                "el número de firmas posteriores no coincide con el punto de control de la exportación",
            ),
            entries,
            signatures,
        )
    for cp in all_cps:
        number = _cp_entries(cp)
        if hashes.get(number) != _cp_head(cp):
            return fail(
                Problem(number, "no coincide con el punto de control firmado de esa fecha"),
                entries,
                signatures,
            )
        if cp.get("v") == 2 and att_hashes.get(int(cp["attestations"])) != cp["attestation_head"]:
            return fail(
                Problem(
                    None, f"las firmas no coinciden con el punto de control del {cp['created_at']}"
                ),
                entries,
                signatures,
            )

    for _path_cp, data in held:
        problem = _held_problem(uid, data, trust, keys, hashes, att_hashes, prev_number, att_total)
        if problem:
            return fail(problem, entries, signatures)

    opening = trust.opening or {}
    title = str(opening.get("fields", {}).get("title", "")) if opening else ""
    return Report(
        True,
        entries,
        signatures,
        export_entries,
        None,
        warnings=warnings,
        desk_key=trust.desk_key,
        title=title,
        stamps=stamps,
    )


def _held_problem(
    uid: str,
    data: dict[str, Any],
    trust: Trust,
    keys: dict[str, Any],
    hashes: dict[int, str],
    att_hashes: dict[int, str],
    last_number: int,
    att_total: int,
) -> Problem | None:
    """A checkpoint the customer kept: the file must hold at least that history, unchanged."""
    cp = data["checkpoint"]
    where = f"el punto de control del cliente del {cp.get('created_at')}"
    desk = data.get("desk_key", {})
    if fingerprint(desk.get("public_key", "00")) != desk.get("key") or cp.get("key") != desk.get(
        "key"
    ):
        return Problem(None, f"{where} no trae la llave que lo firmó")
    if trust.desk_key is not None and desk["key"] != trust.desk_key:
        return Problem(
            None,
            f"{where} lo firmó la llave de la mesa {grouped(desk['key'])}, no la del archivo "
            f"{grouped(trust.desk_key)}",
        )
    problem = _checkpoint_problem(uid, cp, desk["key"], {desk["key"]: desk}, where)
    if problem:
        return problem
    number, seq = int(cp["entries"]), int(cp["attestations"])
    if last_number < number:
        return Problem(
            last_number + 1,
            f"falta la nota {last_number + 1}: {where} cubre hasta la nota {number} (historia recortada)",
        )
    if hashes.get(number) != cp["entry_head"]:
        return Problem(number, f"no coincide con {where} (historia reescrita)")
    if att_total < seq:
        return Problem(
            None,
            f"falta la firma nº {att_total + 1}: {where} cubre {seq} firmas posteriores (historia recortada)",
        )
    if att_hashes.get(seq) != cp["attestation_head"]:
        return Problem(None, f"las firmas no coinciden con {where} (historia reescrita)")
    return None


def drawn_png(signature: dict[str, Any]) -> bytes | None:
    return _decode(signature.get("drawing"))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m soporte.logbook.verify")
    add_arguments(parser)
    args = parser.parse_args(argv)
    report = run(args)
    print(report.summary())
    return 0 if report.ok else 1


def add_arguments(parser: Any) -> None:
    parser.add_argument("file")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--desk-key", help="huella de la llave de la mesa (impresa en el PDF del contrato)"
    )
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        help="punto de control que guarda el cliente (puede repetirse)",
    )
    parser.add_argument(
        "--tsa-ca", help="certificado (PEM) de la autoridad de sellado de tiempo en que confía"
    )


def tsa_ca_der(path: str | None) -> bytes | None:
    if not path:
        return None
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    with open(path, "rb") as handle:
        data = handle.read()
    cert = (
        x509.load_pem_x509_certificate(data)
        if b"-----BEGIN" in data
        else x509.load_der_x509_certificate(data)
    )
    return cert.public_bytes(Encoding.DER)


def run(args: Any, progress: Callable[[int], None] | None = None) -> Report:
    return verify_file(
        args.file,
        workers=args.workers,
        progress=progress,
        desk_key=args.desk_key,
        checkpoints=args.checkpoint,
        tsa_ca=tsa_ca_der(args.tsa_ca),
    )


if __name__ == "__main__":
    sys.exit(main())
