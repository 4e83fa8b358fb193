"""Bilingual content (issue 21, the Welsh Language Standards): a bilingual scheme's checklists,
suites and panels carry their Welsh; one place (visits.models.bilingual) picks the text a reader
reads, falling back to English; a bilingual scheme publishes a checklist version only with every
Welsh text; a choice is stored in English whatever the language it was answered in; and what the
scheme publishes (the PCC's summary PDF, the public figures) is in both languages."""

import datetime
import re
import subprocess
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from tests.conftest import persona
from tests.factories import make_visit
from visits import checklist_defaults, visit_read_model
from visits.errors import DomainError
from visits.forms import DetaineeForm
from visits.languages import chosen_language
from visits.models import (
    ChecklistSection,
    ChecklistTemplate,
    ChecklistVersion,
    CustodySuite,
    Question,
    Scheme,
)
from visits.models.bilingual import pick, reading_welsh
from visits.periods import Period
from visits.services import checklists
from visits.services import publication as publication_service
from visits.summaries import summarise

LONDON = zoneinfo.ZoneInfo("Europe/London")


def dyfed_powys() -> Scheme:
    return Scheme.objects.get(slug="dyfed-powys")


def draft_of(scheme: Scheme, kind: str = "detainee") -> ChecklistVersion:
    template = ChecklistTemplate.objects.get(scheme=scheme, kind=kind)
    return checklists.start_draft(actor=persona("manager"), template=template)


def a_question(version: ChecklistVersion, key: str) -> Question:
    return Question.objects.get(section__version=version, key=key)


# --- The defaults and the demo -----------------------------------------------------------------


def test_every_default_text_has_its_welsh():
    keys, titles = set(), set()
    for sections in (checklist_defaults.DETAINEE, checklist_defaults.SUITE):
        for title, questions in sections:
            titles.add(title)
            keys |= {key for key, _text, _category in questions}
    assert set(checklist_defaults.QUESTIONS_CY) == keys
    assert set(checklist_defaults.SECTIONS_CY) == titles
    assert set(checklist_defaults.NAMES_CY) == set(ChecklistTemplate.Kind.values)
    english = {
        text
        for s in checklist_defaults.DETAINEE + checklist_defaults.SUITE
        for _k, text, _c in s[1]
    }
    assert not english & set(checklist_defaults.QUESTIONS_CY.values())  # written, not copied
    assert any("ŷ" in text for text in checklist_defaults.QUESTIONS_CY.values())


def test_the_demo_has_a_bilingual_welsh_scheme_with_a_visitor_who_reads_welsh(db):
    scheme = dyfed_powys()
    assert scheme.bilingual and scheme.name_cy
    names = dict(scheme.suites.values_list("name", "name_cy"))
    assert names == {
        "Llanelli": "Llanelli",
        "Aberystwyth": "Aberystwyth",
        "Haverfordwest": "Hwlffordd",
        "Newtown": "Y Drenewydd",
    }
    assert all(panel.name_cy for panel in scheme.panels.all())
    assert chosen_language(persona("ymwelydd")) == "cy"
    for kind, version in checklists.current_versions(scheme).items():
        assert checklists.missing_welsh(version) == [], kind
        assert version.template.name_cy == checklist_defaults.NAMES_CY[kind]


# --- Publishing --------------------------------------------------------------------------------


def test_a_bilingual_scheme_publishes_a_version_only_with_every_welsh_text(db):
    manager = persona("dyfed.manager")
    draft = draft_of(dyfed_powys())
    told = a_question(draft, "told_rights")
    told.text_cy = ""
    told.help_text = "Ask them to say their rights back."
    told.save()
    section = told.section
    section.title_cy = ""
    section.save()
    Question.objects.create(
        section=section,
        key="where_seen",
        text="Where they were seen",
        answer_type=Question.AnswerType.CHOICE,
        choices=["In their cell", "In an interview room"],
        choices_cy=["Yn eu cell"],  # one of the two
        order=99,
    )
    with pytest.raises(DomainError) as refused:
        checklists.publish(actor=manager, version=draft)
    error = refused.value
    assert error.code == "welsh_text_missing"
    for named in (
        "Told their rights",  # its text, and its help text
        "the help text of “Told their rights”",
        "“Rights”",
        "“Where they were seen”",
    ):
        assert named in error.message, named
    draft.refresh_from_db()
    assert draft.status == ChecklistVersion.Status.DRAFT

    told.text_cy = checklist_defaults.QUESTIONS_CY["told_rights"]
    told.help_text_cy = "Gofynnwch iddyn nhw ddweud eu hawliau yn ôl wrthych chi."
    told.save()
    section.title_cy = "Hawliau"
    section.save()
    Question.objects.filter(key="where_seen", section=section).update(
        text_cy="Ble cawson nhw eu gweld", choices_cy=["Yn eu cell", "Mewn ystafell gyfweld"]
    )
    checklists.publish(actor=manager, version=draft)
    draft.refresh_from_db()
    assert draft.status == ChecklistVersion.Status.PUBLISHED


