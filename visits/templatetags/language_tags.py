"""The language of a page and of its parts, as HTML's lang attribute wants it (BCP 47)."""

from django import template

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
