"""The expense claim forms (issue 22): shape and types only; the rules are
visits.services.expenses', which the page and the API both call."""

from decimal import Decimal

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from visits.forms import DATE_WIDGET, within_dates
from visits.images import MAX_UPLOAD_BYTES, ImageRejected, clean_photo
from visits.models import ExpenseClaim, Scheme
from visits.services.expenses import ClaimDetails

IMAGE_TYPES = "image/jpeg,image/png,image/webp"


def _visit_label(visit) -> str:
    return f"{formats.date_format(visit.visit_date, 'j M Y')}, {visit.suite.name}"


class ClaimForm(forms.Form):
    """A claim as the volunteer types it: pounds and pence for costs, miles to a tenth."""

    occasion = forms.ChoiceField(
        label=_("What is the claim for?"),
        choices=ExpenseClaim.Occasion.choices,
        widget=forms.RadioSelect,
        initial=ExpenseClaim.Occasion.VISIT,
    )
    visit = forms.TypedChoiceField(
        label=_("Which visit?"),
        help_text=_("Your visits of the last year that you have not claimed for."),
        coerce=int,
        required=False,
        empty_value=None,
    )
    incurred_on = forms.DateField(
        label=_("Date of the meeting or training"),
        required=False,
        widget=DATE_WIDGET,
        validators=[within_dates],
    )
    description = forms.CharField(
        label=_("What was the meeting or training?"), required=False, max_length=200
    )
    miles = forms.DecimalField(
        label=_("Miles driven"),
        help_text=_("There and back, to one decimal place."),
        required=False,
        max_digits=7,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    other_amount = forms.DecimalField(
        label=_("Other costs, in pounds"),
        help_text=_("Parking, tolls or fares. Leave empty if none."),
        required=False,
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    other_description = forms.CharField(
        label=_("What were the other costs for?"), required=False, max_length=200
    )
    receipt = forms.FileField(
        label=_("Photo of the receipt (optional)"),
        help_text=_("JPEG, PNG or WebP, up to 10 MB."),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_TYPES}),
    )

    def __init__(self, *args, visits=(), schemes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visit"].choices = [("", _("Choose a visit"))] + [
            (v.pk, _visit_label(v)) for v in visits
        ]
        # Someone who visits for two schemes says which one a meeting's claim goes to.
        if len(schemes) > 1:
            self.fields["scheme"] = forms.TypedChoiceField(
                label=_("Which scheme is a meeting or training claim for?"),
                choices=[("", _("Choose a scheme"))] + [(s.pk, s.name) for s in schemes],
                coerce=int,
                required=False,
                empty_value=None,
            )

    def clean_receipt(self):
        upload = self.cleaned_data.get("receipt")
        if not upload:
            return None
        try:
            return clean_photo(upload.read(MAX_UPLOAD_BYTES + 1))
        except ImageRejected as rejected:
            raise forms.ValidationError(str(rejected)) from None

    def details(self) -> ClaimDetails:
        data = self.cleaned_data
        other = data.get("other_amount") or Decimal(0)
        is_visit = data["occasion"] == ExpenseClaim.Occasion.VISIT
        return ClaimDetails(
            occasion=data["occasion"],
            visit_id=data.get("visit") if is_visit else None,
            incurred_on=None if is_visit else data.get("incurred_on"),
            description="" if is_visit else data.get("description", ""),
            miles=data.get("miles") if data.get("miles") is not None else Decimal(0),
            other_pence=int(other * 100),
            other_description=data.get("other_description", ""),
            receipt=data.get("receipt"),
            scheme_id=data.get("scheme"),
        )


def initial_of(claim: ExpenseClaim) -> dict:
    return {
        "occasion": claim.occasion,
        "visit": claim.visit_id,
        "incurred_on": None if claim.visit_id else claim.incurred_on,
        "description": claim.description,
        "miles": claim.miles,
        "other_amount": (Decimal(claim.other_pence) / 100) if claim.other_pence else None,
        "other_description": claim.other_description,
    }


class QueryForm(forms.Form):
    question = forms.CharField(
        label=_("Your question to the volunteer"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PayForm(forms.Form):
    # Not required here: none ticked is the service's `nothing_chosen`, said in the summary
    # (the boxes are on the claims' cards, not in this form).
    claims = forms.TypedMultipleChoiceField(
        label=_("Claims paid"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE_WIDGET, validators=[within_dates])

    def __init__(self, *args, claim_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claims"].choices = [(pk, str(pk)) for pk in claim_ids]


class RateForm(forms.Form):
    scheme = forms.ModelChoiceField(label=_("Scheme"), queryset=Scheme.objects.none())
    pence_per_mile = forms.IntegerField(label=_("Pence per mile"))
    starts_on = forms.DateField(
        label=_("In force from"), widget=DATE_WIDGET, validators=[within_dates]
    )

    def __init__(self, *args, schemes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.filter(pk__in=[s.pk for s in schemes])
        if len(schemes) == 1:
            self.fields["scheme"].initial = schemes[0].pk
            self.fields["scheme"].widget = forms.HiddenInput()
