"""A person's language: chosen through the service, audited, read back for every door."""

import pytest
from django.contrib.auth import get_user_model

from visits.errors import DomainError
from visits.languages import chosen_language, language_of
from visits.models import AuditEntry
from visits.services import languages

pytestmark = pytest.mark.django_db


def test_chosen_language_is_read_back_and_audited_once():
    user = get_user_model().objects.create_user("language-test")
    assert chosen_language(user) == ""
    assert language_of(user) == "en-gb"
    languages.choose_language(actor=user, language="cy")
    languages.choose_language(actor=user, language="cy")
    user.refresh_from_db()
    assert chosen_language(user) == "cy"
    assert language_of(user) == "cy"
    assert AuditEntry.objects.filter(action="account.language_chosen", actor=user).count() == 1


def test_an_unknown_language_is_refused_with_a_code():
    user = get_user_model().objects.create_user("language-test")
    with pytest.raises(DomainError) as refused:
        languages.choose_language(actor=user, language="fr")
    assert refused.value.code == "language_unknown"
    assert chosen_language(user) == ""
