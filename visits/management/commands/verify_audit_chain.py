"""Check that nobody has changed, removed or inserted an audit entry behind the app's back.

Each entry is signed (HMAC-SHA256 under ICV_AUDIT_KEY, which the database does not hold) over
its content and the hash before it, so an edit in the database breaks the chain from that entry
on. Removing the newest entries, or all of them, leaves a shorter chain that still holds
together; that is found by comparing with the chain's head row and with the checkpoint this
command signs and writes after each good run (ICV_AUDIT_CHECKPOINT), which the next run must
find intact and no longer than the trail. Exits 1, saying what is wrong, otherwise; run it daily
from cron as a user the database and the web app cannot write as, and alert on failure.
docs/security.md, "The audit trail", says what this proves and what it does not."""

import contextlib
import dataclasses

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from visits.services import audit


class Command(BaseCommand):
    help = (
        "Verify the audit trail's signed hash chain against its head and the last checkpoint; "
        "exit 1 if anything was changed, inserted or removed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-checkpoint",
            action="store_true",
            help="Do not compare with the last checkpoint (after restoring a backup, or moving "
            "to a new database, on purpose); the chain must still verify. Recorded in the "
            "trail.",
        )

    def handle(self, *args, reset_checkpoint=False, **options):
        path = settings.ICV_AUDIT_CHECKPOINT
        unkeyed = audit.signing_with_development_key_in_production()
        if unkeyed:
            path = None  # a checkpoint signed with a public key would prove nothing
        if reset_checkpoint:
            previous = None
            if path is not None:
                with contextlib.suppress(audit.CheckpointError):
                    previous = audit.read_checkpoint(path)
            audit.record(
                actor=None,
                action="audit.checkpoint_reset",
                detail={"previous": dataclasses.asdict(previous) if previous else None},
            )
        verdict = audit.verify(path, trust_checkpoint=not reset_checkpoint)
        problems = verdict.problems
        if unkeyed:
            problems.append(
                "ICV_AUDIT_KEY is not set, so the trail is signed with the public development "
                "key: anyone who can write the database could rewrite it unnoticed. Set it "
                "(docs/security.md); no checkpoint was written."
            )
        if problems:
            raise CommandError("\n".join(problems))

        found = verdict.walk
        lines = [f"{found.count} audit entries; the chain is intact."]
        if found.legacy:
            lines.append(
                f"{found.legacy} of them were written before entries were signed and are "
                f"covered by the seal made then ({found.legacy_forks} of those were chained "
                "from an older entry than the one before them, as two appends at once did)."
            )
        lines.append(f"Head: {found.head or '(empty)'}.")
        new, old = verdict.new_checkpoint, verdict.checkpoint
        if new is not None and old is not None:
            lines.append(
                f"The checkpoint of {old.written_at} ({old.count} entries) still holds; "
                f"moved on to {new.count} entries at {path}."
            )
        elif new is not None:
            lines.append(
                f"{'Checkpoint reset' if reset_checkpoint else 'No checkpoint yet'}: "
                f"started one at {new.count} entries at {path}. Keep a copy off this machine."
            )
        else:
            lines.append("No checkpoint kept (ICV_AUDIT_CHECKPOINT is not set).")
        self.stdout.write("\n".join(lines))
