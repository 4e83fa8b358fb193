"""The language of a page and of its parts, as HTML's lang attribute wants it (BCP 47), and
the languages a switch offers."""

from django import template
from django.conf import settings
from django.utils.translation import get_language

from visits.services.languages import lang_attribute

register = template.Library()


@register.filter
def bcp47(code: str) -> str:
    """A Django language code as a lang attribute: "en-gb" → "en-GB", "cy" → "cy"."""
    return lang_attribute(code) if code else ""


@register.simple_tag
def html_lang() -> str:
    """The active language as a lang attribute (the page's, or an e-mail's)."""
    return lang_attribute()


@register.simple_tag
def other_languages() -> list[tuple[str, str]]:
    """The languages offered besides the active one, each named in itself (settings.LANGUAGES:
    "Cymraeg", "English"), never translated into the page's language."""
    current = get_language()
    return [(code, name) for code, name in settings.LANGUAGES if code != current]
