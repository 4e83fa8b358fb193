from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from visits import exports, permissions
from visits.charts import bar_chart, sparkline
from visits.services.publication import may_see_publications
from visits.summaries import (
    Period,
    SummaryScope,
    read_national_return,
    read_summary,
    summary_scope,
)
from visits.summary_pdf import render_summary

MOST_NO = 8


def _scope(request) -> SummaryScope:
    return summary_scope(request.user, request.GET)


def summary_context(request) -> dict:
    scope = _scope(request)
    summary = read_summary(request.user, scope, form="page")
    c = summary.current
    today = timezone.localdate()
    quarters = [Period.containing(today)]
    for _ in range(5):
        quarters.append(quarters[-1].previous())
    return {
        "summary": summary,
        "c": c,
        "p": summary.previous,
        "period_error": scope.error,
        "scheme_choices": permissions.summary_schemes(request.user),
        "period_choices": [*quarters, Period.year(today.year), Period.year(today.year - 1)],
        "suite_choices": scope.allowed,
        "chosen_suite": request.GET.get("suite", ""),
        # Drawn only if the figures are not already rendered in the cache (the template calls
        # these; see summary.html).
        "charts": lambda: [bar_chart(title, values) for title, values in summary.charts()],
        # The questions most often answered "no", with their trend drawn; every question's
        # figures are in the table behind the disclosure below them.
        "most_no": lambda: [
            (rate, sparkline(summary.trend_quarters, rate.trend))
            for rate in sorted(summary.question_rates, key=lambda r: -(r.rate or 0))[:MOST_NO]
        ],
        "query": request.GET.urlencode(),
        "can_download_return": permissions.can_download_national_return(request.user, scope.scheme),
        # The scheme whose published figures the reader may manage or see (_publication.html).
        "publication": scope.scheme if may_see_publications(request.user, scope.scheme) else None,
    }


@require_GET
@login_required
def summary_page(request):
    template = "visits/summaries/summary.html"
    if request.htmx:
        template += "#summary"
    return render(request, template, summary_context(request))


def _filename(summary, suffix: str) -> str:
    return f"icv-{summary.scheme.slug}-{summary.period.key}{suffix}"


@require_GET
@login_required
def summary_csv(request):
    summary = read_summary(request.user, _scope(request), form="csv")
    response = HttpResponse(exports.summary_csv(summary), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(summary, ".csv")}"'
    return response


@require_GET
@login_required
def national_return(request):
    """One row of the scheme's figures in the documented fixed column order."""
    scope = _scope(request)
    summary = read_national_return(request.user, scope.scheme, scope.period)
    response = HttpResponse(
        exports.national_return_csv(summary), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(summary, "-national-return.csv")}"'
    )
    return response


@require_GET
@login_required
def summary_pdf(request):

    summary = read_summary(request.user, _scope(request), form="pdf")
    response = HttpResponse(render_summary(summary), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(summary, ".pdf")}"'
    return response
