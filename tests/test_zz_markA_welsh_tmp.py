"""TEMPORARY (not committed): render the recording path in Welsh and print its text."""

import re
import subprocess

from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from tests.conftest import persona
from tests.factories import make_issue, make_visit
from visits.models import Visit


def test_print_welsh_pages(db, settings, tmp_path):
    out = tmp_path / "cy" / "LC_MESSAGES"
    out.mkdir(parents=True)
    subprocess.run(["msgfmt", "-o", str(out / "django.mo"), "locale/fragments/record.po"], check=True)
    settings.LOCALE_PATHS = [str(tmp_path)]
    trans_real._translations = {}
    trans_real._active = __import__("asgiref.local").local.Local()
    visitor, partner = persona("visitor"), persona("partner")
    draft = make_visit(visitors=[visitor, partner], status=Visit.Status.DRAFT, detainees=1)
    done = make_visit(visitors=[visitor, partner], detainees=1)
    make_issue(visit=done, raised_by=visitor, description="Shower broken.")
    from django.test import Client

    client = Client()
    client.force_login(visitor)
    urls = ["/", reverse("visit-start"), reverse("outbox"), reverse("visit-record"), reverse("visit-list")]
    for name in ["visit-admission", "visit-numbers", "visit-detainees", "visit-detainee-new", "visit-suite", "visit-issues", "visit-sign-off", "visit-check"]:
        urls.append(reverse(name, args=[draft.uuid]))
    urls += [reverse("visit-report", args=[done.uuid]), reverse("visit-amend", args=[done.uuid])]
    with translation.override("cy"):
        for url in urls:
            page = client.get(url).content.decode()
            body = page.split("<main", 1)[-1]
            body = re.sub(r"<script.*?</script>|<template.*?</template>", " ", body, flags=re.S)
            texts = [t.strip() for t in re.split(r"<[^>]+>", body) if t.strip()]
            attrs = re.findall(r'(?:aria-label|alt|title|placeholder|data-[a-z-]+)="([^"]*[a-z]{3,}[^"]*)"', body)
            print("=====", url)
            print(" | ".join(texts + attrs))
        pdf = client.get(reverse("visit-pdf", args=[done.uuid]))
        print("PDF", pdf.status_code, len(pdf.content))
