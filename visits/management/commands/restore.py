"""Restore a backup made by `manage.py backup`: the database, then the media, then today's
retention and the audit check (docs/deployment.md, "Backup and restore").

manage.py restore /var/backups/icv/2026-12-01            # into an empty database
manage.py restore FOLDER --replace                      # over whatever the database holds
manage.py restore FOLDER --accept-restored-audit-chain  # the trail checkpointed since is lost

Nothing is changed until the backup's files have been checked against its manifest. After the
restore, the schema is migrated to this version of the app, the storage holds exactly the
media files the restored rows point to, data past its keeping period is
anonymised again (an old backup must not bring it back), the restore is recorded in the audit
trail, and `verify_audit_chain` must pass."""

import contextlib
import datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from visits.management import backups
from visits.services import audit, retention


class Command(BaseCommand):
    help = "Restore the database and the media from a backup folder, then re-apply retention."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="a folder written by `manage.py backup`")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="overwrite a database that is not empty (everything in it is lost)",
        )
        parser.add_argument(
            "--accept-restored-audit-chain",
            action="store_true",
            help="the audit checkpoint counts entries written after the backup, which the "
            "restore loses: start the checkpoint again from the restored trail (recorded in it)",
        )

    def handle(self, *args, folder: Path, replace=False, accept_restored_audit_chain=False, **_):
        try:
            manifest = self._checked(folder, accept_restored_audit_chain)
            backups.load_database(folder / manifest.database["name"], replace=replace)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        call_command("migrate", interactive=False, verbosity=0)
        # What was cached (summary figures, counters) belongs to the data just replaced.
        cache.clear()
        try:
            restored, left_out, removed = backups.copy_media_in(
                folder, manifest.media, referenced=backups.referenced_media()
            )
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        taken_at = datetime.datetime.fromisoformat(manifest.taken_at)
        self.stdout.write(
            f"Restored the database and {restored} media files from the backup taken at "
            f"{timezone.localtime(taken_at):%d %B %Y %H:%M} "
            f"({(timezone.now() - taken_at).days} days ago). {left_out} files in the backup that "
            f"no row points to were left out; {removed} files the restored database does not "
            "use were removed from the storage."
        )
        audit.record(
            actor=None,
            action="backup.restored",
            detail={
                "taken_at": manifest.taken_at,
                "database_sha256": manifest.database["sha256"],
                "media_files": restored,
                "audit_entries_in_backup": manifest.audit["count"],
                "accepted_shorter_chain": accept_restored_audit_chain,
            },
        )
        # What passed its keeping period since the backup was taken goes again now.
        for done in retention.apply():
            self.stdout.write(f"Retention: {done}")
        try:
            call_command(
                "verify_audit_chain",
                reset_checkpoint=accept_restored_audit_chain,
                stdout=self.stdout,
            )
        except CommandError as error:
            raise CommandError(
                f"The data is restored, but the audit check failed:\n{error}\nIf this backup is "
                "the one you meant to restore, run `manage.py verify_audit_chain "
                "--reset-checkpoint` (recorded in the trail) and keep this output."
            ) from None

    def _checked(self, folder: Path, accept_shorter_chain: bool) -> backups.Manifest:
        """The backup's manifest, once its files match it and it fits this database and the
        audit checkpoint; nothing is changed before."""
        manifest = backups.Manifest.read(folder)
        problems = manifest.problems_in(folder)
        if problems:
            raise backups.BackupError(
                "The backup is damaged; nothing was restored:\n" + "\n".join(problems)
            )
        if manifest.database["engine"] != backups.engine():
            raise backups.BackupError(
                f"The backup holds a {manifest.database['engine']} database; this app is "
                f"configured for {backups.engine()} (ICV_DATABASE_URL)."
            )
        checkpoint = None
        path = settings.ICV_AUDIT_CHECKPOINT
        if path is not None and not accept_shorter_chain:
            with contextlib.suppress(audit.CheckpointError):
                checkpoint = audit.read_checkpoint(path)
        if checkpoint is not None and checkpoint.count > manifest.audit["count"]:
            raise backups.BackupError(
                f"The audit checkpoint ({path}, {checkpoint.written_at}) counts "
                f"{checkpoint.count} entries; the backup holds {manifest.audit['count']}. "
                "Restoring loses the entries written since the backup, and the audit check "
                "would then fail. If that is what you mean, run again with "
                "--accept-restored-audit-chain (the checkpoint then starts again from the "
                "restored trail, and that is recorded in it); keep the old checkpoint file as "
                "evidence of what was lost. Nothing was restored."
            )
        return manifest
