"""The language chooser (issue 21): shape and types only; choosing is
visits.services.languages.choose_language."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    """Which language a person reads: English, Welsh, or "" (their browser's preference). Each
    language is named in itself ("Cymraeg", "English"), as a reader of it looks for it."""

    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("The language of your browser")), *settings.LANGUAGES],
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the languages offered.")},
    )
    # Where to go back to; Django's set_language checks that it is on this site.
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
