"""Each person's language: chosen on their account, used for their pages (icv.middleware),
their e-mails (visits.notifications) and the PDFs they download. One definition of which
language a person reads, for every door."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

from visits.errors import DomainError
from visits.models import Profile
from visits.services import audit

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def chosen_language(user) -> str:
    """The language `user` chose, or "" (none chosen: their browser's preference decides).
    Read through the `profile` relation, so a caller that selected it costs no query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    try:
        return user.profile.language
    except Profile.DoesNotExist:
        return ""


def language_of(user) -> str:
    """The language to write to `user` in when there is no browser to ask (e-mails, jobs)."""
    return chosen_language(user) or settings.LANGUAGE_CODE


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
