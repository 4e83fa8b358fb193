"""Setting up two-factor authentication and giving the code after the password."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from visits.services import two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label=gettext_lazy("Code"),
        help_text=gettext_lazy(
            "The 6 digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or "/"
    safe = url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure())
    return wanted if safe else "/"


def _already_on(request):
    if not request.user.is_verified():
        query = urlencode({"next": _next(request)})
        return redirect(f"{reverse('two-factor-verify')}?{query}")
    messages.info(request, gettext("Two-factor authentication is already on."))
    return redirect("token-list")


@require_http_methods(["GET", "POST"])
@login_required
def setup(request):
    """Show a QR code and key made for this page alone; a first code from the app turns
    two-factor on. Every time the page opens it shows a new key, kept in this session only
    (visits.services.two_factor), so a key is never shown to two sessions; the form names the
    attempt it answers."""
    user = request.user
    if two_factor.is_set_up(user):
        return _already_on(request)
    attempt = request.POST.get("attempt") if request.method == "POST" else None
    device = two_factor.setup_in_progress(request.session, user, attempt)
    expired = request.method == "POST" and device is None
    form = CodeForm(data={} if expired else request.POST if request.method == "POST" else None)
    form.fields["code"].help_text = gettext("The 6 digits your authenticator app shows now.")
    if expired:
        # An empty form whose only error says why: nothing typed for the old key is kept.
        form.is_valid()
        form.errors.clear()
        form.add_error(
            None,
            gettext(
                "That key has expired, so here is a new one. Remove the key you added to your "
                "app, then scan this new code and type the code the app shows."
            ),
        )
    if request.method == "GET" or expired:
        attempt, device = two_factor.start_setup(request.session, user)
    elif form.is_valid():
        confirmed = two_factor.confirm(
            session=request.session, user=user, attempt_id=attempt, code=form.cleaned_data["code"]
        )
        if confirmed is None and two_factor.is_set_up(user):
            return _already_on(request)  # another session turned it on meanwhile
        if confirmed is not None:
            device, codes = confirmed
            otp_login(request, device)
            return render(
                request,
                "registration/two_factor_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        form.add_error(
            "code",
            gettext(
                "That code is not right. Check the time on your phone, and try the newest code."
            ),
        )
    # A wrong code shows this attempt's key again, to the session it was made for, so that the
    # app someone has just set up still matches.
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_code": two_factor.qr_code(device),
            "secret": two_factor.secret_of(device),
            "attempt": attempt,
            "required": two_factor.required_for(user),
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
                gettext(
                    "That code is not right. Try the newest code from your app, or a recovery code."
                ),
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
