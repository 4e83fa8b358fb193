"""The national annual (or quarterly) PDF: every scheme's summary in one document.

    python manage.py national_report --period 2025 --output national-2025.pdf

For the national association; it reads every scheme, so it is a command for the operator of
the deployment, not a page."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from visits.models import Scheme
from visits.periods import Period
from visits.summaries import summarise
from visits.summary_pdf import render_national


class Command(BaseCommand):
    help = "Write one PDF with every scheme's summary for a year (2025) or quarter (2025-Q4)."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="2025 or 2025-Q4")
        parser.add_argument("--output", required=True, help="Where to write the PDF")

    def handle(self, *args, period: str, output: str, **options):
        try:
            chosen = Period.parse(period)
        except ValueError as error:
            raise CommandError(str(error)) from None
        summaries = [summarise(scheme, chosen) for scheme in Scheme.objects.order_by("name")]
        data = render_national(summaries, chosen.label)
        Path(output).write_bytes(data)
        self.stdout.write(f"Wrote {output}: {len(summaries)} schemes, {len(data):,} bytes.")
