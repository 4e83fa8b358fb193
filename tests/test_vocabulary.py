"""The words of a report are defined once (visits.models.visits: DETAINEE_FLAGS and
NOT_VISITED_LABELS) and every door reads them: a flag or reason added there reaches the model,
the forms, the API, the report and the record page's JavaScript, or this fails."""

import json
import re
from pathlib import Path

from django.db import models
from django.test import Client
from django.urls import reverse

from api.serializers import DetaineeOutSerializer, DetaineeSerializer
from tests.conftest import persona
from visits.forms import DetaineeForm, NumbersForm
from visits.models import (
    DETAINEE_FLAG_NAMES,
    DETAINEE_FLAGS,
    NOT_VISITED_LABELS,
    DetaineeRecord,
    Scheme,
    Visit,
)
from visits.services.visits import DetaineeDetails

ROOT = Path(__file__).resolve().parent.parent


def test_every_yes_or_no_fact_of_a_detainee_is_a_flag_and_every_flag_a_field():
    booleans = {
        f.name for f in DetaineeRecord._meta.get_fields() if isinstance(f, models.BooleanField)
    }
    assert booleans == set(DETAINEE_FLAG_NAMES)
    assert len(DETAINEE_FLAG_NAMES) == len(set(DETAINEE_FLAG_NAMES))


def test_every_not_visited_count_has_its_one_label():
    counts = {f.name for f in Visit._meta.get_fields() if f.name.startswith("nv_")}
    assert counts - {"nv_access_denied_reason"} == set(NOT_VISITED_LABELS)
    for name, label in NOT_VISITED_LABELS.items():
        assert Visit._meta.get_field(name).verbose_name == label
    assert tuple(NOT_VISITED_LABELS) == Visit.NOT_VISITED_FIELDS


def test_the_doors_read_the_flags_and_reasons(db):
    form = DetaineeForm(sections=[], scheme=Scheme.objects.first())
    for flag in DETAINEE_FLAGS:
        assert form.fields[flag.name].label == flag.label
        assert DetaineeDetails(custody_number="X").__dict__[flag.name] is False
    assert set(DetaineeSerializer().fields) >= set(DETAINEE_FLAG_NAMES)
    assert set(DetaineeOutSerializer().fields) >= set(DETAINEE_FLAG_NAMES)
    numbers = NumbersForm()
    assert numbers.fields["nv_known_to_visitor"].label == "Known to a visitor"


def test_the_record_page_gives_its_javascript_the_flags(db):
    client = Client()
    client.force_login(persona("visitor"))
    html = client.get(reverse("visit-record")).content.decode()
    given = re.search(r'<script id="detainee-flags" type="application/json">(.*?)</script>', html)
    assert [flag["name"] for flag in json.loads(given.group(1))] == list(DETAINEE_FLAG_NAMES)
    script = (ROOT / "static/js/record.js").read_text()
    assert "detainee-flags" in script
    for name in DETAINEE_FLAG_NAMES:  # no copy of the list
        assert f'"{name}"' not in script
