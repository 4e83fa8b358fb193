from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from visits import permissions
from visits.errors import ConflictError, DomainError
from visits.forms import AmendAnswersForm, AmendmentForm, refusal_of, refuse
from visits.models import Answer, CopyPhoto, Visit
from visits.models.checklists import sections_by_version
from visits.pdf import render_visit_report
from visits.services import phone_reports
from visits.services.amendments import amend_visit
from visits.visit_read_model import VisitFacts, read_report


def _visible_visit(request, uuid) -> Visit:
    return get_object_or_404(
        permissions.scope_visits(Visit.objects.all(), request.user).for_report(), uuid=uuid
    )


@require_GET
@login_required
def visit_list(request):
    visits = (
        permissions.scope_visits(Visit.objects.all(), request.user)
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
        raise PermissionDenied(
            gettext("Only the visitors on this visit and the scheme manager settle it.")
        )
    phone_reports.mark_copy_dealt_with(actor=request.user, copy=copy)
    messages.success(request, gettext("The second record is marked as dealt with."))
    return redirect("visit-report", uuid=visit.uuid)


@require_GET
@login_required
def visit_copy_photo(request, uuid, pk, size="full"):
    """A photo that came with a second record of the visit: seen by those who see the copy."""
    visit = _visible_visit(request, uuid)
    if not permissions.can_settle_copy(request.user, visit):
        raise Http404
    photo = get_object_or_404(CopyPhoto, copy__visit=visit, pk=pk)
    file = photo.thumbnail if size == "thumb" else photo.image
    try:
        return FileResponse(file.open("rb"), content_type="image/jpeg")
    except FileNotFoundError:
        raise Http404("The photo file is missing.") from None


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
    """Amend a submitted report, one part at a time: its own fields (`?part=` absent), the
    suite checks (`?part=suite`) or one detainee's number and answers (`?part=detainee-<id>`).
    Each form carries the revision it was drawn from: a stale one is refused (409) and the other
    person's amendment stays."""
    visit = _visible_visit(request, uuid)
    if not permissions.can_amend_visit(request.user, visit):
        raise PermissionDenied(
            gettext("Only the visitors on this visit and the scheme manager amend it.")
        )
    detainees = []
    if permissions.can_see_detainee_answers(request.user, visit):
        detainees = list(visit.detainees.filter(anonymised_at__isnull=True).order_by("order", "pk"))
    part = request.GET.get("part", "")
    here = reverse("visit-amend", args=[visit.uuid])
    parts = [("", gettext("The report's details"))]
    parts.append(("suite", gettext("Suite checks")))
    parts += [
        (f"detainee-{d.pk}", gettext("Detainee %(number)s") % {"number": d.custody_number})
        for d in detainees
    ]
    if part not in dict(parts):
        raise Http404
    data = request.POST if request.method == "POST" else None
    detainee = next((d for d in detainees if part == f"detainee-{d.pk}"), None)
    if part:
        version = visit.detainee_checklist_id if detainee else visit.suite_checklist_id
        rows = Answer.objects.filter(visit=visit, detainee=detainee)
        form = AmendAnswersForm(
            data,
            visit=visit,
            sections=sections_by_version([version]).get(version, []),
            answers={a.question_id: (a.value, a.note) for a in rows},
            detainee=detainee,
        )
    else:
        form = AmendmentForm(data, visit=visit)
    status = 200
    if data is not None and form.is_valid():
        try:
            amendment = amend_visit(
                actor=request.user,
                visit=visit,
                reason=form.cleaned_data["reason"],
                changes=form.changes() if not part else {},
                answers=form.answer_changes() if part else (),
                custody_numbers=form.custody_number_changes() if part else (),
                expected_revision=form.cleaned_data["revision"],
                names_checked=not part and form.cleaned_data["names_checked"],
            )
        except ConflictError as error:
            form.add_error(None, refusal_of(error))
            status = 409
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(
                request, gettext("Amendment saved.") if amendment else gettext("Nothing changed.")
            )
            return redirect("visit-report", uuid=visit.uuid)
    title = dict(parts)[part]
    if status == 200 and form.is_bound and form.errors:
        status = 400  # refused: the page again, with its errors
    return render(
        request,
        "visits/reports/amend.html",
        {
            "visit": VisitFacts(visit),
            "form": form,
            "part": part,
            "title": title,
            "parts": [
                (label, f"{here}?part={key}" if key else here, key == part) for key, label in parts
            ],
            "action": f"{here}?part={part}" if part else here,
            "conflict": status == 409,
        },
        status=status,
    )
