from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from visits import permissions
from visits.errors import DomainError
from visits.forms import (
    AdmissionForm,
    DetaineeForm,
    GoodPracticeForm,
    IssueForm,
    NumbersForm,
    PhotoForm,
    RecheckForm,
    SignOffForm,
    StartVisitForm,
    SuiteChecklistForm,
    answers_from,
    number_groups,
    refusal_of,
    refuse,
    rendered_once,
    sections_key,
    warn_of_names,
)
from visits.images import ImageRejected, clean_photo, clean_signature
from visits.models import (
    NOT_VISITED_LABELS,
    NUMBER_LABELS,
    Answer,
    Attachment,
    Issue,
    Visit,
)
from visits.models.checklists import sections_by_version
from visits.services import issues as issue_service
from visits.services import phone_reports
from visits.services import rota as rota_service
from visits.services import visits as service
from visits.visit_read_model import visible_photos, visible_report

User = get_user_model()

STEPS = [
    ("start", _("Start")),
    ("admission", _("Admission")),
    ("numbers", _("Numbers")),
    ("detainees", _("Detainees seen")),
    ("suite", _("Suite checks")),
    ("issues", _("Issues and good practice")),
    ("sign-off", _("Sign-off")),
    ("check", _("Check and submit")),
]
STEP_URLS = {
    "start": "visit-start",
    "admission": "visit-admission",
    "numbers": "visit-numbers",
    "detainees": "visit-detainees",
    "suite": "visit-suite",
    "issues": "visit-issues",
    "sign-off": "visit-sign-off",
    "check": "visit-check",
}


def _visible_visit(request, uuid) -> Visit:
    return get_object_or_404(
        permissions.scope_visits(Visit.objects.all(), request.user).for_report(), uuid=uuid
    )


def _editable_visit(request, uuid) -> Visit:
    """A draft the user is on. A submitted report is read on its report page instead."""
    visit = _visible_visit(request, uuid)
    if not visit.is_draft:
        raise _Submitted(visit)
    if not permissions.can_edit_visit(request.user, visit):
        raise PermissionDenied(gettext("Only the visitors on this visit can fill in its report."))
    return visit


class _Submitted(Exception):
    def __init__(self, visit):
        self.visit = visit


def flow_step(view):
    """Send anyone opening a step of a submitted report to the report itself."""

    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Submitted as submitted:
            messages.info(
                request, gettext("This report has been submitted. Changes are amendments.")
            )
            return redirect("visit-report", uuid=submitted.visit.uuid)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def step_context(visit: Visit, step: str, **extra) -> dict:
    index = [key for key, _ in STEPS].index(step)
    # Every form on the page that was refused, for the one error summary at its top.
    error_forms = [v for v in extra.values() if isinstance(v, forms.BaseForm) and v.errors]
    return {
        "error_forms": error_forms,
        "visit": visit,
        "step": step,
        "step_number": index + 1,
        "step_count": len(STEPS),
        "step_title": STEPS[index][1],
        "steps": [(key, title, STEP_URLS[key]) for key, title in STEPS],
        **extra,
    }


def render_step(request, template: str, context: dict, *, at: str | None = None):
    """A step page; 400 when it shows a refused form, so a client (and htmx's config in
    base.html, which swaps it all the same) can tell a refusal from a page.

    `at` is the step's own address, when a form posted elsewhere (a photo, a re-check) is
    answered with the step page: the browser's address then stays one a reload can open."""
    status = 400 if context.get("error_forms") or context.get("refused") else 200
    response = render(request, template, context, status=status)
    if at is not None and request.htmx and request.path != at:
        push_url(response, at)
    return response


def _refusal(message: str) -> forms.Form:
    """A form holding one error that belongs to no field (a refused button press)."""
    form = forms.Form(data={})
    form.is_valid()
    form.add_error(None, message)
    return form


def _next(visit: Visit, step: str):
    keys = [key for key, _ in STEPS]
    return redirect(STEP_URLS[keys[keys.index(step) + 1]], uuid=visit.uuid)


def checklist_sections(version_id):
    return sections_by_version([version_id]).get(version_id, [])


def _answers(visit, detainee) -> dict:
    rows = Answer.objects.filter(visit=visit, detainee=detainee)
    return {a.question_id: (a.value, a.note) for a in rows}


