"""A backup restored elsewhere reproduces every logbook's head hash and verifies offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from soporte.logbook.verify import verify_file


def soporte(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "soporte.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def heads(listing: str) -> list[tuple[str, str]]:
    """(uid, head hash) per logbook, from `soporte logbook list`."""
    return [(line.split()[1], line.split()[4]) for line in listing.splitlines() if line.strip()]


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "VAR_DIR"}}
    env.update(extra)
    return env


@pytest.mark.slow
def test_sqlite_backup_and_restore(tmp_path: Path):
    live = base_env(VAR_DIR=str(tmp_path / "live"))
    soporte("migrate", "-v0", env=live)
    soporte("demo", env=live)
    before = heads(soporte("logbook", "list", env=live))
    backup = tmp_path / "respaldo.sqlite3"

    soporte("backup", str(backup), env=live)

    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copy(backup, restored_dir / "soporte.sqlite3")
    restored = base_env(VAR_DIR=str(restored_dir))
    assert heads(soporte("logbook", "list", env=restored)) == before
    assert len(before) == 3
    export = tmp_path / "bitacora.jsonl"
    soporte("logbook", "export", "1", "-o", str(export), env=restored)
    assert verify_file(str(export), workers=1).ok


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
        live = base_env(VAR_DIR=str(tmp_path), DATABASE_URL=f"{server}/{live_name}")
        soporte("migrate", "-v0", env=live)
        soporte("demo", env=live)
        before = heads(soporte("logbook", "list", env=live))
        dump = tmp_path / "respaldo.dump"
        soporte("backup", str(dump), env=live)
        subprocess.run(
            ["pg_restore", "-h", "127.0.0.1", "-U", "postgres", "-d", restored_name, str(dump)],
            check=True,
        )
        restored = base_env(VAR_DIR=str(tmp_path), DATABASE_URL=f"{server}/{restored_name}")
        assert heads(soporte("logbook", "list", env=restored)) == before
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
