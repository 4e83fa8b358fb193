"""The language cookie: what icv.middleware.LocaleMiddleware reads on every request, written
when a person signs in (from the language chosen on their account) and when they choose one
(visits.views.languages). Kept apart from icv.middleware so that a page may use it."""

from django.conf import settings

_LANGUAGE_TO_REMEMBER = "_icv_language_to_remember"


def remember_language(request, language: str) -> None:
    """Write `language` to the language cookie on this request's response ("" forgets it: the
    browser's Accept-Language decides again)."""
    setattr(request, _LANGUAGE_TO_REMEMBER, language)


def set_language_cookie(response, language: str) -> None:
    """The language cookie, as Django's set_language view writes it, or deleted for ""."""
    if not language:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def language_to_remember(request) -> str | None:
    """The language remember_language asked for on this request, if any."""
    return getattr(request, _LANGUAGE_TO_REMEMBER, None)
