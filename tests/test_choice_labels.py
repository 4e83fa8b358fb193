"""Every model of the domain shows a choice's label through visits.models.base.Model: in the
reader's language, the stored value when it is not a choice, without translating every label."""

from unittest import mock

from django.apps import apps
from django.utils import translation
from django.utils.translation import trans_real

from visits.models import Issue, IssueEvent
from visits.models.base import Model


def test_every_model_of_the_domain_has_the_base():
    plain = [
        m.__name__ for m in apps.get_app_config("visits").get_models() if not issubclass(m, Model)
    ]
    assert plain == []


def test_a_label_in_the_readers_language_and_an_unknown_value_as_it_is():
    issue = Issue(status=Issue.Status.RAISED, category="conditions")
    assert issue.get_status_display() == "Raised"
    with translation.override("cy"):
        assert issue.get_status_display() == "Wedi'i godi"
    assert Issue(status="no-such-status").get_status_display() == "no-such-status"


def test_one_label_shown_is_one_translation():
    event = IssueEvent(kind=IssueEvent.Kind.REFERRED)
    event.get_kind_display()  # the field's choices read once
    translation.gettext("Referred")  # Django's translation machinery set up
    with mock.patch.object(translation._trans, "gettext", wraps=trans_real.gettext) as translated:
        event.get_kind_display()
    assert translated.call_count == 1
