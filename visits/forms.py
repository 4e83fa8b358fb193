from django import forms
from django.contrib.auth.forms import AuthenticationForm

from visits.models import CustodySuite, Panel


class LoginForm(AuthenticationForm):
    """Django's login form with the attributes phones and password managers need."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Autofocus would skip the page's heading and skip link for screen reader users.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class SuiteForm(forms.ModelForm):
    class Meta:
        model = CustodySuite
        fields = ["name", "address", "cells", "visits_per_week", "panel", "active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"active": "Inactive suites are left off the rota."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["panel"].queryset = Panel.objects.filter(scheme_id=self.instance.scheme_id)
