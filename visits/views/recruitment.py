"""Recruitment (issue 22): the public application form of each scheme (no sign-in), the
manager's applications, and the new visitor's one-time page to set a password."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from visits import application_guard as guard
from visits.errors import DomainError
from visits.forms import refuse
from visits.recruitment_forms import (
    ApplicationActionForm,
    ApplicationForm,
    InterviewForm,
    ReferenceForm,
    ReferenceResultForm,
)
from visits.services import recruitment
from visits.services.audit import current_address

# --- The public form ----------------------------------------------------------------------------


def _scheme(slug: str):
    return recruitment.scheme_taking_applications(slug)


def _form_page(request, scheme, form, status=200):
    context = {
        "scheme": scheme,
        "form": form,
        "retention_months": recruitment.retention_months(),
    }
    return render(request, "recruitment/apply.html", context, status=status)


@never_cache  # the form holds a CSRF token and a stamp of the moment it was shown
@require_http_methods(["GET", "POST"])
def apply(request, slug: str):
    scheme = _scheme(slug)
    if request.method == "GET":
        return _form_page(request, scheme, ApplicationForm(initial={"started": _stamp(scheme)}))
    form = ApplicationForm(request.POST)
    if not form.is_valid():
        return _form_page(request, scheme, form, status=400)
    data = form.cleaned_data
    if data["website"]:
        # Only a script fills in the hidden field: it is answered as if it had worked (telling it
        # what to change would teach it) and nothing is kept or sent.
        return redirect("apply-thanks", slug=scheme.slug)
    # Counted once the form is complete: what a flood would cost is kept rows and e-mails.
    if not guard.throttle_allows(_client(request)):
        form.add_error(None, gettext("Too many forms were sent from here. Try again in an hour."))
        return _form_page(request, scheme, form, status=429)
    try:
        guard.check_stamp(data["started"], scheme.slug)
        _receive(scheme, data)
    except DomainError as error:
        refuse(request, error, form)
        # A new stamp only where the old one cannot serve; otherwise a person who ticks a box
        # they missed and sends again at once would be told they were too quick.
        fresh = error.code in ("stamp_invalid", "stamp_expired")
        return _form_page(request, scheme, _fresh_stamp(form, scheme) if fresh else form, 400)
    return redirect("apply-thanks", slug=scheme.slug)


def _client(request) -> str | None:
    """The client's address as icv.middleware.client_address worked it out for this request
    (the proxies counted as for the sign-in lockout); the socket's if it did not run."""
    return current_address.get() or request.META.get("REMOTE_ADDR")


def _receive(scheme, data) -> None:
    """Spend the stamp, then keep the application; a refused one gives the stamp back."""
    if not guard.spend_stamp(data["started"]):
        raise DomainError(
            gettext("This form has already been sent: we have your application."),
            code="already_sent",
        )
    fields = {k: v for k, v in data.items() if k not in ("website", "started", "consent")}
    try:
        recruitment.receive_application(
            scheme=scheme, applicant=recruitment.Applicant(**fields, consented=data["consent"])
        )
    except DomainError:
        guard.unspend_stamp(data["started"])
        raise  # to apply's refuse, which shows it on the form


def _stamp(scheme) -> str:
    return guard.issue_stamp(scheme.slug)


def _fresh_stamp(form, scheme):
    """The same answers and errors, with a new stamp: the old one is spent, expired or bad."""
    data = form.data.copy()
    data["started"] = _stamp(scheme)
    form.data = data
    return form


