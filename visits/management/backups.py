"""Backing up and restoring the database and the media together (manage.py backup / restore).

A backup is a directory: the database (SQLite through its online backup API, PostgreSQL through
`pg_dump --format=custom`), every media file the configured storage holds (local disk or the
bucket) under media/, and manifest.json, written last, saying when it was taken, the audit
trail's length and head then, and each file's size and sha256. docs/deployment.md, "Backup and
restore", is the operator's procedure."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, models
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from icv.media_storage import describe
from visits.models.audit import AuditChainHead
from visits.services import audit

FORMAT = "icv-backup/1"
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Something an operator must fix; the message says what."""


# --- Files and checksums ------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_file(path: Path, name: str) -> dict:
    return {"name": name, "size": path.stat().st_size, "sha256": sha256_of(path)}


def safe_media_name(name: str) -> str:
    """A storage name from a manifest, refused if it could leave the media directory."""
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or ".." in parts or "\\" in name:
        raise BackupError(f"The manifest names a media file outside the media folder: {name!r}.")
    return name


# --- Media ------------------------------------------------------------------------------------


def media_names(storage=default_storage, path: str = "") -> list[str]:
    """Every file the storage holds, walking its folders (a bucket's prefixes)."""
    try:
        folders, files = storage.listdir(path)
    except FileNotFoundError:  # local disk before the first upload
        return []
    names = [f"{path}/{name}" if path else name for name in files]
    for folder in folders:
        names += media_names(storage, f"{path}/{folder}" if path else folder)
    return sorted(names)


