from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from visits import permissions
from visits.errors import DomainError
from visits.forms import AmendmentForm, apply_error
from visits.models import Visit
from visits.pdf import render_visit_report
from visits.reports import VisitFacts, read_report
from visits.services import phone_reports
from visits.services.visits import amend_visit


def _visible_visit(request, uuid) -> Visit:
    return get_object_or_404(Visit.objects.visible_to(request.user).for_report(), uuid=uuid)


@require_GET
@login_required
def visit_list(request):
    visits = (
        Visit.objects.visible_to(request.user)
        .select_related("suite")
        .order_by("-visit_date", "-arrived_at", "-pk")
    )
    page = Paginator(visits, 25).get_page(request.GET.get("page"))
    can_record = permissions.can_record_visits(request.user)
    return render(request, "visits/reports/list.html", {"page": page, "can_record": can_record})


@require_GET
@login_required
def visit_report(request, uuid):
    visit = _visible_visit(request, uuid)
    if visit.is_draft and permissions.can_edit_visit(request.user, visit):
        return redirect("visit-check", uuid=visit.uuid)
    can_amend = permissions.can_amend_visit(request.user, visit)
    report = read_report(request.user, visit)
    return render(
        request,
        "visits/reports/report.html",
        {
            "visit": report.visit,
            "report": report,
            "can_amend": can_amend,
            # Second records from the other visitor's phone (services.phone_reports).
            "copies": phone_reports.copies_to_settle(request.user, visit),
        },
    )


@require_POST
@login_required
def visit_copy_dealt_with(request, uuid, pk):
    visit = _visible_visit(request, uuid)
    copy = get_object_or_404(visit.copies, pk=pk)
    if not permissions.can_settle_copy(request.user, visit):
        raise PermissionDenied("Only the visitors on this visit and the scheme manager settle it.")
    phone_reports.mark_copy_dealt_with(actor=request.user, copy=copy)
    messages.success(request, "The second record is marked as dealt with.")
    return redirect("visit-report", uuid=visit.uuid)


@require_GET
@login_required
def visit_pdf(request, uuid):
    visit = _visible_visit(request, uuid)
    report = read_report(request.user, visit, as_pdf=True)
    response = HttpResponse(render_visit_report(report), content_type="application/pdf")
    name = f"visit-{visit.suite.name}-{visit.visit_date}.pdf".replace(" ", "-").replace("'", "")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def visit_amend(request, uuid):
    visit = _visible_visit(request, uuid)
    if not permissions.can_amend_visit(request.user, visit):
        raise PermissionDenied("Only the visitors on this visit and the scheme manager amend it.")
    initial = {"good_practice": visit.good_practice, "sergeant_comments": visit.sergeant_comments}
    form = AmendmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
        try:
            amendment = amend_visit(
                actor=request.user, visit=visit, reason=form.cleaned_data["reason"], changes=changes
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            messages.success(request, "Amendment saved." if amendment else "Nothing changed.")
            return redirect("visit-report", uuid=visit.uuid)
    return render(request, "visits/reports/amend.html", {"visit": VisitFacts(visit), "form": form})
