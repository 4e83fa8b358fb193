"""Back up, wipe, restore, as an operator would (docs/deployment.md, "Backup and restore"): in
separate processes running manage.py on a database of their own (a SQLite file; on PostgreSQL
too when the suite runs there), with media on local disk or in a real S3-compatible bucket.

After the restore the known report renders the same PDF text, its photo has the same bytes,
`verify_audit_chain` passes, work done after the backup is gone, and a visit that passed its
keeping period since the backup is anonymised again (an old backup brings nothing back)."""

import json
import os
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from tests.s3server import running_s3_server

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

# A submitted report with a photo; a visit already past Norfolk's keeping period (the backup
# is taken before retention runs, as a nightly backup may be).
MAKE_REPORTS = """
import datetime, io, json
from django.utils import timezone
from PIL import Image
from tests.conftest import persona
from tests.factories import make_visit, sign_off_and_submit
from visits.images import clean_photo
from visits.models import Scheme, Visit
from visits.services import visits as service

pair = [persona("visitor"), persona("partner")]
draft = make_visit(visitors=pair, status=Visit.Status.DRAFT, detainees=1)
jpeg = io.BytesIO()
Image.new("RGB", (320, 240), (40, 120, 60)).save(jpeg, "JPEG")
service.add_photo(actor=pair[0], visit=draft, photo=clean_photo(jpeg.getvalue()), caption="Cell 2")
report = sign_off_and_submit(draft, pair)
keeping = Scheme.objects.get(slug="norfolk").detainee_data_retention_days
long_ago = timezone.now() - datetime.timedelta(days=keeping + 10)
old = make_visit(visitors=pair, detainees=2, arrived_at=long_ago)
# A file no row points to (an upload caught between the database's copy and the media's).
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
default_storage.save("photos/stray.jpg", ContentFile(jpeg.getvalue()))
print("RESULT " + json.dumps({"report": str(report.uuid), "old": str(old.uuid)}))
"""

# What a reader would notice: the report's PDF text, its photo's bytes, the old visit's
# custody numbers, and how many visits there are.
READ_REPORTS = """
import hashlib, io, json
from pypdf import PdfReader
from tests.conftest import persona
from visits.management.backups import media_names
from visits.models import DetaineeRecord, Visit
from visits.pdf import render_visit_report
from visits.visit_read_model import visible_report

report = Visit.objects.get(uuid="{report}")
pdf = PdfReader(io.BytesIO(render_visit_report(visible_report(persona("manager"), report))))
with report.attachments.get().image.open("rb") as photo:
    photo_sha256 = hashlib.sha256(photo.read()).hexdigest()
old = DetaineeRecord.objects.filter(visit__uuid="{old}").order_by("pk")
print("RESULT " + json.dumps({{
    "pdf_text": "\\n".join(page.extract_text() for page in pdf.pages),
    "photo_sha256": photo_sha256,
    "old_numbers": list(old.values_list("custody_number", flat=True)),
    "visits": Visit.objects.count(),
    "media": media_names(),
}}))
"""

# Audited work after the backup, checkpointed: the restore will lose it.
WORK_AFTER_BACKUP = """
import json
from tests.conftest import persona
from tests.factories import make_visit
visit = make_visit(visitors=[persona("visitor"), persona("partner")])
print("RESULT " + json.dumps({"visit": str(visit.uuid)}))
"""


class Site:
    """One deployment: its environment, and how to run manage.py in it."""

    def __init__(self, tmp_path: Path, database_url: str, media_url: str):
        self.data = tmp_path / "data"
        self.data.mkdir()
        self.environment = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "tests.process_settings",
            "ICV_DATA_DIR": str(self.data),
            "ICV_DATABASE_URL": database_url,
            "ICV_MEDIA_STORAGE_URL": media_url,
            "ICV_SECRET_KEY": "backup-test-secret-key-" + "x" * 40,
            "ICV_AUDIT_KEY": "backup-test-audit-key-" + "y" * 40,
            "ICV_AUDIT_CHECKPOINT": str(tmp_path / "audit-checkpoint.json"),
            "ICV_DEBUG": "false",
        }

    def manage(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert done.returncode == 0, f"manage.py {arguments[0]}:\n{done.stdout}\n{done.stderr}"
        return done

    def script(self, code: str) -> dict:
        output = self.manage("shell", "--no-imports", "-c", code).stdout
        (line,) = [line for line in output.splitlines() if line.startswith("RESULT ")]
        return json.loads(line.removeprefix("RESULT "))


@pytest.fixture(scope="module")
def s3():
    with running_s3_server() as server:
        yield server


def sqlite_database(tmp_path):
    path = tmp_path / "data" / "icv.sqlite3"

    def wipe():
        for leftover in path.parent.glob("icv.sqlite3*"):  # with its -wal and -shm
            leftover.unlink()

    return f"sqlite:///{path}", wipe, lambda: None


def postgresql_database():
    """A database of its own on the suite's PostgreSQL server, dropped afterwards."""
    import psycopg

    server = urlsplit(os.environ["ICV_DATABASE_URL"])
    name = f"icv_backup_{uuid.uuid4().hex[:12]}"
    admin_url = urlunsplit(server._replace(path="/postgres"))

    def run(*statements):
        with psycopg.connect(admin_url, autocommit=True) as admin:
            for statement in statements:
                admin.execute(statement)

    run(f'CREATE DATABASE "{name}"')

    def wipe():
        run(f'DROP DATABASE "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')

    return (
        urlunsplit(server._replace(path=f"/{name}")),
        wipe,
        lambda: run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'),
    )


CASES = [("sqlite", "disk"), ("sqlite", "s3")]
if ON_POSTGRESQL:
    CASES.append(("postgresql", "disk"))


@pytest.mark.parametrize(("database", "media"), CASES)
def test_a_restored_backup_shows_the_same_report_and_keeps_retention(
    request, tmp_path, database, media
):
    database_url, wipe_database, drop_database = (
        sqlite_database(tmp_path) if database == "sqlite" else postgresql_database()
    )
    request.addfinalizer(drop_database)
    if media == "s3":
        bucket = request.getfixturevalue("s3")
        media_url = bucket.storage_url
        objects = bucket.client()

        def wipe_media():
            listed = objects.list_objects_v2(Bucket=bucket.bucket).get("Contents", [])
            for item in listed:
                objects.delete_object(Bucket=bucket.bucket, Key=item["Key"])

    else:
        media_url = ""

        def wipe_media():
            shutil.rmtree(site.data / "media")

    site = Site(tmp_path, database_url, media_url)
    site.manage("migrate", "--verbosity=0")
    site.manage("seed_demo", "--force", "--without-history")
    made = site.script(MAKE_REPORTS)
    site.manage("verify_audit_chain")
    before = site.script(READ_REPORTS.format(**made))
    assert "Cell 2" in before["pdf_text"]
    assert not any(n.startswith("anonymised-") for n in before["old_numbers"])

    # Into a folder made beforehand with loose rights: the backup is its owner's alone.
    (tmp_path / "backup").mkdir(mode=0o755)
    (tmp_path / "backup").chmod(0o755)
    site.manage("backup", str(tmp_path / "backup"))
    assert stat.S_IMODE((tmp_path / "backup").stat().st_mode) == 0o700
    for written in (path for path in (tmp_path / "backup").rglob("*") if path.is_file()):
        assert stat.S_IMODE(written.stat().st_mode) & 0o077 == 0, written
    site.script(WORK_AFTER_BACKUP)
    site.manage("verify_audit_chain")  # the checkpoint now counts entries the backup lacks
    wipe_database()
    wipe_media()

    refused = site.manage("restore", str(tmp_path / "backup"), check=False)
    assert refused.returncode == 1
    assert "--accept-restored-audit-chain" in refused.stderr
    assert "Nothing was restored" in refused.stderr

    restored = site.manage("restore", str(tmp_path / "backup"), "--accept-restored-audit-chain")
    assert "Restored the database and 2 media files" in restored.stdout
    assert "1 files in the backup that no row points to were left out" in restored.stdout
    assert "2 detainee records in 1 reports" in restored.stdout  # retention, re-applied
    checked = site.manage("verify_audit_chain")
    assert "the chain is intact" in checked.stdout

    after = site.script(READ_REPORTS.format(**made))
    assert after["pdf_text"] == before["pdf_text"]
    assert after["photo_sha256"] == before["photo_sha256"]
    assert after["visits"] == before["visits"]  # the visit made after the backup is gone
    assert "photos/stray.jpg" in before["media"]
    assert after["media"] == [name for name in before["media"] if name != "photos/stray.jpg"]
    assert len(after["old_numbers"]) == 2
    assert all(n.startswith("anonymised-") for n in after["old_numbers"])

    # Over a database in use only when asked; never from a damaged backup.
    in_use = site.manage(
        "restore", str(tmp_path / "backup"), "--accept-restored-audit-chain", check=False
    )
    assert in_use.returncode == 1 and "The database is not empty" in in_use.stderr
    (photo,) = [
        e
        for e in json.loads((tmp_path / "backup" / "manifest.json").read_text())["media"]
        if e["name"] != "photos/stray.jpg" and "thumbs" not in e["name"]
    ]
    (tmp_path / "backup" / "media" / photo["name"]).write_bytes(b"not the photo")
    damaged = site.manage("restore", str(tmp_path / "backup"), "--replace", check=False)
    assert damaged.returncode == 1 and "The backup is damaged" in damaged.stderr
    assert site.script(READ_REPORTS.format(**made)) == after
