"""One archive holds the whole desk: the database and every stored file, with a manifest.

`soporte backup FILE` writes a tar archive:

    manifest.json              format, version, when, the database member and every file,
                               each with its size and SHA-256
    database/soporte.sqlite3   SQLite's online backup (a plain copy of a live WAL file can tear)
      or database/soporte.dump pg_dump's custom format (a consistent snapshot that blocks nobody)
    media/<path>               every file under MEDIA_ROOT (attachments, photos, images…)

The database is copied first and the files after it: files are written (and fsynced) before
the row that names them commits and are never deleted, so every file the copied database
names is already on disk when the files are copied. The archive is written beside FILE and
renamed into place once complete, so a FILE that exists is whole.

`soporte restore FILE` brings it back into an empty VAR_DIR (or an empty PostgreSQL database):
every member is checked against the manifest before it is written, and afterwards every
attachment the database names is read back and its SHA-256 compared with the one recorded
when it was uploaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection

from soporte.lib import compat

FORMAT = "soporte-backup"
VERSION = 1
CHUNK = 1 << 20


class BackupError(Exception):
    """The archive cannot be written or restored; the message says why, in Spanish."""


@dataclass
class Summary:
    files: int = 0
    bytes: int = 0
    attachments_checked: int = 0
    problems: list[str] = field(default_factory=list)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pg_args(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    args = [
        f"--host={settings_dict.get('HOST') or '127.0.0.1'}",
        f"--port={settings_dict.get('PORT') or 5432}",
        f"--username={settings_dict.get('USER') or 'postgres'}",
    ]
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} no está instalado en esta máquina.")
    return path


def _dump_database(target: Path) -> str:
    """Write a consistent copy of the database to `target`; return the archive member name."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target) as destination:
            compat.driver_connection(connection).backup(destination)
        destination.close()
        return "database/soporte.sqlite3"
    if connection.vendor == "postgresql":
        args, env = _pg_args(connection.settings_dict)
        subprocess.run(  # noqa: S603 - fixed tool, arguments from settings
            [
                _tool("pg_dump"),
                "--format=custom",
                f"--file={target}",
                *args,
                str(connection.settings_dict["NAME"]),
            ],
            check=True,
            env=env,
        )
        return "database/soporte.dump"
    raise BackupError(f"Base de datos no soportada: {connection.vendor}")


def _media_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def write_backup(
    target: str | Path, *, now: dt.datetime, progress: Callable[[str], None] = lambda _m: None
) -> Summary:
    """Write the archive to `target` atomically; see the module docstring."""
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    summary = Summary()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".respaldo-") as work:
        dump = Path(work) / "database"
        progress("Copiando la base de datos…")
        db_member = _dump_database(dump)
        files = _media_files(media_root)
        progress(f"Calculando la huella de {len(files)} archivo(s)…")
        entries: list[dict[str, Any]] = []
        for path in files:
            member = str(PurePosixPath("media") / path.relative_to(media_root).as_posix())
            size = path.stat().st_size
            entries.append({"member": member, "size": size, "sha256": _sha256_of(path)})
            summary.files += 1
            summary.bytes += size
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": now.isoformat(),
            "database": {
                "vendor": connection.vendor,
                "member": db_member,
                "size": dump.stat().st_size,
                "sha256": _sha256_of(dump),
            },
            "files": entries,
        }
        partial = Path(work) / "archive.tar"
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(now.timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=db_member, recursive=False)
            progress("Archivando los archivos…")
            for path, entry in zip(files, entries, strict=True):
                archive.add(path, arcname=entry["member"], recursive=False)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
        _fsync_dir(target.parent)
    return summary


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"El respaldo contiene una ruta no permitida: {name!r}")
    return path


