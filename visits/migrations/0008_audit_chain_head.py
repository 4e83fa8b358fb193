"""The audit chain's head row, and signed entries (issue 16).

Entries written before this migration keep their unkeyed SHA-256 hashes untouched (blank
`key_id`): nothing already written is rewritten. They may fork (two appends at once could chain
from the same entry), so instead of one line they are folded, in primary-key order, into one
digest, which becomes the head the first signed entry chains from; and that digest and their
number are sealed with ICV_AUDIT_KEY (an HMAC kept in the head row), so they cannot be changed,
removed or added to later, nor signed entries passed off as old ones. Sealing needs the real key:
on a production database with entries, set ICV_AUDIT_KEY before migrating.

The hashing here is copied from visits.services.audit as it stands, so that this migration keeps
doing what it did if that module changes; tests/test_audit_chain.py checks the two agree.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import migrations, models

# visits.models.audit.DEVELOPMENT_KEY, used when ICV_AUDIT_KEY is empty.
DEVELOPMENT_KEY = "insecure-local-development-audit-key-never-use-in-production"


def legacy_link(head: str, entry_hash: str) -> str:
    return hashlib.sha256(f"icv audit legacy\n{head}\n{entry_hash}".encode()).hexdigest()


def seal_mac(key: bytes, count: int, digest: str, sealed_with: str) -> str:
    body = json.dumps({"count": count, "digest": digest, "key_id": sealed_with}, sort_keys=True)
    return hmac.new(key, b"icv audit legacy seal\n" + body.encode(), hashlib.sha256).hexdigest()


def seal_old_entries(apps, schema_editor):
    AuditEntry = apps.get_model("visits", "AuditEntry")
    AuditChainHead = apps.get_model("visits", "AuditChainHead")
    db = schema_editor.connection.alias
    count, digest = 0, ""
    hashes = AuditEntry.objects.using(db).order_by("pk").values_list("entry_hash", flat=True)
    for entry_hash in hashes.iterator(chunk_size=2000):
        count += 1
        digest = legacy_link(digest, entry_hash)
    legacy = None
    if count:
        key = settings.ICV_AUDIT_KEY or DEVELOPMENT_KEY
        in_production = not (settings.DEBUG or getattr(settings, "TESTING", False))
        if key == DEVELOPMENT_KEY and in_production:
            raise ImproperlyConfigured(
                f"Set ICV_AUDIT_KEY before migrating: the {count} audit entries written so far "
                "are sealed with it now, and the development key is public."
            )
        sealed_with = hmac.new(key.encode(), b"icv audit key id", hashlib.sha256).hexdigest()[:16]
        legacy = {
            "count": count,
            "digest": digest,
            "key_id": sealed_with,
            "mac": seal_mac(key.encode(), count, digest, sealed_with),
        }
    AuditChainHead.objects.using(db).update_or_create(
        pk=1, defaults={"count": count, "head_hash": digest, "legacy": legacy}
    )


def refuse_to_unsign(apps, schema_editor):
    AuditEntry = apps.get_model("visits", "AuditEntry")
    if AuditEntry.objects.using(schema_editor.connection.alias).exclude(key_id="").exists():
        raise ImproperlyConfigured(
            "The audit trail has signed entries: going back before 0008 would drop which key "
            "signed each, and the old check could never verify them."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0007_issue_event_shared_with_force"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(
                        default=1, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("count", models.BigIntegerField(default=0)),
                ("head_hash", models.CharField(blank=True, max_length=64)),
                ("legacy", models.JSONField(blank=True, editable=False, null=True)),
            ],
            options={
                "verbose_name": "audit chain head",
            },
        ),
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, default="", editable=False, max_length=16),
        ),
        migrations.RunPython(seal_old_entries, refuse_to_unsign),
    ]
