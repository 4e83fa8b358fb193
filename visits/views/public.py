"""The published figures (no sign-in) and the manager's control that publishes them.

The public pages render nothing of who asks (their own base template: no navigation, no
name, no form), so the same answer suits everyone and may be kept by browsers and proxies for
a few minutes (icv.middleware.PUBLIC_URL_NAMES lets their Cache-Control through)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from visits import permissions, publication
from visits.errors import DomainError, NotFound, NotPermitted
from visits.services import publication as service
from visits.summaries import Period

PUBLIC_MAX_AGE = 300  # seconds: a withdrawn quarter is gone from caches within five minutes


class QuarterConverter:
    """A quarter's key in a public URL ("2026-Q3"); anything else is not a public quarter."""

    regex = r"[0-9]{4}-Q[1-4]"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def _public(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


def _not_found(request) -> HttpResponse:
    response = render(request, "visits/public/not_found.html", status=404)
    return _public(response)


def _figures(slug: str, period: str | None):
    try:
        return publication.public_figures(slug, period)
    except NotFound:
        return None


@require_GET
def public_latest(request, slug: str):
    figures = _figures(slug, None)
    if figures is None:
        return _not_found(request)
    return _public(render(request, "visits/public/figures.html", _context(figures)))


@require_GET
def public_quarter(request, slug: str, period: str):
    figures = _figures(slug, period)
    if figures is None:
        return _not_found(request)
    return _public(render(request, "visits/public/figures.html", _context(figures)))


def _context(figures) -> dict:
    return {
        "figures": figures,
        "definitions": publication.DEFINITIONS,
        "suppression": publication.suppression_statement(),
        "base": f"icv-{figures.scheme.slug}-{figures.period.key}",
    }


def _download(figures, data: bytes, content_type: str, suffix: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    name = f"icv-{figures.scheme.slug}-{figures.period.key}{suffix}"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Access-Control-Allow-Origin"] = "*"  # open data: any website may read it
    return _public(response)


@require_GET
def public_csv(request, slug: str, period: str):
    figures = _figures(slug, period)
    if figures is None:
        return _not_found(request)
    data = publication.csv_data(figures)
    return _download(figures, data, "text/csv; charset=utf-8", ".csv")


@require_GET
def public_json(request, slug: str, period: str):
    figures = _figures(slug, period)
    if figures is None:
        return _not_found(request)
    return _download(figures, publication.json_bytes(figures), "application/json", ".json")


# --- The manager's control, on the summaries page -----------------------------------------------


class PublicationForm(forms.Form):
    period = forms.CharField(max_length=7)
    action = forms.ChoiceField(
        choices=[("publish", _("Publish")), ("withdraw", _("Withdraw"))],
        error_messages={"required": _("Choose whether to publish or withdraw.")},
    )


@require_POST
@login_required
def publication_change(request, slug: str):
    try:
        scheme = service.scheme_for_publishing(request.user, slug)
    except NotFound as error:
        raise Http404(error.message) from None
    if not permissions.can_manage_scheme(request.user, scheme):
        raise PermissionDenied(gettext("Only the scheme manager can publish or withdraw figures."))
    form = PublicationForm(request.POST)
    error = None
    if form.is_valid():
        period, action = form.cleaned_data["period"], form.cleaned_data["action"]
        change = service.publish_quarter if action == "publish" else service.withdraw_quarter
        try:
            change(actor=request.user, scheme=scheme, period=period)
        except NotPermitted as refused:
            raise PermissionDenied(refused.message) from None
        except DomainError as refused:
            error = refused
    else:
        error = DomainError(
            " ".join(message for messages_ in form.errors.values() for message in messages_),
            code="invalid",
        )
    period_key = request.POST.get("period", "")
    back = reverse("summary") + "?" + urlencode({"scheme": scheme.slug, "period": period_key})
    if error is not None:
        context = {"error": error.message, "back": back}
        return render(
            request, "visits/public/publication_refused.html", context, status=error.status
        )
    done = gettext("Published.") if action == "publish" else gettext("Withdrawn.")
    if request.htmx:
        status = service.publication_status(request.user, scheme, Period.parse(period))
        context = {"publication": status, "done": done}
        return render(request, "visits/summaries/_publication.html", context)
    messages.success(request, done)
    return redirect(back)
