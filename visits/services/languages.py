"""Each person's language: chosen on their account (`choose_language`), used for their pages
(icv.middleware), their e-mails (visits.mail_messages) and the PDFs they download. Which
language a person reads is defined once, in visits/languages.py."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

from visits.errors import DomainError
from visits.languages import LANGUAGE_CODES
from visits.models import Profile
from visits.services import audit


def lang_attribute(code: str | None = None) -> str:
    """A language code as HTML's lang attribute and the manifest's lang want it (BCP 47):
    "en-gb" → "en-GB", "cy" → "cy"; no code: the active language's."""
    return to_locale(code or get_language() or settings.LANGUAGE_CODE).replace("_", "-")


def choose_language(*, actor, language: str) -> Profile:
    """`actor` chooses the language of their pages, e-mails and PDFs ("" = the browser's)."""
    if language and language not in LANGUAGE_CODES:
        raise DomainError(
            _("Choose one of the languages offered."), code="language_unknown", field="language"
        )
    with transaction.atomic():
        profile, _created = Profile.objects.select_for_update().get_or_create(user=actor)
        if profile.language != language:
            before = profile.language
            profile.language = language
            profile.save(update_fields=["language"])
            audit.record(
                actor=actor,
                action="account.language_chosen",
                obj=profile,
                detail={"from": before, "to": language},
            )
        return profile
