"""Every page shows the core's refusals one way (visits.forms.refuse)."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from visits.errors import ConflictError, DomainError, NotFound, NotPermitted
from visits.forms import refuse


class NoteForm(forms.Form):
    note = forms.CharField()
    when = forms.DateField()


def page_request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_what_the_person_may_not_do_is_a_403_and_what_they_may_not_see_a_404():
    with pytest.raises(PermissionDenied, match="Only the manager"):
        refuse(page_request(), NotPermitted("Only the manager.", code="role_not_allowed"))
    with pytest.raises(Http404):
        refuse(page_request(), NotFound("No such slot.", code="not_found"), NoteForm({}))


def test_each_message_goes_by_its_field_and_the_rest_above_the_form():
    form = NoteForm({"note": "x", "when": "2026-12-01"})
    form.is_valid()
    error = DomainError(
        "Two things.", code="bad", fields={"note": "Too short.", "elsewhere": "Not a field."}
    )
    refuse(page_request(), error, form)
    assert form.errors["note"] == ["Too short."]
    assert "__all__" not in form.errors  # placed by one field already

    form = NoteForm({"note": "x", "when": "2026-12-01"})
    form.is_valid()
    refuse(page_request(), ConflictError("Someone saved first.", code="stale"), form)
    assert form.non_field_errors() == ["Someone saved first."]


def test_without_a_form_the_message_is_the_pages():
    request = page_request()
    refuse(request, DomainError("The period is closed.", code="closed"))
    assert [str(m) for m in get_messages(request)] == ["The period is closed."]
