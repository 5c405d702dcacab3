"""A backup restored elsewhere brings back the database and every stored file, checked."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

from soporte.logbook.verify import verify_file

ATTACH = """
from soporte.lib import clock
from soporte.tickets import attachments
from soporte.tickets.models import Ticket
ticket = Ticket.objects.order_by("id").first()
attachments.store(ticket=ticket, uploaded_by=ticket.requester.user or ticket.created_by,
                  name="factura.pdf", data=b"%PDF-1.4 factura" * 100, content_type="application/pdf",
                  now=clock.now())
print(ticket.number)
"""
READ_BACK = """
from soporte.tickets import attachments
from soporte.tickets.models import Attachment
import hashlib
for a in Attachment.objects.order_by("id"):
    print(a.original_name, hashlib.sha256(attachments.path_for(a.storage_key).read_bytes()).hexdigest() == a.sha256)
"""


def soporte(*args: str, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "soporte.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if ok:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


def heads(listing: str) -> list[tuple[str, str]]:
    """(uid, head hash) per logbook, from `soporte logbook list`."""
    return [(line.split()[1], line.split()[4]) for line in listing.splitlines() if line.strip()]


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "VAR_DIR"}}
    env.update(extra)
    return env


def tamper(archive: Path, member_prefix: str, out: Path) -> None:
    """Copy `archive`, changing one byte of the first member under `member_prefix`."""
    with tarfile.open(archive) as source, tarfile.open(out, "w") as target:
        changed = False
        for member in source:
            data = source.extractfile(member).read() if member.isfile() else b""
            if not changed and member.name.startswith(member_prefix):
                data = bytes([data[0] ^ 1]) + data[1:]
                changed = True
            target.addfile(member, io.BytesIO(data))
    assert changed


@pytest.mark.slow
def test_sqlite_backup_restores_database_and_attachments_and_refuses_a_damaged_copy(
    tmp_path: Path,
):
    # One desk for both halves: the demo (without its weeks of history) and one attachment.
    live = base_env(VAR_DIR=str(tmp_path / "live"))
    soporte("migrate", "-v0", env=live)
    soporte("demo", "--minimal", env=live)
    soporte("shell", "--no-imports", "-c", ATTACH, env=live)
    before = heads(soporte("logbook", "list", env=live).stdout)
    archive = tmp_path / "respaldo.tar"
    out = soporte("backup", str(archive), env=live).stdout
    assert "1 archivo(s)" in out

    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile("manifest.json").read())
        names = opened.getnames()
    assert manifest["database"]["member"] in names
    assert [f["member"] for f in manifest["files"]] == [n for n in names if n.startswith("media/")]

    restored = base_env(VAR_DIR=str(tmp_path / "restored"))
    out = soporte("restore", str(archive), env=restored).stdout
    assert "1 adjunto(s) con su huella correcta" in out
    assert heads(soporte("logbook", "list", env=restored).stdout) == before
    assert soporte("shell", "--no-imports", "-c", READ_BACK, env=restored).stdout.split() == [
        "factura.pdf",
        "True",
    ]
    export = tmp_path / "bitacora.jsonl"
    soporte("logbook", "export", "1", "-o", str(export), env=restored)
    assert verify_file(str(export), workers=1).ok

    # A second restore into the same, no longer empty, place is refused and changes nothing.
    again = soporte("restore", str(archive), env=restored, ok=False)
    assert again.returncode != 0
    assert "vacío" in again.stderr

    # A damaged copy of the archive (one byte of an attachment) is refused and restores nothing.
    damaged = tmp_path / "dañado.tar"
    tamper(archive, "media/", damaged)
    target = tmp_path / "restored-damaged"
    result = soporte("restore", str(damaged), env=base_env(VAR_DIR=str(target)), ok=False)
    assert result.returncode != 0
    assert "no coincide con el manifiesto" in result.stderr
    assert not (target / "soporte.sqlite3").exists()


@pytest.mark.slow
def test_postgresql_backup_and_restore(tmp_path: Path):
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump/pg_restore are not installed")
    server = os.environ.get("TEST_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")
    live_name, restored_name = (f"soporte_bk_{uuid.uuid4().hex[:8]}" for _ in range(2))
    check = subprocess.run(
        [sys.executable, "-m", "soporte.lib.pgcheck", f"{server}/{live_name}"], capture_output=True
    )
    if check.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is required in CI")
        pytest.skip("no PostgreSQL server")
    subprocess.run(
        [sys.executable, "-m", "soporte.lib.pgcheck", f"{server}/{restored_name}"], check=True
    )
    try:
        live = base_env(VAR_DIR=str(tmp_path / "live"), DATABASE_URL=f"{server}/{live_name}")
        soporte("migrate", "-v0", env=live)
        soporte("demo", "--minimal", env=live)
        soporte("shell", "--no-imports", "-c", ATTACH, env=live)
        before = heads(soporte("logbook", "list", env=live).stdout)
        archive = tmp_path / "respaldo.tar"
        soporte("backup", str(archive), env=live)
        restored = base_env(
            VAR_DIR=str(tmp_path / "restored"), DATABASE_URL=f"{server}/{restored_name}"
        )
        out = soporte("restore", str(archive), env=restored).stdout
        assert "1 adjunto(s) con su huella correcta" in out
        assert heads(soporte("logbook", "list", env=restored).stdout) == before
        export = tmp_path / "bitacora.jsonl"
        soporte("logbook", "export", "2", "-o", str(export), env=restored)
        assert verify_file(str(export), workers=1).ok
    finally:
        for name in (live_name, restored_name):
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-c",
                    f'DROP DATABASE IF EXISTS "{name}"',
                ],
                capture_output=True,
            )
