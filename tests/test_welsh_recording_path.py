"""The volunteer's recording path in Welsh (issue 21): every page of the step-by-step flow, the
phone's recording page, the outbox and the report speak Welsh with the recording part's
catalogue (locale/cy/LC_MESSAGES/django.po: no English sentence of it left on any page), and
the report PDF is made in Welsh too.

What is left in English on these pages is content (checklist questions, suite names), which the
bilingual checklists translate, and the parts of the page other catalogues cover."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from icv import catalogue
from tests.conftest import persona
from tests.factories import make_visit
from visits.models import Visit

CATALOGUE = catalogue.catalogue_path("django")


def _english_sentences() -> set[str]:
    """The catalogue's English messages, parts of three words or more, as a page would show
    them (placeholders and tags cut out: only the words around them)."""
    found = set()
    for entry in catalogue.read_po(CATALOGUE):
        for part in re.split(r"%\(\w+\)[sd]|<[^>]+>|\{\w+\}", entry.msgid):
            part = part.strip(" .,:;()")
            if len(part.split()) >= 3:
                found.add(part)
    return found


@pytest.fixture
def welsh(settings, client):
    """Welsh asked for every way a request can ask (the committed catalogue answers)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "cy"
    with translation.override("cy"):
        yield


def _visible_text(page: str) -> str:
    main = page.split("<main", 1)[-1].split("</main>", 1)[0]
    main = re.sub(r"<script.*?</script>|<template.*?</template>", " ", main, flags=re.S)
    words = re.split(r"<[^>]+>", main)
    labels = re.findall(r'(?:aria-label|alt|data-[a-z-]+-text)="([^"]*)"', main)
    return html.unescape(" ".join([*words, *labels]))


def test_every_recording_page_is_in_welsh(client, db, welsh):
    visitor, partner = persona("visitor"), persona("partner")
    draft = make_visit(visitors=[visitor, partner], status=Visit.Status.DRAFT, detainees=1)
    done = make_visit(
        visitors=[visitor, partner], detainees=1, issues=[{"description": "Shower broken."}]
    )
    client.force_login(visitor)
    steps = ["admission", "numbers", "detainees", "detainee-new", "suite", "issues", "sign-off"]
    urls = [reverse("home"), reverse("visit-start"), reverse("outbox"), reverse("visit-record")]
    urls += [reverse(f"visit-{step}", args=[draft.uuid]) for step in [*steps, "check"]]
    urls += [reverse(name, args=[done.uuid]) for name in ("visit-report", "visit-amend")]
    urls.append(reverse("visit-list"))
    english = _english_sentences()
    assert len(english) > 200  # the check reads the catalogue, not an empty file
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = _visible_text(response.content.decode())
        left = sorted(sentence for sentence in english if sentence in text)
        assert not left, f"{url} still says {left}"
    page = _visible_text(client.get(reverse("visit-sign-off", args=[draft.uuid])).content.decode())
    assert "Gofynnwch i ringyll y ddalfa" in page and "Cam 7 o 8" in page


def test_a_refused_step_explains_itself_in_welsh(client, db, welsh):
    visitor, partner = persona("visitor"), persona("partner")
    draft = make_visit(visitors=[visitor, partner], status=Visit.Status.DRAFT)
    client.force_login(visitor)
    response = client.post(reverse("visit-numbers", args=[draft.uuid]), {"in_custody": "5"})
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "Mae problem" in page and "Rhaid i'r nifer yn y ddalfa (5)" in page


def test_the_report_pdf_is_made_in_welsh(client, db, welsh, settings):
    visitor, partner = persona("visitor"), persona("partner")
    done = make_visit(visitors=[visitor, partner], detainees=1)
    client.force_login(visitor)
    response = client.get(reverse("visit-pdf", args=[done.uuid]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    # reportlab writes the document's title, unencrypted, into the PDF's Info dictionary.
    assert b"Adroddiad ymweliad" in response.content
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"
    with translation.override("en-gb"):
        english = client.get(
            reverse("visit-pdf", args=[done.uuid]), HTTP_ACCEPT_LANGUAGE="en-gb"
        ).content
    assert b"Custody visit report" in english and b"Adroddiad ymweliad" not in english