def test_a_scheme_that_is_not_bilingual_publishes_without_welsh(db):
    norfolk = Scheme.objects.get(slug="norfolk")
    assert not norfolk.bilingual
    draft = draft_of(norfolk)
    Question.objects.filter(section__version=draft).update(text_cy="")
    ChecklistSection.objects.filter(version=draft).update(title_cy="")
    checklists.publish(actor=persona("manager"), version=draft)
    assert ChecklistVersion.objects.get(pk=draft.pk).status == ChecklistVersion.Status.PUBLISHED


# --- Which text a reader reads -----------------------------------------------------------------


def test_a_welsh_reader_reads_the_welsh_and_english_where_there_is_none(db):
    haverfordwest = CustodySuite.objects.get(name="Haverfordwest")
    wymondham = CustodySuite.objects.get(name="Wymondham")  # Norfolk's: no Welsh name
    version = checklists.current_version(dyfed_powys(), "detainee")
    told = a_question(version, "told_rights")
    with translation.override("cy"):
        assert reading_welsh()
        assert haverfordwest.shown_name == "Hwlffordd"
        assert wymondham.shown_name == "Wymondham"
        assert told.shown_text == checklist_defaults.QUESTIONS_CY["told_rights"]
        assert told.section.shown_title == "Hawliau"
        told.text_cy = ""  # a scheme that wrote no Welsh
        assert told.shown_text == "Told their rights"
        told.text_cy = checklist_defaults.QUESTIONS_CY["told_rights"]
    with translation.override("en-gb"):
        assert not reading_welsh()
        assert haverfordwest.shown_name == "Haverfordwest"
        assert told.shown_text == "Told their rights"
    assert pick("English", "Cymraeg", "cy") == "Cymraeg"
    assert pick("English", "", "cy") == pick("English", "Cymraeg", "en-gb") == "English"


def test_a_choice_is_stored_in_english_and_read_in_the_readers_language(db):
    question = Question(
        key="where_seen",
        text="Where they were seen",
        text_cy="Ble cawson nhw eu gweld",
        answer_type=Question.AnswerType.CHOICE,
        choices=["In their cell", "In an interview room"],
        choices_cy=["Yn eu cell", "Mewn ystafell gyfweld"],
    )
    with translation.override("cy"):
        assert question.shown_choices == [
            ("In their cell", "Yn eu cell"),
            ("In an interview room", "Mewn ystafell gyfweld"),
        ]
        assert (
            visit_read_model._answer_label(question, "In an interview room")
            == "Mewn ystafell gyfweld"
        )
        # An option since taken out of the checklist reads as it was stored.
        assert question.choice_label("In the yard") == "In the yard"
    with translation.override("en-gb"):
        assert visit_read_model._answer_label(question, "In their cell") == "In their cell"
    question.choices_cy = ["Yn eu cell"]  # a scheme that is not bilingual wrote only one
    with translation.override("cy"):
        assert question.choice_label("In an interview room") == "In an interview room"


def test_the_checklist_form_shows_welsh_options_and_keeps_the_english_value(db):
    draft = draft_of(dyfed_powys())
    section = ChecklistSection.objects.filter(version=draft).order_by("order").first()
    question = Question.objects.create(
        section=section,
        key="where_seen",
        text="Where they were seen",
        text_cy="Ble cawson nhw eu gweld",
        help_text="Where you spoke to them.",
        help_text_cy="Ble siaradoch chi â nhw.",
        answer_type=Question.AnswerType.CHOICE,
        choices=["In their cell", "In an interview room"],
        choices_cy=["Yn eu cell", "Mewn ystafell gyfweld"],
        order=99,
    )
    sections = list(ChecklistSection.objects.filter(version=draft).prefetch_related("questions"))
    name = f"q_{question.pk}"
    with translation.override("cy"):
        form = DetaineeForm(
            data={"custody_number": "DP/00001/26", name: "In an interview room"},
            sections=sections,
            scheme=dyfed_powys(),
        )
        field = form.fields[name]
        assert field.label == "Ble cawson nhw eu gweld"
        assert field.help_text == "Ble siaradoch chi â nhw."
        assert ("In an interview room", "Mewn ystafell gyfweld") in list(field.choices)
        assert form.is_valid(), form.errors
        assert form.cleaned_data[name] == "In an interview room"  # stored in English
        html = form[name].as_widget()
        assert 'value="In an interview room"' in html and "Mewn ystafell gyfweld" in html
        welsh_sent = DetaineeForm(
            data={"custody_number": "DP/00001/26", name: "Mewn ystafell gyfweld"},
            sections=sections,
            scheme=dyfed_powys(),
        )
        assert not welsh_sent.is_valid() and name in welsh_sent.errors


