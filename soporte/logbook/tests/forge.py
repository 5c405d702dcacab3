"""What a dishonest desk (or anyone holding the file) would do to an export: edit records and
sign them again with keys it controls. The tests use these to show `verify` catches it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from soporte.logbook.chain import (
    GENESIS_HASH,
    canonical,
    chain_hash,
    entry_message,
    fingerprint,
    hints_for,
    public_key_hex,
    sha256_hex,
    sign,
    statement_bytes,
)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def entries(records: list[dict]) -> list[dict]:
    return [r for r in records if r.get("type") == "entry"]


def entry(records: list[dict], number: int) -> dict:
    return next(r for r in entries(records) if r["content"]["number"] == number)


def index_of(records: list[dict], number: int) -> int:
    return records.index(entry(records, number))


def attestations(records: list[dict]) -> list[dict]:
    return sorted((a for r in entries(records) for a in r["attestations"]), key=lambda a: a["seq"])


def rehint(record: dict) -> None:
    record.pop("hints", None)
    record["hints"] = hints_for(record)


def resign(
    records: list[dict],
    new_keys: dict[str, Ed25519PrivateKey],
    *,
    sign_with: dict[str, Ed25519PrivateKey] | None = None,
) -> list[dict]:
    """Rebuild every hash, hint, signature and checkpoint after an edit. `new_keys` replaces
    keys (old fingerprint → new private key) everywhere they are named; `sign_with` holds the
    private keys of the keys kept (by fingerprint)."""
    signers = dict(sign_with or {})
    rename = {}
    for old, private in new_keys.items():
        new_fp = fingerprint(public_key_hex(private))
        rename[old] = new_fp
        signers[new_fp] = private

    def fp(value: str) -> str:
        return rename.get(value, value)

    for record in records:
        if record.get("type") == "key" and record["key"] in rename:
            private = new_keys[record["key"]]
            record["key"], record["public_key"] = rename[record["key"]], public_key_hex(private)
    prev, hashes = GENESIS_HASH, {0: GENESIS_HASH}
    for record in entries(records):
        content = record["content"]
        content["signed_by"]["key"] = fp(content["signed_by"]["key"])
        for item in content.get("trust", {}).get("keys", []):
            item["key"] = fp(item["key"])
            if "replaces" in item:
                item["replaces"] = fp(item["replaces"])
        rehint(content)
        record["prev_hash"] = prev
        record["hash"] = prev = chain_hash(prev, canonical(content))
        hashes[content["number"]] = prev
        record["signature"] = sign(signers[content["signed_by"]["key"]], entry_message(prev))
    att_prev, att_hashes = GENESIS_HASH, {0: GENESIS_HASH}
    for att in attestations(records):
        att["entry_hash"] = hashes[att["entry"]]
        att["key"] = fp(att["key"])
        att["prev"] = att_prev
        rehint(att)
        att["signature"] = sign(signers[att["key"]], statement_bytes(att))
        att_prev = att_hashes[att["seq"]] = sha256_hex(statement_bytes(att))
    checkpoints = [r for r in records if r.get("type") == "checkpoint"]
    checkpoints.append(records[0]["checkpoint"])
    for cp in checkpoints:
        cp.pop("timestamp", None)
        cp["entry_head"] = hashes[cp["entries"]]
        cp["attestation_head"] = att_hashes[cp["attestations"]]
        cp["key"] = fp(cp["key"])
        rehint(cp)
        cp["signature"] = sign(signers[cp["key"]], statement_bytes(cp))
    return records


def roll_back(records: list[dict], to: dict[str, Any]) -> list[dict]:
    """The file as it stood at an older (validly signed) checkpoint: later entries, later
    attestations and later checkpoints cut off."""
    header = dict(records[0], checkpoint=to)
    kept: list[dict] = [header]
    for record in records[1:]:
        if record.get("type") == "checkpoint":
            if record["created_at"] < to["created_at"]:
                kept.append(record)
        elif record.get("type") == "entry":
            if record["content"]["number"] <= to["entries"]:
                record["attestations"] = [
                    a for a in record["attestations"] if a["seq"] <= to["attestations"]
                ]
                kept.append(record)
        else:
            kept.append(record)
    return kept
