"""Offline verification of an exported logbook. Needs only the export file.

`soporte logbook verify FILE` (or `python -m soporte.logbook.verify FILE`). The file is JSON
Lines: a header carrying the export checkpoint, the public keys, every earlier checkpoint,
then the entries in order. Reports OK, or the first bad entry and why: an edited field, a deleted,
inserted or reordered entry, a forged or swapped signature, a truncated tail.

Entries are checked in parallel chunks (each entry line carries its own previous hash, so a
chunk is self-contained); the chain links between chunks are checked when they are joined.
No Django here: this module runs with the standard library and `cryptography` alone.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from soporte.logbook.chain import (
    GENESIS_HASH,
    canonical_bytes,
    chain_hash,
    checkpoint_message,
    load_public_key,
    signature_valid,
)

FORMAT = "soporte-logbook/1"
GENESIS_NUMBER = 0
CHUNK_BYTES = 4 << 20


@dataclass
class Problem:
    number: int | None
    reason: str

    def __str__(self) -> str:
        where = f"nota {self.number}" if self.number is not None else "archivo"
        return f"{where}: {self.reason}"


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


@dataclass
class Report:
    ok: bool
    entries: int
    signatures: int
    checkpoint_number: int | None
    problem: Problem | None

    def summary(self) -> str:
        if self.ok:
            return (
                f"OK: {self.entries} notas, {self.signatures} firmas verificadas; cadena íntegra "
                f"hasta la nota {self.checkpoint_number} del punto de control firmado."
            )
        return f"ERROR en {self.problem}"


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


def check_entry(record: dict[str, Any], result: ChunkResult) -> None:
    """Check one entry on its own: its hash and its signatures."""
    content = record["content"]
    number = content["number"]
    data = canonical_bytes(content)
    if chain_hash(record["prev_hash"], data) != record["hash"]:
        result.problems.append(
            Problem(number, "el contenido no coincide con su hash (la nota fue modificada)")
        )
        return
    author_signed = False
    for sig in record.get("signatures", []):
        key = _Context.keys.get(sig["key_id"])
        if key is None:
            result.problems.append(
                Problem(number, f"firma con una llave desconocida {sig['key_id']}")
            )
            return
        if key.get("owner_id") != sig["signer"]["id"]:
            result.problems.append(
                Problem(number, f"la firma de {sig['signer']['name']} usa la llave de otra persona")
            )
            return
        if not signature_valid(_public(sig["key_id"]), sig["signature"], data):
            result.problems.append(
                Problem(number, f"firma inválida de {sig['signer']['name']} (falsificada o movida)")
            )
            return
        result.signatures += 1
        author_signed = author_signed or sig["signer"]["id"] == content["author"]["id"]
    if not author_signed:
        result.problems.append(Problem(number, "falta la firma del responsable"))


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
                yield json.loads(line)
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
        number = record["content"]["number"]
        if prev_number is None:
            result.first_number, result.first_prev = number, record["prev_hash"]
        else:
            problem = link_problem(prev_number, prev_hash, number, record["prev_hash"])
            if problem:
                result.problems.append(problem)
                return result
        check_entry(record, result)
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
        number, f"no continúa la cadena de la nota {prev_number} (insertada o reordenada)"
    )


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
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError("no es una exportación de bitácora de Soporte")
        while True:
            offset = handle.tell()
            line = handle.readline()
            if not line:
                break
            record = json.loads(line)
            if record.get("type") == "key":
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


def verify_file(
    path: str, *, workers: int | None = None, progress: Callable[[int], None] | None = None
) -> Report:
    head = read_head(path)
    header, keys, start = head.header, head.keys, head.entries_offset
    export_cp = header["checkpoint"]
    checkpoints = [*head.checkpoints, export_cp]
    checkpoint_numbers = {cp["number"] for cp in checkpoints}
    _init_worker(keys, checkpoint_numbers)

    for cp in checkpoints:
        problem = check_checkpoint(header["logbook"]["uid"], cp, keys)
        if problem:
            return Report(False, 0, 0, None, problem)
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

    entries = signatures = 0
    prev_number, prev_hash = 0, GENESIS_HASH
    hashes: dict[int, str] = {GENESIS_NUMBER: GENESIS_HASH}
    for result in results:
        if result.first_number is not None:
            link = link_problem(
                prev_number, prev_hash, result.first_number, result.first_prev or ""
            )
            if link:
                return Report(False, entries, signatures, None, link)
        if result.problems:
            return Report(False, entries, signatures, None, result.problems[0])
        if result.last_number is not None:
            prev_number, prev_hash = result.last_number, result.last_hash or ""
        entries += result.entries
        signatures += result.signatures
        hashes.update(result.hashes)

    if prev_number < export_cp["number"]:
        return Report(
            False,
            entries,
            signatures,
            None,
            Problem(
                prev_number + 1,
                f"el archivo termina en la nota {prev_number} pero el punto de control firmado "
                f"cubre {export_cp['number']} (final truncado)",
            ),
        )
    if prev_number > export_cp["number"]:
        return Report(
            False,
            entries,
            signatures,
            None,
            Problem(
                export_cp["number"] + 1, "nota posterior al punto de control de la exportación"
            ),
        )
    for cp in checkpoints:
        if hashes.get(cp["number"]) != cp["head_hash"]:
            return Report(
                False,
                entries,
                signatures,
                None,
                Problem(cp["number"], "no coincide con el punto de control firmado de esa fecha"),
            )
    return Report(True, entries, signatures, export_cp["number"], None)


def check_checkpoint(
    uid: str, cp: dict[str, Any], keys: dict[str, dict[str, Any]]
) -> Problem | None:
    key = keys.get(cp["key_id"])
    if key is None or not key.get("desk"):
        return Problem(None, "punto de control firmado con una llave que no es de la mesa")
    message = checkpoint_message(uid, cp["number"], cp["head_hash"], cp["created_at"])
    if not signature_valid(load_public_key(key["public_key"]), cp["signature"], message):
        return Problem(None, f"firma inválida en el punto de control de la nota {cp['number']}")
    return None


def drawn_png(signature: dict[str, Any]) -> bytes | None:
    value = signature.get("drawn_png")
    return base64.b64decode(value) if value else None


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("uso: python -m soporte.logbook.verify ARCHIVO", file=sys.stderr)
        return 2
    report = verify_file(args[0])
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
