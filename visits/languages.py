"""Which language a person reads: the one definition for every door (pages, e-mails, PDFs).
Read-only; choosing it is visits.services.languages.choose_language."""

from django.conf import settings

from visits.models import Profile

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
