"""Back up the database and the media together into a new folder (docs/deployment.md,
"Backup and restore").

manage.py backup /var/backups/icv/2026-12-01

The folder holds personal data: it is made readable by its owner only; keep it encrypted and
off the machine. The manifest says when the backup was taken, so a restore can re-apply the
retention periods that passed since."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from visits.management import backups


class Command(BaseCommand):
    help = "Back up the database and every media file into a new (or empty) folder."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="where to write the backup (new or empty)")

    def handle(self, *args, folder: Path, **options):
        try:
            manifest = backups.back_up(folder)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        size = manifest.database["size"] + sum(entry["size"] for entry in manifest.media)
        self.stdout.write(
            f"Backed up the {manifest.database['engine']} database and {len(manifest.media)} "
            f"media files ({size / 1_000_000:.1f} MB, from {manifest.storage}) into {folder}, "
            f"taken at {manifest.taken_at}; the audit trail had {manifest.audit['count']} entries."
        )
        if manifest.missing_media:
            self.stderr.write(
                f"{len(manifest.missing_media)} files the database points to were not in the "
                "storage (their pages say the file is missing): "
                + ", ".join(manifest.missing_media[:10])
            )
