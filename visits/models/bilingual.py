"""The one place that decides which of a content text's two languages a reader sees.

Content a scheme writes (checklist names, section titles, questions, help text, choices, suite,
panel and scheme names) has an English field (`text`) and a Welsh one (`text_cy`). A bilingual
scheme fills both (a checklist version is published only when every Welsh text is there:
services.checklists.publish); any other scheme may leave the Welsh blank. A reader whose active
language is Welsh reads the Welsh text where there is one, and the English otherwise; everyone
else reads the English. Pages, the API, PDFs and summaries use `localised()` (or the `shown_*`
properties built on it), never the fields directly, to show a text to a person.
"""

from django.utils import translation

WELSH = "cy"


def reading_welsh(language: str | None = None) -> bool:
    """Whether `language` (the active language if None) is Welsh."""
    language = language or translation.get_language() or ""
    return language.lower().split("-")[0] == WELSH


def pick(english, welsh, language: str | None = None):
    """`welsh` for a Welsh reader when there is one, else `english`."""
    return welsh if welsh and reading_welsh(language) else english


class Bilingual:
    """A model with Welsh counterparts of some fields, named `<field>_cy`."""

    def localised(self, field: str, language: str | None = None):
        """The text of `field` in `language` (the active one if None), falling back to English."""
        return pick(getattr(self, field), getattr(self, f"{field}_cy", ""), language)

    @property
    def shown_name(self) -> str:
        return self.localised("name")
