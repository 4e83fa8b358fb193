from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from visits.errors import ConflictError, DomainError
from visits.forms import refusal_of, refuse
from visits.models.annual_reports import ANNUAL_REPORT_SECTIONS
from visits.services import annual_reports as service
from visits.summaries import SMALL_COUNT
from visits.summary_pdf import render_annual_report


class AnnualReportForm(forms.Form):
    """The sections' shape only; what may be published (length, no custody numbers) is the
    service's rule. No maxlength on the text boxes: a browser would cut a long paste silently."""

    foreword = forms.CharField(
        label=_("Foreword (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("A few words from the Police and Crime Commissioner or the scheme."),
    )
    findings = forms.CharField(
        label=_("What visitors found"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("The themes of the year: what went well in custody and what did not."),
    )
    force_responses = forms.CharField(
        label=_("The force's responses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("How the force answered the issues the scheme raised."),
    )
    examples_of_change = forms.CharField(
        label=_("Examples of change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What changed in custody because visitors raised it."),
    )
    thanks = forms.CharField(
        label=_("Thanks to our volunteers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


def _scheme(request):
    schemes = service.annual_report_schemes(request.user)
    slug = request.GET.get("scheme")
    chosen = [s for s in schemes if s.slug == slug] if slug else schemes[:1]
    if not chosen:
        raise Http404(gettext("There is no such annual report."))
    return chosen[0]


def _read(request, year: int, form: str):
    return service.read_annual_report(request.user, _scheme(request), year, form=form)


# Each bar sits under its whole label, so nothing is cut at 320 px (the SVG scales to fit).
CHART_WIDTH, BAR_AREA, ROW = 320, 250, 40


def _drawn(chart) -> dict:
    largest = max((n for _label, n in chart.values), default=0) or 1
    rows = [
        {
            "label": label,
            "value": n,
            "text_y": 14 + i * ROW,
            "bar_y": 20 + i * ROW,
            "width": round(BAR_AREA * n / largest, 1),
            "value_x": round(BAR_AREA * n / largest, 1) + 6,
        }
        for i, (label, n) in enumerate(chart.values)
    ]
    return {"chart": chart, "rows": rows, "width": CHART_WIDTH, "height": 8 + ROW * len(rows)}


def _report_context(document) -> dict:
    return {
        "document": document,
        "charts": [_drawn(chart) for chart in document.charts],
        "small": SMALL_COUNT,
    }


def _query(document) -> str:
    return f"?scheme={document.scheme.slug}"


@require_GET
@login_required
def annual_report_page(request, year: int):
    document = _read(request, year, "page")
    return render(
        request,
        "annual_report/report.html",
        {
            **_report_context(document),
            "query": _query(document),
            "can_write": service.can_write_annual_report(request.user, document.scheme),
            "pdf_url": reverse("annual-report-pdf", args=[year]) + _query(document),
            "public_url": request.build_absolute_uri(
                reverse("public-annual-report", args=[document.scheme.slug, year])
            ),
        },
    )


@require_GET
@login_required
def annual_report_pdf(request, year: int):

    document = _read(request, year, "pdf")
    return _pdf(document, render_annual_report(document))


def _pdf(document, body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    name = f"icv-{document.scheme.slug}-annual-report-{document.year}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def annual_report_edit(request, year: int):
    if not service.can_write_annual_report(request.user, _scheme(request)):
        raise PermissionDenied(gettext("Only the scheme manager writes the annual report."))
    document = _read(request, year, "edit")
    scheme, report = document.scheme, document.report
    initial = {name: text for name, _heading, text in report.sections()}
    form = AnnualReportForm(request.POST or None, initial={**initial, "revision": report.revision})
    saved_now = []  # what someone else saved, beside this writer's text, after a stale edit
    if request.method == "POST" and form.is_valid():
        sections = service.Sections(
            **{name: form.cleaned_data[name] for name, _label in ANNUAL_REPORT_SECTIONS}
        ).cleaned()
        try:
            service.save_annual_report(
                actor=request.user,
                scheme=scheme,
                year=year,
                sections=sections,
                expected_revision=form.cleaned_data["revision"],
            )
        except ConflictError as error:
            form.add_error(None, refusal_of(error))
            saved_now = [(h, t) for n, h, t in report.sections() if t != getattr(sections, n)]
            # Saving again from here keeps this writer's text, having seen the other's.
            form.data = form.data.copy()
            form.data["revision"] = report.revision
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(request, gettext("The annual report is saved."))
            return redirect(reverse("annual-report", args=[year]) + _query(document))
    context = {"document": document, "form": form, "saved_now": saved_now}
    return render(request, "annual_report/edit.html", context)


@require_POST
@login_required
def annual_report_publish(request, year: int):
    scheme = _scheme(request)
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        revision = -1  # refused below as stale, with a message the manager can act on
    try:
        service.publish_annual_report(
            actor=request.user, scheme=scheme, year=year, expected_revision=revision
        )
    except DomainError as error:
        refuse(request, error)
    else:
        messages.success(request, gettext("The annual report is published."))
    return redirect(reverse("annual-report", args=[year]) + f"?scheme={scheme.slug}")


def _published(slug: str, year: int):
    return service.read_published_annual_report(slug, year)


@require_GET
def public_annual_report(request, slug: str, year: int):
    document = _published(slug, year)
    pdf_url = reverse("public-annual-report-pdf", args=[slug, year])
    return render(
        request,
        "annual_report/report.html",
        {**_report_context(document), "public": True, "pdf_url": pdf_url},
    )


@require_GET
def public_annual_report_pdf(request, slug: str, year: int):

    document = _published(slug, year)
    return _pdf(document, render_annual_report(document))
