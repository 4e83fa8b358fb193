"""The forms of recruitment (issue 22): shape and types only; the rules are the service's
(visits.services.recruitment), which the views call with the clean data."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from visits.forms import date_field

# A UK postcode's first half ("NR2", "IP14", "EC1A"): where someone lives, to the district.
POSTCODE_AREA = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


class ApplicationForm(forms.Form):
    # autocomplete: WCAG 2.2 1.3.5, the purpose of each input about the person is declared.
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    postcode_area = forms.CharField(
        label=_("Postcode area"),
        max_length=8,
        help_text=_("The first half of your postcode only, for example NR2."),
    )
    motivation = forms.CharField(
        label=_("Why would you like to be a custody visitor?"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    availability = forms.CharField(
        label=_("When are you usually free?"),
        max_length=1000,
        help_text=_(
            "Visits take one to three hours, about twice a month, days, evenings or nights."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    declares_adult = forms.BooleanField(label=_("I am 18 or over."), required=False)
    declares_not_police = forms.BooleanField(
        label=_("I am not a serving police officer, special constable or member of police staff."),
        required=False,
    )
    declares_not_justice = forms.BooleanField(
        label=_(
            "I am not a magistrate, and not otherwise directly involved in the criminal justice "
            "system (for example as a criminal defence solicitor or a probation officer)."
        ),
        required=False,
    )
    consent = forms.BooleanField(
        label=_("I have read the privacy notice above and agree to my data being kept as it says."),
        required=False,
    )
    # The honeypot: in a wrapper people never see (`hidden`), so only a script fills it in.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        max_length=200,
        # Browsers must not fill it in for a person either.
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_postcode_area(self) -> str:
        value = self.cleaned_data["postcode_area"].replace(" ", "").upper()
        if not POSTCODE_AREA.match(value):
            raise forms.ValidationError(
                _("Enter the first half of your postcode, for example NR2 or IP14.")
            )
        return value


MOVES = [
    ("shortlisted", _("Shortlist")),
    ("references", _("Take up references")),
    ("offer", _("Make an offer")),
    ("accept", _("The applicant accepted: create their account")),
    ("declined", _("The applicant declined the offer")),
    ("withdrawn", _("The applicant withdrew")),
    ("rejected", _("Do not take forward")),
    # Not a move: the new visitor's link to set a password, again (its own button).
    ("welcome", _("Send the welcome e-mail again")),
]


# The application's status each action leads to (the page offers only those open from where
# the application is; the service refuses the rest).
ACTION_LEADS_TO = {"offer": "offered", "accept": "accepted", "welcome": None}


class ApplicationActionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("What happens next"),
        choices=MOVES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happens next.")},
    )

    def __init__(self, *args, next_statuses=None, **kwargs):
        super().__init__(*args, **kwargs)
        if next_statuses is not None:
            self.fields["action"].choices = [
                (value, label)
                for value, label in MOVES
                if ACTION_LEADS_TO.get(value, value) in next_statuses
            ]


class InterviewForm(forms.Form):
    interviewed_on = date_field(_("Interviewed on"), required=True)
    notes = forms.CharField(
        label=_("Interview notes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class ReferenceForm(forms.Form):
    referee_name = forms.CharField(label=_("Referee's name"), max_length=120)
    relationship = forms.CharField(
        label=_("Relationship to the applicant"), max_length=120, required=False
    )


class ReferenceResultForm(forms.Form):
    received_on = date_field(_("Received on"), required=True)
    satisfactory = forms.TypedChoiceField(
        label=_("Satisfactory?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the reference is satisfactory.")},
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