def _copy_checked(source: IO[bytes], destination: Path, *, size: int, sha256: str) -> None:
    """Write `source` to `destination` (fsynced), refusing it unless size and hash match."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(destination.name + ".restaurando")
    digest = hashlib.sha256()
    written = 0
    with temporary.open("wb") as handle:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            written += len(chunk)
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    if written != size or digest.hexdigest() != sha256:
        temporary.unlink()
        raise BackupError(
            f"{destination.name}: el contenido no coincide con el manifiesto del respaldo "
            "(archivo dañado o modificado)."
        )
    os.replace(temporary, destination)


def _database_is_empty() -> bool:
    if connection.vendor == "sqlite":
        path = Path(str(connection.settings_dict["NAME"]))
        return not path.exists() or path.stat().st_size == 0
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _restore_database(source: Path, vendor: str) -> None:
    if vendor != connection.vendor:
        raise BackupError(
            f"El respaldo es de {vendor} y la base configurada es {connection.vendor}."
        )
    if vendor == "sqlite":
        connection.close()
        path = Path(str(connection.settings_dict["NAME"]))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        shutil.copyfile(source, path)
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
        _fsync_dir(path.parent)
        return
    args, env = _pg_args(connection.settings_dict)
    subprocess.run(  # noqa: S603 - fixed tool, arguments from settings
        [
            _tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            *args,
            f"--dbname={connection.settings_dict['NAME']}",
            str(source),
        ],
        check=True,
        env=env,
    )


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.getmember("manifest.json")
    except KeyError as exc:
        raise BackupError("El archivo no es un respaldo de Soporte (falta manifest.json).") from exc
    handle = archive.extractfile(member)
    assert handle is not None
    manifest: dict[str, Any] = json.loads(handle.read())
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError("Formato de respaldo desconocido.")
    return manifest


def restore_backup(
    source: str | Path, *, progress: Callable[[str], None] = lambda _m: None
) -> Summary:
    """Bring an archive back into an empty VAR_DIR / database, then check what it restored."""
    media_root = Path(settings.MEDIA_ROOT)
    if _media_files(media_root):
        raise BackupError(f"{media_root} ya contiene archivos: restaure en un VAR_DIR vacío.")
    if not _database_is_empty():
        raise BackupError("La base de datos de destino no está vacía: restaure en una vacía.")
    summary = Summary()
    try:
        archive = tarfile.open(source, "r")  # noqa: SIM115 - closed by the with below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"No se puede leer el respaldo: {exc}") from exc
    with archive, tempfile.TemporaryDirectory(prefix="soporte-restaurar-") as work:
        manifest = read_manifest(archive)
        expected = {f["member"]: f for f in manifest["files"]}
        database = manifest["database"]
        expected[database["member"]] = database
        seen: set[str] = set()
        db_copy = Path(work) / "database"
        progress("Comprobando y restaurando los archivos…")
        for member in archive:
            if member.name == "manifest.json":
                continue
            name = str(_safe_member(member.name))
            entry = expected.get(name)
            if entry is None or not member.isfile():
                raise BackupError(f"El respaldo contiene {name!r}, que su manifiesto no nombra.")
            handle = archive.extractfile(member)
            assert handle is not None
            if name == database["member"]:
                destination = db_copy
            else:
                destination = media_root / PurePosixPath(name).relative_to("media")
            _copy_checked(handle, destination, size=entry["size"], sha256=entry["sha256"])
            seen.add(name)
            if name != database["member"]:
                summary.files += 1
                summary.bytes += entry["size"]
        missing = sorted(set(expected) - seen)
        if missing:
            raise BackupError(f"Al respaldo le faltan {len(missing)} archivo(s): {missing[0]}…")
        progress("Restaurando la base de datos…")
        _restore_database(db_copy, database["vendor"])
    progress("Comprobando los adjuntos contra la base de datos…")
    check_attachments(summary)
    return summary


def check_attachments(summary: Summary) -> None:
    """Every attachment the database names is on disk with the hash recorded at upload."""
    from soporte.tickets import attachments
    from soporte.tickets.models import Attachment

    rows = Attachment.objects.order_by("id").values_list("id", "storage_key", "sha256")
    for pk, key, sha256 in rows.iterator():
        path = attachments.path_for(key)
        if not path.exists():
            summary.problems.append(f"adjunto {pk}: falta el archivo")
        elif _sha256_of(path) != sha256:
            summary.problems.append(f"adjunto {pk}: el contenido no coincide")
        summary.attachments_checked += 1
