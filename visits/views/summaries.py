import csv
import dataclasses

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from visits import permissions
from visits.charts import bar_chart
from visits.errors import NotFound
from visits.services import audit
from visits.summaries import (
    DAYS,
    NATIONAL_RETURN_COLUMNS,
    Period,
    SummaryScope,
    national_return_row,
    summarise,
    summary_scope,
    visible_summary,
)


def _scope(request) -> SummaryScope:
    try:
        return summary_scope(request.user, request.GET)
    except NotFound as error:
        raise Http404(error.message) from None


def _charts(c) -> list:
    """The dashboard's charts of the figures the reader is given."""
    pattern = []
    if c.by_week is not None:  # not given to a reader who may not learn when visits happen
        pattern = [
            bar_chart("Visits made each week (each month over a year)", c.weekly()),
            bar_chart("Visits by time of day and week", list(c.by_band.items())),
            bar_chart("Visits by day of the week", list(zip(DAYS, c.by_day, strict=True))),
        ]
    return [
        *pattern,
        bar_chart(
            "People in custody at the time of visits",
            [
                ("Visited", c.visited),
                ("Observed only", c.observed_only),
                ("Declined", c.declined),
                *sorted(c.not_visited.items(), key=lambda i: -i[1]),
            ],
        ),
        bar_chart(
            "Issues raised, by category",
            sorted(
                ((k, v["raised"]) for k, v in c.issues_by_category.items()),
                key=lambda item: -item[1],
            ),
        ),
        bar_chart(
            "Issues raised, by status now",
            sorted(c.issues_by_status.items(), key=lambda item: -item[1]),
        ),
        bar_chart("The force's time to respond to referred issues", list(c.response_times.items())),
    ]


def summary_context(request) -> dict:
    scope = _scope(request)
    summary = visible_summary(request.user, scope)
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
        "charts": _charts(c),
        "query": request.GET.urlencode(),
        "can_download_return": permissions.can_download_national_return(request.user, scope.scheme),
    }


@require_GET
@login_required
def summary_page(request):
    template = "visits/summaries/summary.html"
    if request.htmx:
        template += "#summary"
    return render(request, template, summary_context(request))


def _download(request, kind: str, summary) -> None:
    audit.record(
        actor=request.user,
        action=f"summary.{kind}",
        scheme=summary.scheme,
        detail={"period": summary.period.key, "suites": summary.suite_names},
    )


def _filename(summary, suffix: str) -> str:
    return f"icv-{summary.scheme.slug}-{summary.period.key}{suffix}"


@require_GET
@login_required
def summary_csv(request):
    summary = visible_summary(request.user, _scope(request))
    _download(request, "csv", summary)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(summary, ".csv")}"'
    writer = csv.writer(response)
    writer.writerow(["figure", summary.period.label, summary.previous_period.label])
    for name, value in summary.current.given().items():
        before = getattr(summary.previous, name)
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, list):  # a week: made, planned
                    old = before.get(key, [0, 0])
                    writer.writerow([f"{name}: {key}: made", item[0], old[0]])
                    writer.writerow([f"{name}: {key}: planned", item[1], old[1]])
                elif isinstance(item, dict):
                    for sub, number in item.items():
                        writer.writerow(
                            [f"{name}: {key}: {sub}", number, before.get(key, {}).get(sub, 0)]
                        )
                else:
                    writer.writerow([f"{name}: {key}", item, before.get(key, 0)])
        elif isinstance(value, list):
            if name == "by_day":
                for day, n, m in zip(DAYS, value, before, strict=True):
                    writer.writerow([f"visits on {day}", n, m])
            else:
                for label, n in value:
                    writer.writerow([f"{name}: {label}", n, dict(before).get(label, 0)])
        else:
            writer.writerow([name, value, before])
    writer.writerow([])
    writer.writerow(
        [
            "suite",
            "visits made",
            "visits abandoned",
            "in custody",
            "visited",
            "issues raised",
            "visits made, period before",
        ]
    )
    for row in summary.suites:
        writer.writerow(dataclasses.astuple(row))
    return response


@require_GET
@login_required
def national_return(request):
    """One row of the scheme's figures in the documented fixed column order."""
    scope = _scope(request)
    scheme, period = scope.scheme, scope.period
    if not permissions.can_download_national_return(request.user, scheme):
        raise PermissionDenied("The national return is for the scheme manager and PCC reader.")
    summary = summarise(scheme, period, None)
    _download(request, "national_return", summary)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(summary, "-national-return.csv")}"'
    )
    writer = csv.writer(response)
    writer.writerow(NATIONAL_RETURN_COLUMNS)
    writer.writerow(national_return_row(summary))
    return response


@require_GET
@login_required
def summary_pdf(request):
    from visits.summary_pdf import render_summary

    summary = visible_summary(request.user, _scope(request))
    _download(request, "pdf", summary)
    response = HttpResponse(render_summary(summary), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(summary, ".pdf")}"'
    return response