def test_the_api_serves_both_texts(client, db):
    client.force_login(persona("ymwelydd"))
    version = checklists.current_version(dyfed_powys(), "detainee")
    body = client.get(f"/api/checklists/{version.pk}/").json()
    told = next(q for q in body["questions"] if q["key"] == "told_rights")
    assert told["text"] == "Told their rights"
    assert told["text_cy"] == checklist_defaults.QUESTIONS_CY["told_rights"]
    assert (told["section"], told["section_cy"]) == ("Rights", "Hawliau")
    assert {"help_text", "help_text_cy", "choices", "choices_cy"} <= set(told)
    suites = client.get("/api/suites/").json()
    rows = suites["results"] if isinstance(suites, dict) else suites
    assert {"name": "Haverfordwest", "name_cy": "Hwlffordd"}.items() <= next(
        row for row in rows if row["name"] == "Haverfordwest"
    ).items()


def test_the_suite_editor_asks_a_bilingual_scheme_for_the_welsh_name(client, db):
    suite = CustodySuite.objects.get(name="Newtown")
    client.force_login(persona("dyfed.manager"))
    url = reverse("suite-edit", args=[suite.pk])
    page = client.get(url).content.decode()
    assert 'name="name_cy"' in page
    data = {
        "name": "Newtown",
        "name_cy": "",
        "address": suite.address,
        "cells": suite.cells,
        "visits_per_week": 1,
        "panel": suite.panel_id,
        "active": "on",
        "custody_number_prefix": "",
    }
    refused = client.post(url, data)
    assert refused.status_code in (200, 400)
    suite.refresh_from_db()
    assert suite.name_cy == "Y Drenewydd"  # unchanged
    client.post(url, {**data, "name_cy": "Drenewydd"})
    suite.refresh_from_db()
    assert suite.name_cy == "Drenewydd"


# --- What a bilingual scheme publishes ---------------------------------------------------------

Q3 = "2026-Q3"


@pytest.fixture
def dyfed_powys_quarter(db):
    """Two Dyfed-Powys visits in 2026-Q3, at Hwlffordd, each with a detainee."""
    pair = [persona("ymwelydd"), persona("dyfed.visitor")]
    for day in (datetime.date(2026, 7, 14), datetime.date(2026, 8, 18)):
        arrived = datetime.datetime.combine(day, datetime.time(10), tzinfo=LONDON)
        with time_machine.travel(arrived + datetime.timedelta(hours=3), tick=False):
            make_visit(suite_name="Haverfordwest", visitors=pair, detainees=1, arrived_at=arrived)
    return dyfed_powys()


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "summary.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def test_the_pccs_summary_pdf_of_a_bilingual_scheme_is_in_english_then_welsh(
    dyfed_powys_quarter, tmp_path
):
    from visits.summary_pdf import render_summary

    summary = summarise(dyfed_powys_quarter, Period.parse(Q3), today=datetime.date(2026, 12, 1))
    with translation.override("en-gb"):
        text = pdf_text(render_summary(summary), tmp_path)
    assert "Haverfordwest" in text and "Hwlffordd" in text  # the suite in both languages
    english = text.index("Told their rights")
    welsh = text.index(checklist_defaults.QUESTIONS_CY["told_rights"])
    assert english < welsh  # English first, then Welsh
    with translation.override("cy"):
        heading = translation.gettext("Summary for the Police and Crime Commissioner")
    assert len(re.findall(re.escape("Summary for the Police and Crime Commissioner"), text)) >= 2
    assert english < text.rindex(heading) < welsh  # the Welsh part's title, in Welsh
    # A scheme that is not bilingual prints one language only.
    norfolk = summarise(
        Scheme.objects.get(slug="norfolk"), Period.parse(Q3), today=datetime.date(2026, 12, 1)
    )
    with translation.override("en-gb"):
        assert "Hawliau" not in pdf_text(render_summary(norfolk), tmp_path)


def test_a_bilingual_schemes_public_figures_are_in_both_languages(client, dyfed_powys_quarter):
    with time_machine.travel(datetime.datetime(2026, 12, 1, 12, tzinfo=LONDON), tick=False):
        publication_service.publish_quarter(
            actor=persona("dyfed.manager"),
            scheme=dyfed_powys_quarter,
            period=Q3,
            today=datetime.date(2026, 12, 1),
        )
        page = client.get(
            reverse("public-quarter", args=["dyfed-powys", Q3]), HTTP_ACCEPT_LANGUAGE="en-GB"
        ).content.decode()
    english, other = page.split('<div lang="cy">', 1)
    assert "Haverfordwest" in english and "Told their rights" in english
    assert "Hwlffordd" in other
    assert checklist_defaults.QUESTIONS_CY["told_rights"] in other
    assert "Told their rights" not in other
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # the Welsh copy's ids are its own
