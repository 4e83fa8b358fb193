from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from visits.errors import DomainError
from visits.models import ApiToken
from visits.services import tokens


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, label="Name", help_text="What it is for, e.g. “Force issue tracker”."
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
            form.add_error("name", error.message)
        else:
            form = TokenForm()
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "visits/account/tokens.html",
        {"form": form, "tokens": rows, "new_token": new_token},
    )


@require_POST
@login_required
def token_revoke(request, pk):
    row = get_object_or_404(ApiToken, user=request.user, pk=pk)
    tokens.revoke_token(actor=request.user, token=row)
    messages.success(request, f"“{row.name}” is revoked; it no longer works.")
    return redirect("token-list")
