"""Anonymise detainee-level data past each scheme's retention period (run daily from cron).

manage.py apply_retention            # do it, and say what was done
manage.py apply_retention --dry-run  # say what would be done"""

from django.core.management.base import BaseCommand

from visits.services import retention


class Command(BaseCommand):
    help = "Anonymise detainee-level data older than each scheme's retention period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            self.stdout.write("Dry run: nothing is changed. This is what would be anonymised.")
        for result in retention.apply(dry_run=dry_run):
            self.stdout.write(str(result))
