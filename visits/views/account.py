from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from visits import permissions
from visits.errors import DomainError
from visits.forms import refuse
from visits.language_forms import LanguageForm
from visits.languages import chosen_language
from visits.models import ApiToken, Membership
from visits.services import subject_access as subject_access_service
from visits.services import tokens, two_factor


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label=_("Name"),
        help_text=_("What it is for, e.g. “Force issue tracker”."),
    )


@require_http_methods(["GET", "POST"])
@login_required
def token_list(request):
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _row, new_token = tokens.create_token(
                actor=request.user, name=form.cleaned_data["name"]
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            form = TokenForm()
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "visits/account/tokens.html",
        {
            "form": form,
            "tokens": rows,
            "new_token": new_token,
            "two_factor_on": two_factor.is_set_up(request.user),
            "language_form": LanguageForm(initial={"language": chosen_language(request.user)}),
        },
    )


@require_POST
@login_required
def token_revoke(request, pk):
    row = get_object_or_404(ApiToken, user=request.user, pk=pk)
    tokens.revoke_token(actor=request.user, token=row)
    messages.success(
        request, gettext("“%(name)s” is revoked; it no longer works.") % {"name": row.name}
    )
    return redirect("token-list")


@require_GET
@login_required
def subject_access(request, pk):
    """Everything the scheme holds about one of its people, as a JSON download (managers)."""
    membership = get_object_or_404(
        permissions.scope_memberships(
            Membership.objects.select_related("user", "scheme"), request.user
        ),
        pk=pk,
    )
    document = subject_access_service.export(
        actor=request.user, person=membership.user, scheme=membership.scheme
    )
    response = JsonResponse(document, json_dumps_params={"indent": 2, "ensure_ascii": False})
    name = f"subject-access-{membership.scheme.slug}-{membership.user.username}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