@require_GET
def apply_thanks(request, slug: str):
    scheme = _scheme(slug)
    response = render(request, "recruitment/thanks.html", {"scheme": scheme})
    patch_cache_control(response, public=True, max_age=300)  # the same page for everyone
    return response


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The welcome e-mail's one-time link (Django's password-reset token: it stops working once
    the password is set, or after PASSWORD_RESET_TIMEOUT)."""

    template_name = "recruitment/set_password.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        messages.success(self.request, gettext("Your password is set. Sign in with it now."))
        return super().form_valid(form)


set_password = SetPasswordView.as_view()


# --- The manager's pages ------------------------------------------------------------------------


def _application(request, pk: int):
    return recruitment.application_for(actor=request.user, pk=pk)


@require_GET
@login_required
def application_list(request):
    schemes = recruitment.schemes_managed_by(request.user)
    if not schemes:
        raise Http404("Not a scheme manager")
    rows = recruitment.application_list(actor=request.user)
    return render(request, "recruitment/list.html", {"applications": rows, "schemes": schemes})


def _detail(request, application, bound=None, status=200, done=""):
    """The application's page, or (htmx) its part, which holds every form of it."""
    page = recruitment.application_page(application)
    forms = {
        "action_form": ApplicationActionForm(next_statuses=page["next_moves"]),
        "interview_form": InterviewForm(
            initial={
                "interviewed_on": application.interviewed_on,
                "notes": application.interview_notes,
            }
        ),
        "reference_form": ReferenceForm(),
        **(bound or {}),
    }
    results = forms.pop("reference_result_forms", {})
    context = {
        **page,
        "reference_rows": [
            (reference, results.get(reference.pk) or _result_form(reference))
            for reference in page["references"]
        ],
        **forms,
        "error_forms": [f for f in _all_forms(bound) if f.errors],
        "done": done,
    }
    template = "recruitment/detail.html"
    if request.htmx:
        template += "#application"
    return render(request, template, context, status=status)


def _result_form(reference, data=None):
    initial = {
        "received_on": reference.received_on,
        "satisfactory": {True: "yes", False: "no"}.get(reference.satisfactory),
        "notes": reference.notes,
    }
    return ReferenceResultForm(data, prefix=f"reference-{reference.pk}", initial=initial)


def _all_forms(bound) -> list:
    forms = []
    for value in (bound or {}).values():
        forms += list(value.values()) if isinstance(value, dict) else [value]
    return forms


@require_GET
@login_required
def application_detail(request, pk: int):
    return _detail(request, _application(request, pk))


def _answer(request, application, bound, form, change, done):
    """Validate `form`, call `change`; the page again with the error, or redirect when done."""
    if form.is_valid():
        try:
            change(form.cleaned_data)
        except DomainError as error:
            refuse(request, error, form)  # NotPermitted: 403
        else:
            if request.htmx:
                return _detail(request, _application(request, application.pk), done=done)
            messages.success(request, done)
            return redirect("application-detail", pk=application.pk)
    # As on the volunteer's page: htmx swaps the part in with its errors as a 200.
    return _detail(request, application, bound, status=200 if request.htmx else 400)


@require_POST
@login_required
def application_act(request, pk: int):
    application = _application(request, pk)

    def change(data):
        action = data["action"]
        if action == "offer":
            recruitment.make_offer(actor=request.user, application=application)
        elif action == "accept":
            recruitment.accept_offer(actor=request.user, application=application)
        elif action == "welcome":
            recruitment.send_welcome_again(actor=request.user, application=application)
        else:
            recruitment.move_status(actor=request.user, application=application, to=action)

    form = ApplicationActionForm(request.POST)
    return _answer(request, application, {"action_form": form}, form, change, gettext("Saved."))


@require_POST
@login_required
def application_interview(request, pk: int):
    application = _application(request, pk)

    def change(data):
        recruitment.record_interview(
            actor=request.user,
            application=application,
            interviewed_on=data["interviewed_on"],
            notes=data["notes"],
        )

    form = InterviewForm(request.POST)
    done = gettext("Interview recorded.")
    return _answer(request, application, {"interview_form": form}, form, change, done)


@require_POST
@login_required
def application_reference_add(request, pk: int):
    application = _application(request, pk)

    def change(data):
        recruitment.add_reference(actor=request.user, application=application, **data)

    form = ReferenceForm(request.POST)
    done = gettext("Referee added.")
    return _answer(request, application, {"reference_form": form}, form, change, done)


@require_POST
@login_required
def application_reference_record(request, pk: int, ref: int):
    application = _application(request, pk)
    reference = recruitment.reference_of(application, ref)
    if reference is None:
        raise Http404("No such reference")

    def change(data):
        recruitment.record_reference(
            actor=request.user,
            reference=reference,
            received_on=data["received_on"],
            satisfactory=data["satisfactory"],
            notes=data["notes"],
        )

    form = _result_form(reference, request.POST)
    bound = {"reference_result_forms": {reference.pk: form}}
    return _answer(request, application, bound, form, change, gettext("Reference recorded."))
