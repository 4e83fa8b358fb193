"""The Welsh catalogue (docs/translations.md), also run as bin/translations.

python manage.py translations                      # regenerate locale/cy/ and compile it
python manage.py translations --fragments DIR/*.po  # ...taking Welsh from these files too
python manage.py translations --check              # what is missing, fuzzy or stale
"""

import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from icv import catalogue


class Command(BaseCommand):
    help = "Regenerate and compile the Welsh catalogue from the code, or check it (--check)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fragments",
            nargs="*",
            default=None,
            help="Welsh .po files to take translations from (default: locale/fragments/*.po)",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing; list every message without its Welsh, and exit 1 if any",
        )

    def handle(self, *args, fragments=None, check=False, **options):
        if check:
            with tempfile.TemporaryDirectory() as tmp:
                problems = catalogue.check(work_dir=Path(tmp))
            for problem in problems:
                self.stdout.write(problem)
            if problems:
                raise CommandError(f"{len(problems)} problems in the Welsh catalogue")
            self.stdout.write("The Welsh catalogue is complete and compiled.")
            return
        if fragments is None:
            fragments = catalogue.fragments_in(catalogue.FRAGMENTS_DIR)
        fragments = [Path(path) for path in fragments]
        for conflict in catalogue.fragment_conflicts(fragments):
            self.stderr.write(f"Two translations: {conflict}")
        try:
            written = catalogue.regenerate(fragments=fragments)
        except RuntimeError as error:  # a gettext tool refused: say which and why
            raise CommandError(str(error)) from error
        for po in written:
            entries = catalogue.read_po(po)
            untranslated = sum(1 for e in entries if e.fuzzy or not all(e.msgstr))
            self.stdout.write(
                f"{po}: {len(entries)} messages, {untranslated} without their Welsh; compiled"
            )
