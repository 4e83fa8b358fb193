"""The forms of training and graduation (issue 22): shape and types only; the rules are
visits.services.training's."""

from django import forms
from django.utils.translation import gettext_lazy as _

from visits.forms import DATE_WIDGET, within_dates
from visits.models import TrainingModule
from visits.services import training


class CompletionForm(forms.Form):
    module = forms.ModelChoiceField(
        label=_("Module"), queryset=TrainingModule.objects.none(), empty_label=_("Choose a module")
    )
    completed_on = forms.DateField(
        label=_("Completed on"), widget=DATE_WIDGET, validators=[within_dates]
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=200,
        required=False,
        help_text=_("Who ran it, or where: not the volunteer's assessment."),
    )

    def __init__(self, *args, scheme_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = TrainingModule.objects.active().filter(scheme_id=scheme_id)


class GraduateForm(forms.Form):
    override_reason = forms.CharField(
        label=_("Reason to graduate them before they are ready (optional)"),
        max_length=300,
        required=False,
        help_text=_("Only if the visits or training above are not all done."),
    )


class ModuleForm(forms.Form):
    scheme = forms.TypedChoiceField(label=_("Scheme"), coerce=int)
    name = forms.CharField(label=_("Name"), max_length=120)
    required_for = forms.ChoiceField(
        label=_("Required for"), choices=TrainingModule.RequiredFor.choices
    )
    renew_every_months = forms.IntegerField(
        label=_("Renew every (months)"),
        required=False,
        min_value=1,
        max_value=120,
        help_text=_("Leave empty for a course taken once."),
    )
    description = forms.CharField(label=_("Description (optional)"), max_length=300, required=False)

    def __init__(self, *args, schemes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].choices = [(s.pk, s.name) for s in schemes]
        if len(schemes) == 1:
            self.fields["scheme"].initial = schemes[0].pk
            self.fields["scheme"].widget = forms.HiddenInput()


def training_part(membership, completion_form=None, graduate_form=None, saved="") -> dict:
    """What volunteers/_training.html shows: the core's record of the volunteer and the forms
    (empty ones unless a bound one with errors is given)."""
    return {
        "record": training.training_of(membership),
        "completion_form": completion_form
        or CompletionForm(scheme_id=membership.scheme_id, prefix="training"),
        "graduate_form": graduate_form or GraduateForm(prefix="graduate"),
        "saved": saved,
    }