# --- Start --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def visit_start(request):
    if not permissions.can_record_visits(request.user):
        raise PermissionDenied(gettext("Only custody visitors record visits."))
    suites, partners = permissions.recording_choices(request.user)
    guess = rota_service.recording_start(request.user, suites=suites, partners=partners)
    initial = {
        "arrived_at": guess.arrived_at,
        "suite": guess.suite,
        "co_visitors": guess.co_visitors,
    }
    form = StartVisitForm(
        request.POST or None, suites=suites, co_visitors=guess.partners, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            visit = service.start_visit(
                actor=request.user,
                suite=form.cleaned_data["suite"],
                co_visitors=list(form.cleaned_data["co_visitors"]),
                arrived_at=form.cleaned_data["arrived_at"],
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            return redirect("visit-admission", uuid=visit.uuid)
    return render(
        request,
        "visits/flow/start.html",
        {
            "form": form,
            "step_number": 1,
            "step_count": len(STEPS),
            "step_title": STEPS[0][1],
            "rota_slot": guess.slot,
        },
        status=400 if form.errors else 200,
    )


# --- Admission and numbers ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@flow_step
def visit_admission(request, uuid):
    visit = _editable_visit(request, uuid)
    initial = {
        "admitted_at": visit.admitted_at or visit.arrived_at,
        "delay_minutes": visit.delay_minutes,
        "delay_reason": visit.delay_reason,
        "delay_authorised_by": visit.delay_authorised_by,
    }
    form = AdmissionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.record_admission(actor=request.user, visit=visit, **form.cleaned_data)
        except DomainError as error:
            refuse(request, error, form)
        else:
            return _next(visit, "admission")
    return render_step(
        request, "visits/flow/admission.html", step_context(visit, "admission", form=form)
    )


@require_http_methods(["GET", "POST"])
@login_required
@flow_step
def visit_numbers(request, uuid):
    visit = _editable_visit(request, uuid)
    names = [*NUMBER_LABELS, *NOT_VISITED_LABELS, "nv_access_denied_reason"]
    form = NumbersForm(request.POST or None, initial={n: getattr(visit, n) for n in names})
    if request.method == "POST" and form.is_valid():
        try:
            service.record_numbers(actor=request.user, visit=visit, numbers=form.cleaned_data)
        except DomainError as error:
            refuse(request, error, form)
        else:
            return _next(visit, "numbers")
    return render_step(
        request,
        "visits/flow/numbers.html",
        step_context(
            visit,
            "numbers",
            form=form,
            groups=number_groups(form),
        ),
    )


# --- Detainees ----------------------------------------------------------------------------------


@require_GET
@login_required
@flow_step
def visit_detainees(request, uuid):
    return _detainees_page(request, _editable_visit(request, uuid))


def _detainees_page(request, visit, refusal=None):
    detainees = visit.detainees.order_by("-under_18", "-vulnerable", "order", "pk")
    context = step_context(visit, "detainees", detainees=detainees, refusal=refusal)
    return render_step(
        request,
        "visits/flow/detainees.html",
        context,
        at=reverse("visit-detainees", args=[visit.uuid]),
    )


def _detainee_details(form) -> service.DetaineeDetails:
    data = form.cleaned_data
    return service.DetaineeDetails(
        custody_number=data["custody_number"],
        answers=answers_from(form),
        **{name: data[name] for name in DetaineeForm.DETAIL_FIELDS},
    )


@require_http_methods(["GET", "POST"])
@login_required
@flow_step
def visit_detainee(request, uuid, pk=None):
    visit = _editable_visit(request, uuid)
    detainee = get_object_or_404(visit.detainees, pk=pk) if pk else None
    sections = checklist_sections(visit.detainee_checklist_id)
    initial = {}
    if detainee:
        initial = {"custody_number": detainee.custody_number} | {
            name: getattr(detainee, name) for name in DetaineeForm.DETAIL_FIELDS
        }
    form = DetaineeForm(
        request.POST or None,
        initial=initial,
        sections=sections,
        scheme=visit.scheme,
        suite=visit.suite,
        answers=_answers(visit, detainee) if pk else None,
    )
    if request.method == "POST" and "expected" in request.POST:
        form.fill_expected(request.POST["expected"])  # shown again filled in, not saved
    elif request.method == "POST" and form.is_valid():
        try:
            service.save_detainee(
                actor=request.user, visit=visit, detainee=detainee, details=_detainee_details(form)
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(
                request,
                gettext("%(number)s saved.")
                % {"number": form.cleaned_data["custody_number"].upper()},
            )
            return redirect("visit-detainees", uuid=visit.uuid)
    blank = None
    if request.method == "GET" and detainee is None:  # a new detainee's form: always the same
        made_of = [
            "detainee step",
            str(form.fields["custody_number"].help_text),
            visit.detainee_checklist_id,
            sections_key(sections),
        ]
        blank = rendered_once(
            made_of, lambda: render_to_string("visits/flow/_detainee_fields.html", {"form": form})
        )
    return render_step(
        request,
        "visits/flow/detainee.html",
        step_context(visit, "detainees", form=form, detainee=detainee, blank_fields=blank),
    )


@require_POST
@login_required
@flow_step
def visit_detainee_remove(request, uuid, pk):
    visit = _editable_visit(request, uuid)
    detainee = get_object_or_404(visit.detainees, pk=pk)
    if request.POST.get("confirmed") != "yes":
        # Asked first, without JavaScript: their answers go with them.
        return render(
            request,
            "visits/flow/detainee_remove.html",
            step_context(visit, "detainees", detainee=detainee, answers=detainee.answers.count()),
        )
    try:
        service.remove_detainee(actor=request.user, visit=visit, detainee=detainee)
    except DomainError as error:
        return _detainees_page(request, visit, refusal=_refusal(refusal_of(error)))
    messages.success(
        request,
        gettext("%(number)s removed from the report.") % {"number": detainee.custody_number},
    )
    return redirect("visit-detainees", uuid=visit.uuid)


# --- Suite checks and photos --------------------------------------------------------------------


def _suite_page(request, visit, form, photo_form):
    """The suite step; 400 with the error summary when one of its forms was refused."""
    return render_step(
        request,
        "visits/flow/suite.html",
        step_context(
            visit,
            "suite",
            form=form,
            photo_form=photo_form,
            photos=visible_photos(request.user, visit),
        ),
        at=reverse("visit-suite", args=[visit.uuid]),
    )


# The suite step's form carries this, so a photo sent without it (from another page, or an
# older copy of the page) never replaces the suite's answers with none.
SUITE_FORM_MARK = "suite_answers"


def _save_suite(request, visit, *, photo_required: bool, with_answers: bool):
    """The suite answers as posted, saved, then the photo posted with them (if any, or if
    `photo_required`): what one form on the suite step sends, whichever button was pressed, so
    an upload never loses an answer. Returns (suite form, photo form, everything saved)."""
    form = SuiteChecklistForm(
        request.POST if with_answers else None,
        sections=checklist_sections(visit.suite_checklist_id),
        answers=_answers(visit, None),
    )
    photo_form = PhotoForm(request.POST, request.FILES)
    saved = form.is_valid() if with_answers else True
    if with_answers and saved:
        try:
            service.save_suite_answers(actor=request.user, visit=visit, answers=answers_from(form))
        except DomainError as error:
            refuse(request, error, form)
            saved = False
    if not (photo_required or request.FILES.get("photo")):
        return form, PhotoForm(), saved
    if photo_form.is_valid():
        upload = photo_form.cleaned_data["photo"]
        try:
            service.add_photo(
                actor=request.user,
                visit=visit,
                photo=clean_photo(upload.read(upload.size + 1)),
                caption=photo_form.cleaned_data["caption"],
            )
        except ImageRejected as rejected:
            photo_form.add_error("photo", str(rejected))
        except DomainError as error:
            refuse(request, error, photo_form)
        else:
            messages.success(request, gettext("Photo added."))
            return form, PhotoForm(), saved
    return form, photo_form, False


@require_http_methods(["GET", "POST"])
@login_required
@flow_step
def visit_suite(request, uuid):
    visit = _editable_visit(request, uuid)
    if request.method == "POST" and "expected" in request.POST:
        # "All as expected" without JavaScript: shown again filled in, not saved.
        form = SuiteChecklistForm(
            request.POST,
            sections=checklist_sections(visit.suite_checklist_id),
            answers=_answers(visit, None),
        )
        form.fill_expected(request.POST["expected"])
        return _suite_page(request, visit, form, PhotoForm())
    if request.method == "POST" and request.POST:  # an empty POST is only a look, as before
        form, photo_form, saved = _save_suite(
            request, visit, photo_required=False, with_answers=True
        )
        if saved:
            return _next(visit, "suite")
        return _suite_page(request, visit, form, photo_form)
    form = SuiteChecklistForm(
        sections=checklist_sections(visit.suite_checklist_id), answers=_answers(visit, None)
    )
    return _suite_page(request, visit, form, PhotoForm())


@require_POST
@login_required
@flow_step
def visit_photo_upload(request, uuid):
    visit = _editable_visit(request, uuid)
    form, photo_form, saved = _save_suite(
        request, visit, photo_required=True, with_answers=SUITE_FORM_MARK in request.POST
    )
    if saved:
        return redirect("visit-suite", uuid=visit.uuid)
    return _suite_page(request, visit, form, photo_form)


@require_POST
@login_required
@flow_step
def visit_photo_remove(request, uuid, pk):
    visit = _editable_visit(request, uuid)
    photo = get_object_or_404(Attachment, visit=visit, pk=pk)
    from_suite = SUITE_FORM_MARK in request.POST
    if from_suite:  # pressed inside the suite step's form: keep its answers too
        form, photo_form, saved = _save_suite(
            request, visit, photo_required=False, with_answers=True
        )
        if not saved:
            return _suite_page(request, visit, form, photo_form)
    service.remove_photo(actor=request.user, visit=visit, photo=photo)
    messages.success(request, gettext("Photo removed from the report."))
    return redirect("visit-suite" if from_suite else "visit-check", uuid=visit.uuid)


@require_GET
@login_required
def visit_photo(request, uuid, pk, size="full"):
    visit = _visible_visit(request, uuid)
    photo = get_object_or_404(Attachment, visit=visit, pk=pk)
    file = photo.thumbnail if size == "thumb" else photo.image
    try:
        response = FileResponse(file.open("rb"), content_type="image/jpeg")
    except FileNotFoundError:
        raise Http404("The photo file is missing.") from None
    return response


# --- Issues and good practice -------------------------------------------------------------------


def _issues_page(
    request, visit, *, issue_form=None, recheck_form=None, good_practice_form=None, refusal=None
):
    """The issues step, with whichever of its three forms was sent (and refused) as sent: the
    error summary at the top lists every refused form's errors (400 if there are any)."""
    suggestions = [
        IssueForm(
            prefix="issue",
            initial={
                "category": s.category,
                "description": s.description,
                "custody_number": s.custody_number,
                "question_id": s.question_id,
                "severity": "routine",
            },
        )
        for s in service.suggested_issues(visit)
    ]
    issue_form = issue_form or IssueForm(prefix="issue")
    recheck_form = recheck_form or RecheckForm(issues=issue_service.awaiting_recheck(visit))
    good_practice_form = good_practice_form or GoodPracticeForm(
        initial={"good_practice": visit.good_practice}
    )
    return render_step(
        request,
        "visits/flow/issues.html",
        step_context(
            visit,
            "issues",
            issue_form=issue_form,
            suggestions=suggestions,
            recheck_form=recheck_form,
            issues=visit.issues.order_by("pk"),
            withdrawn=service.withdrawn_issues(visit)[:3],
            good_practice_form=good_practice_form,
            refusal=refusal,
        ),
        at=reverse("visit-issues", args=[visit.uuid]),
    )


@require_http_methods(["GET", "POST"])
@login_required
@flow_step
def visit_issues(request, uuid):
    visit = _editable_visit(request, uuid)
    form = IssueForm(request.POST or None, prefix="issue")
    if request.method == "POST" and form.is_valid():
        try:
            service.raise_issue(actor=request.user, visit=visit, **form.cleaned_data)
        except DomainError as error:
            refuse(request, error, form)
            warn_of_names(form, error)
        else:
            messages.success(request, gettext("Issue added."))
            return redirect("visit-issues", uuid=visit.uuid)
    return _issues_page(request, visit, issue_form=form if request.method == "POST" else None)


@require_POST
@login_required
@flow_step
def visit_recheck(request, uuid):
    visit = _editable_visit(request, uuid)
    form = RecheckForm(request.POST, issues=issue_service.awaiting_recheck(visit))
    if form.is_valid():
        try:
            count = issue_service.record_rechecks(
                actor=request.user, visit=visit, outcomes=form.outcomes()
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(
                request,
                ngettext("%(count)d re-check recorded.", "%(count)d re-checks recorded.", count)
                % {"count": count},
            )
            return redirect("visit-issues", uuid=visit.uuid)
    return _issues_page(request, visit, recheck_form=form)


@require_POST
@login_required
@flow_step
def visit_issue_withdraw(request, uuid, pk):
    visit = _editable_visit(request, uuid)
    issue = get_object_or_404(Issue, visit=visit, pk=pk)
    try:
        service.withdraw_issue(actor=request.user, visit=visit, issue=issue)
    except DomainError as error:
        return _issues_page(request, visit, refusal=_refusal(refusal_of(error)))
    messages.success(request, gettext("Issue taken off the report. You can undo this below."))
    return redirect("visit-issues", uuid=visit.uuid)


@require_POST
@login_required
@flow_step
def visit_issue_restore(request, uuid, pk):
    visit = _editable_visit(request, uuid)
    try:
        service.restore_issue(actor=request.user, visit=visit, issue_id=pk)
    except DomainError as error:
        return _issues_page(request, visit, refusal=_refusal(refusal_of(error)))
    messages.success(request, gettext("Issue put back on the report."))
    return redirect("visit-issues", uuid=visit.uuid)


@require_POST
@login_required
@flow_step
def visit_good_practice(request, uuid):
    visit = _editable_visit(request, uuid)
    form = GoodPracticeForm(request.POST)
    if form.is_valid():
        try:
            service.record_good_practice(
                actor=request.user,
                visit=visit,
                text=form.cleaned_data["good_practice"],
                names_checked=form.cleaned_data["names_checked"],
            )
        except DomainError as error:
            refuse(request, error, form)
            warn_of_names(form, error)
        else:
            return _next(visit, "issues")
    # Refused: the page again with the text as typed, never the next step without it.
    return _issues_page(request, visit, good_practice_form=form)


# --- Sign-off, check, submit --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@flow_step
def visit_sign_off(request, uuid):
    visit = _editable_visit(request, uuid)
    visitors = User.objects.filter(visit_roles__visit=visit).order_by("visit_roles__pk")
    initial = {
        "departed_at": visit.departed_at or timezone.localtime().replace(second=0, microsecond=0),
        "outcome": visit.outcome,
        "abandoned_reason": visit.abandoned_reason,
        "sergeant_name": visit.sergeant_name,
        "sergeant_comments": visit.sergeant_comments,
        "sergeant_confirmed": bool(visit.sergeant_signed_at),
        "confirmed_by": visitors.filter(visit_roles__confirmed_at__isnull=False),
    }
    form = SignOffForm(request.POST or None, initial=initial, visitors=visitors)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signature = clean_signature(data["signature"]) if data["signature"] else None
            service.record_sign_off(
                actor=request.user,
                visit=visit,
                sign_off=service.SignOff.from_data(
                    data, signature_png=signature, confirmed_by=data["confirmed_by"]
                ),
            )
        except ImageRejected as rejected:
            form.add_error("sergeant_confirmed", str(rejected))
        except DomainError as error:
            refuse(request, error, form)
        else:
            return _next(visit, "sign-off")
    return render_step(
        request, "visits/flow/sign_off.html", step_context(visit, "sign-off", form=form)
    )


@require_http_methods(["GET", "POST"])
@login_required
@flow_step
def visit_check(request, uuid):
    visit = _editable_visit(request, uuid)
    if request.method == "POST":
        try:
            service.submit_visit(actor=request.user, visit=visit)
        except DomainError as error:
            refusal_of(error)  # a 403 or 404 is raised; the page below lists what is missing
        else:
            messages.success(request, gettext("Report submitted. Thank you."))
            return redirect("visit-report", uuid=visit.uuid)
    problems = service.submission_problems(visit)
    fix_links = [
        (reverse(STEP_URLS[step], args=[visit.uuid]), text) for step, text in problems.items()
    ]
    return render_step(
        request,
        "visits/flow/check.html",
        step_context(
            visit,
            "check",
            report=visible_report(request.user, visit),
            problems=fix_links,
            copies=phone_reports.copies_to_settle(request.user, visit),
            # A refused submission: the list of what is missing is an error summary then.
            refused=request.method == "POST",
        ),
    )