def referenced_media() -> set[str]:
    """The media files the database's rows point to (every FileField of every model)."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                # The base manager: every row, whatever a default manager hides.
                values = model._base_manager.exclude(**{field.name: ""}).values_list(
                    field.name, flat=True
                )
                names.update(value for value in values if value)
    return names


def copy_media_out(target: Path) -> list[dict]:
    described = []
    for name in media_names():
        destination = target / MEDIA_DIR / safe_media_name(name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as source, destination.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        described.append(describe_file(destination, name))
    return described


def copy_media_in(source: Path, files: list[dict], *, referenced: set[str]) -> tuple[int, int, int]:
    """Put back, under its own name, every backed-up file a row of the restored database points
    to; remove from the storage every other file (no row would ever show or delete it).
    Returns how many files were put back, left out (in the backup, pointed to by nothing: an
    upload caught between the database's copy and the media's) and removed."""
    restored = set()
    for entry in files:
        name = safe_media_name(entry["name"])
        if name not in referenced:
            continue
        if default_storage.exists(name):
            default_storage.delete(name)
        with (source / MEDIA_DIR / name).open("rb") as f:
            saved = default_storage.save(name, File(f, name=name))
        if saved != name:
            raise BackupError(f"The storage saved {name} as {saved}; the restore is incomplete.")
        restored.add(name)
    extra = [name for name in media_names() if name not in restored]
    for name in extra:
        default_storage.delete(name)
    return len(restored), len(files) - len(restored), len(extra)


# --- The database -------------------------------------------------------------------------------


def engine() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def database_is_empty() -> bool:
    return not connection.introspection.table_names()


def dump_database(target: Path) -> Path:
    if engine() == "sqlite":
        out = target / "database.sqlite3"
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        copy = sqlite3.connect(out)
        try:
            with copy:
                source.backup(copy)  # a consistent copy while the app keeps writing
        finally:
            copy.close()
            source.close()
        return out
    out = target / "database.pgdump"
    _run_pg("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={out}")
    return out


def load_database(dump: Path, *, replace: bool) -> None:
    """The database becomes the dump. Refused if it holds anything, unless `replace`."""
    if not database_is_empty() and not replace:
        raise BackupError(
            "The database is not empty. Restore into an empty database, or pass --replace to "
            "overwrite everything in it with the backup."
        )
    if engine() == "sqlite":
        connection.close()
        source = sqlite3.connect(dump)
        target = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        try:
            with target:
                source.backup(target)  # replaces every page of the target
        finally:
            target.close()
            source.close()
        return
    if replace:
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names():
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    connection.close()
    _run_pg(
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={settings.DATABASES['default']['NAME']}",
        str(dump),
    )


def _pg_binary(name: str) -> str:
    """The PostgreSQL client of the server's major version if installed (pg_dump refuses a
    server newer than itself), else the one on PATH, else the newest installed."""
    with connection.cursor():
        major = connection.pg_version // 10000
    candidates = [f"/usr/lib/postgresql/{major}/bin/{name}", shutil.which(name)]
    installed = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    candidates += sorted(installed, key=lambda p: int(re.sub(r"\D", "", p) or 0), reverse=True)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise BackupError(f"{name} was not found: install the PostgreSQL {major} client tools.")


def _run_pg(tool: str, *arguments: str) -> None:
    database = settings.DATABASES["default"]
    environment = os.environ | {
        "PGHOST": database.get("HOST") or "",
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": database.get("USER") or "",
        "PGPASSWORD": database.get("PASSWORD") or "",
        "PGDATABASE": database["NAME"],
    }
    environment = {key: value for key, value in environment.items() if value != ""}
    done = subprocess.run(
        [_pg_binary(tool), *arguments], env=environment, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BackupError(f"{tool} failed (exit {done.returncode}): {done.stderr.strip()}")


# --- The manifest ---------------------------------------------------------------------------------


@dataclass
class Manifest:
    taken_at: str
    database: dict
    media: list[dict]
    audit: dict
    migrations: dict
    storage: str
    missing_media: list[str]

    def write(self, target: Path) -> None:
        body = {"format": FORMAT} | self.__dict__
        (target / MANIFEST).write_text(json.dumps(body, indent=2, sort_keys=True))

    @classmethod
    def read(cls, source: Path) -> Manifest:
        path = source / MANIFEST
        if not path.exists():
            raise BackupError(
                f"{source} holds no {MANIFEST}: it is not a backup, or the backup did not finish."
            )
        body = json.loads(path.read_text())
        if body.pop("format", None) != FORMAT:
            raise BackupError(f"{path} is not an {FORMAT} manifest.")
        return cls(**body)

    def problems_in(self, source: Path) -> list[str]:
        """What in the backup's files no longer matches the manifest."""
        problems = []
        for entry, path in [(self.database, source / self.database["name"])] + [
            (entry, source / MEDIA_DIR / safe_media_name(entry["name"])) for entry in self.media
        ]:
            if not path.exists():
                problems.append(f"{path} is missing.")
            elif describe_file(path, entry["name"]) != {
                key: entry[key] for key in ("name", "size", "sha256")
            }:
                problems.append(f"{path} is not the file that was backed up (size or sha256).")
        return problems


def audit_position() -> dict:
    head = AuditChainHead.objects.filter(pk=audit.HEAD_PK).first()
    return {"count": head.count if head else 0, "head": head.head_hash if head else ""}


def latest_migrations() -> dict:
    applied: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied[app] = max(applied.get(app, ""), name)
    return dict(sorted(applied.items()))


def back_up(target: Path) -> Manifest:
    """Write a backup of the database and the media into `target` (new or empty)."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new folder.")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The backup holds every report: only its owner may read it, even in a folder someone
    # made beforehand with looser rights, and so may every file written into it.
    os.chmod(target, 0o700)
    previous_umask = os.umask(0o077)
    try:
        return _back_up_into(target)
    finally:
        os.umask(previous_umask)


def _back_up_into(target: Path) -> Manifest:
    taken_at = timezone.now()
    referenced = referenced_media()
    position = audit_position()
    migrations = latest_migrations()
    database = dump_database(target)
    media = copy_media_out(target)
    copied = {entry["name"] for entry in media}
    manifest = Manifest(
        taken_at=taken_at.isoformat(),
        database={"engine": engine()} | describe_file(database, database.name),
        media=media,
        audit=position,
        migrations=migrations,
        storage=describe(settings.ICV_MEDIA_STORAGE_URL),
        missing_media=sorted(referenced - copied),
    )
    manifest.write(target)
    with contextlib.suppress(OSError):
        os.chmod(target / MANIFEST, 0o600)
    return manifest
