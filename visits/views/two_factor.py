"""Setting up two-factor authentication and giving the code after the password."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from visits.services import two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label="Code",
        help_text="The 6 digits your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or "/"
    safe = url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure())
    return wanted if safe else "/"


@require_http_methods(["GET", "POST"])
@login_required
def setup(request):
    """Show the QR code and secret; a first code from the app turns two-factor on."""
    if two_factor.is_set_up(request.user):
        if not request.user.is_verified():
            return redirect("two-factor-verify")
        messages.info(request, "Two-factor authentication is already on.")
        return redirect("token-list")
    device = two_factor.pending_device(request.user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    form.fields["code"].help_text = "The 6 digits your authenticator app shows now."
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm(user=request.user, device=device, code=form.cleaned_data["code"])
        if codes is None:
            form.add_error(
                "code",
                "That code is not right. Check the time on your phone, and try the newest code.",
            )
        else:
            otp_login(request, device)
            return render(
                request,
                "registration/two_factor_codes.html",
                {"codes": codes, "next": _next(request)},
            )
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_code": two_factor.qr_code(device),
            "secret": two_factor.secret_of(device),
            "required": two_factor.required_for(request.user),
            "next": _next(request),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def verify(request):
    """The second step of signing in, for anyone who has set up two-factor."""
    if request.user.is_verified() or not two_factor.is_set_up(request.user):
        return redirect(_next(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify(user=request.user, code=form.cleaned_data["code"])
        if device is None:
            form.add_error(
                "code",
                "That code is not right. Try the newest code from your app, or a recovery code.",
            )
        else:
            otp_login(request, device)
            return redirect(_next(request))
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )
