"""The audit trail: append-only, each entry chained to the one before by a SHA-256 hash."""

import contextvars
import hashlib
import json

from django.db import transaction
from django.utils import timezone

from visits.models import AuditEntry

# The address of the request being served (set by icv.middleware.AuditAddressMiddleware).
current_address: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "audit_address", default=None
)


def _digest(previous_hash: str, entry: AuditEntry) -> str:
    body = json.dumps(
        {
            "previous": previous_hash,
            "scheme": entry.scheme_id,
            "actor": entry.actor_id,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "detail": entry.detail,
            "ip": entry.ip_address,
            "at": entry.created_at.isoformat(),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    *, actor, action: str, obj=None, scheme=None, detail: dict | None = None, ip: str | None = None
) -> AuditEntry:
    """Append one entry. Runs in the caller's transaction, so a rolled-back change leaves none."""
    with transaction.atomic():
        last = (
            AuditEntry.objects.select_for_update()
            .order_by("-pk")
            .values_list("entry_hash", flat=True)
            .first()
        )
        entry = AuditEntry(
            scheme=scheme,
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=action,
            object_type=type(obj).__name__ if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            detail=detail or {},
            ip_address=ip or current_address.get(),
            created_at=timezone.now(),
            previous_hash=last or "",
        )
        entry.entry_hash = _digest(entry.previous_hash, entry)
        entry.save()
    return entry


def verify_chain() -> AuditEntry | None:
    """The first entry whose hash does not match its content and predecessor, or None."""
    previous = ""
    for entry in AuditEntry.objects.order_by("pk").iterator():
        if entry.previous_hash != previous or entry.entry_hash != _digest(previous, entry):
            return entry
        previous = entry.entry_hash
    return None


def is_trail_statement(sql: str) -> bool:
    """True for the statements that append to the trail (the chain's last hash, the insert and
    their savepoint). Query budgets count what builds a page, and the trail's two apart."""
    return AuditEntry._meta.db_table in sql or sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
