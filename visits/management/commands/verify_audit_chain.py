"""Check that nobody has changed, removed or inserted an audit entry behind the app's back.

Each entry's hash covers its content and the hash before it, so an edit in the database breaks
the chain from that entry on. Exits 1, naming the first bad entry, if the chain is broken; run
it from cron and alert on failure."""

from django.core.management.base import BaseCommand, CommandError

from visits.models import AuditEntry
from visits.services import audit


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 at the first broken entry."

    def handle(self, *args, **options):
        broken = audit.verify_chain()
        if broken is not None:
            raise CommandError(
                f"The audit trail is broken at entry {broken.pk} "
                f"({broken.created_at:%Y-%m-%d %H:%M} {broken.action}): it was changed, or an "
                "entry before it was removed, after it was written."
            )
        self.stdout.write(f"{AuditEntry.objects.count()} audit entries; the chain is intact.")
