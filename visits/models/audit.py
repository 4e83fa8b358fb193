from django.conf import settings
from django.core import checks
from django.db import models
from django.utils import timezone

from visits.models.base import Model

from .schemes import Scheme

# Signs the trail when ICV_AUDIT_KEY is empty: development and tests. It is public (it is here),
# so a trail signed with it proves nothing; `check --deploy` fails while it is in use.
DEVELOPMENT_KEY = "insecure-local-development-audit-key-never-use-in-production"


class AuditEntry(Model):
    """Who viewed, downloaded or changed what. Append-only; each entry is chained to the one
    before by an HMAC-SHA256 over its content and the previous entry's hash
    (visits.services.audit; docs/security.md, "The audit trail")."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Set before saving (not auto_now_add) because the entry's hash covers it.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    previous_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64, blank=True)
    # Which key signed entry_hash (an id derived from the key, never the key). Blank: an entry
    # written before migration 0008 under the old unkeyed SHA-256 scheme, kept as it was.
    key_id = models.CharField(max_length=16, blank=True, default="", editable=False)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "audit entries"
        # A scheme's newest entries first: the summaries' cache asks for its last change.
        indexes = [models.Index(fields=["scheme", "-id"], name="audit_scheme_newest")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} by {self.actor}"

    def save(self, *args, **kwargs):
        # Append-only: an entry is written once (visits.services.audit.record) and never again.
        if self.pk is not None:
            raise ValueError("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are never deleted.")


class AuditChainHead(Model):
    """The end of the audit chain: one row (pk 1) holding how many entries there are and the
    hash the next one chains from. Every append locks it (SELECT ... FOR UPDATE), takes the
    previous hash from it and moves it on in the same transaction, so two appends at once
    queue here instead of both chaining from the same entry."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    count = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)
    # The entries written before signing began (migration 0008), sealed then with the key:
    # {"count", "digest", "key_id", "mac"}, or null if there were none. Only that many
    # unsigned entries may open the chain, and none may follow a signed one.
    legacy = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "audit chain head"

    def __str__(self) -> str:
        return f"{self.count} audit entries, head {self.head_hash[:12]}"


@checks.register(checks.Tags.security, deploy=True)
def check_audit_key(app_configs, **kwargs):
    """`check --deploy`: production signs the audit trail with its own key, kept out of the
    database; without one the trail is signed with the development key, which is public."""
    key = settings.ICV_AUDIT_KEY
    if not key or key == DEVELOPMENT_KEY:
        return [
            checks.Error(
                "ICV_AUDIT_KEY is not set: the audit trail is signed with the public "
                "development key, so anyone with database access could rewrite it unnoticed.",
                hint="Set ICV_AUDIT_KEY (or ICV_AUDIT_KEY_FILE) to a long random string kept "
                "outside the database, e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`.",
                id="visits.E001",
            )
        ]
    if len(key) < 32:
        return [
            checks.Warning(
                "ICV_AUDIT_KEY is shorter than 32 characters.",
                hint="Use a long random string, e.g. 48 bytes from secrets.token_urlsafe.",
                id="visits.W001",
            )
        ]
    return []
