from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from visits import exports, permissions
from visits.errors import DomainError
from visits.filters import IssueFilter
from visits.forms import IssueActionForm, refuse
from visits.issue_workflow import allowed_from
from visits.models import CustodySuite, Issue, IssueEvent
from visits.services import audit
from visits.services.issues import act
from visits.visible_issues import read_issue, readable_issues, visible_issue, visible_issues


def filtered_issues(request):
    """The issues the user may read, narrowed by the board's filters. Shared by page and CSV;
    each row is rendered through visits.visible_issues.visible_issue."""
    suites = permissions.scope_suites(CustodySuite.objects.all(), request.user)
    filters = IssueFilter.for_board(request.GET, readable_issues(request.user), suites=suites)
    return filters.form, filters.qs.order_by("due_on", "-created_at", "pk")


def board_context(request) -> dict:
    form, issues = filtered_issues(request)
    page = Paginator(issues, 50).get_page(request.GET.get("page"))
    page.object_list = visible_issues(request.user, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "today": timezone.localdate(),
    }


@require_GET
@login_required
def issue_board(request):
    template = "visits/issues/board.html"
    if request.htmx:
        template += "#issue-board"
    return render(request, template, board_context(request))


@require_GET
@login_required
def issue_export(request):
    _form, issues = filtered_issues(request)
    audit.record(
        actor=request.user,
        action="issues.exported",
        detail=dict(request.GET.items()),
    )
    readable = visible_issues(request.user, issues.iterator(chunk_size=500))
    response = HttpResponse(
        exports.issues_csv(readable, today=timezone.localdate()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="issues.csv"'
    return response


def _visible_issue(request, pk) -> Issue:
    return get_object_or_404(readable_issues(request.user).select_related("scheme"), pk=pk)


def detail_context(request, issue, form=None, *, seen=None) -> dict:
    actions = [
        t
        for t in allowed_from(issue.status)
        if permissions.can_take_issue_action(request.user, issue, t)
    ]
    return {
        "issue": seen or visible_issue(request.user, issue),
        "actions": actions,
        "form": form,
        "today": timezone.localdate(),
    }


@require_GET
@login_required
def issue_detail(request, pk):
    issue = _visible_issue(request, pk)
    context = detail_context(request, issue, seen=read_issue(request.user, issue))
    return render(request, "visits/issues/detail.html", context)


@require_POST
@login_required
def issue_act(request, pk):
    issue = _visible_issue(request, pk)
    form = IssueActionForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            act(
                actor=request.user,
                issue=issue,
                action=data["action"],
                text=data["text"],
                attachment=data["attachment"],
                severity=data["severity"] or None,
                expected_revision=data["revision"],
                shared_with_force=data["shared_with_force"],
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("issue-detail", pk=issue.pk)
    return render(
        request, "visits/issues/detail.html", detail_context(request, issue, form), status=400
    )


@require_GET
@login_required
def issue_file(request, pk, event_pk):
    issue = _visible_issue(request, pk)
    shown = {e.id for e in visible_issue(request.user, issue).events if e.has_attachment}
    if event_pk not in shown:
        raise Http404("No file")
    event = IssueEvent.objects.get(issue=issue, pk=event_pk)
    name = event.attachment.name.rsplit("/", 1)[-1]
    content_type = "application/pdf" if name.endswith(".pdf") else "image/jpeg"
    response = FileResponse(event.attachment.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
