"""The published figures (no sign-in) and the manager's control that publishes them.

The public pages render nothing of who asks (their own base template: no navigation, no
name, no form), so the same answer suits everyone and may be kept by browsers and proxies for
a few minutes (icv.middleware.PUBLIC_URL_NAMES lets their Cache-Control through)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from visits import publication
from visits.errors import DomainError, NotFound
from visits.forms import refusal_of
from visits.models.bilingual import reading_welsh
from visits.services import publication as service
from visits.services.annual_reports import published_annual_years

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


def _other_language(figures) -> dict | None:
    """For a bilingual scheme, the same figures in the other of its two languages (Welsh for a
    reader of English, English for a reader of Welsh): what the Welsh Language Standards ask
    of what a public body publishes. None for any other scheme."""
    if not figures.scheme.bilingual:
        return None
    code = "en-gb" if reading_welsh() else "cy"
    with translation.override(code):
        return {
            "code": code,
            "lang": "en-GB" if code == "en-gb" else "cy",
            "figures": publication.public_figures(figures.scheme.slug, figures.period.key),
            "suppression": publication.suppression_statement(),
        }


def _context(figures) -> dict:
    return {
        "other_language": _other_language(figures),
        "figures": figures,
        "annual_years": published_annual_years(figures.scheme),
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


# --- The manager's page, linked from the summaries page ----------------------------------------


class PublicationForm(forms.Form):
    period = forms.CharField(
        max_length=7, error_messages={"required": _("Choose the quarter to publish.")}
    )
    action = forms.ChoiceField(
        choices=[("publish", _("Publish")), ("withdraw", _("Withdraw"))],
        error_messages={"required": _("Choose whether to publish or withdraw.")},
    )


def _apply(request, scheme, form) -> DomainError | None:
    """The change the form asks for, or the reason it was refused."""
    if not form.is_valid():
        errors = [message for field_errors in form.errors.values() for message in field_errors]
        return DomainError(" ".join(errors), code="invalid")
    change = {"publish": service.publish_quarter, "withdraw": service.withdraw_quarter}
    try:
        change[form.cleaned_data["action"]](
            actor=request.user, scheme=scheme, period=form.cleaned_data["period"]
        )
    except DomainError as refused:
        refusal_of(refused)  # a NotPermitted or NotFound is its 403 or 404 page, not the list's
        return refused
    return None


def _page(request, scheme, status: int = 200, **extra):
    overview = service.publication_overview(request.user, scheme)
    template = "visits/summaries/publication.html"
    if request.htmx:
        template += "#publication-list"
    return render(request, template, {"overview": overview, **extra}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def publication_page(request, slug: str):
    scheme = service.scheme_for_publishing(request.user, slug)
    if request.method == "GET":
        return _page(request, scheme)
    service.require_publisher(request.user, scheme)
    form = PublicationForm(request.POST)
    error = _apply(request, scheme, form)
    if error is not None:
        # htmx swaps a 400 into the list in place (base.html); a 409 would replace the page.
        status = 400 if request.htmx else error.status
        return _page(request, scheme, status=status, error=error.message)
    done = {"publish": gettext("Published."), "withdraw": gettext("Withdrawn.")}
    if request.htmx:
        return _page(request, scheme, done=done[form.cleaned_data["action"]])
    messages.success(request, done[form.cleaned_data["action"]])
    return redirect("publication", slug=scheme.slug)
