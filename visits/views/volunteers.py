from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from visits import permissions
from visits.errors import DomainError
from visits.forms import AppointmentForm, LeavingForm, VettingForm, card_section, refuse
from visits.services import cards, volunteers


def _volunteer(request, pk: int):
    return volunteers.volunteer_for(actor=request.user, pk=pk)


def _forms_of(membership, bound=None) -> dict:
    """The three forms of a volunteer's page, filled from the record; `bound` replaces one."""
    m = membership
    forms = {
        "vetting_form": VettingForm(
            initial={
                "level": m.vetting_level,
                "reference": m.vetting_reference,
                "granted_on": m.vetting_granted_on,
                "expires_on": m.vetting_expires_on,
            },
            prefix="vetting",
        ),
        "appointment_form": AppointmentForm(
            initial={
                "appointed_on": m.appointed_on,
                "ends_on": m.appointment_ends_on,
                "renewed_on": m.appointment_renewed_on,
            },
            prefix="appointment",
        ),
        "leaving_form": LeavingForm(prefix="leaving"),
    }
    forms.update(bound or {})
    return forms


def _detail(request, membership, bound=None, status=200, saved=False):
    """The volunteer's page, or (htmx) its record part, which holds the forms too."""
    context = {"record": volunteers.record_of(membership), **_forms_of(membership, bound)}
    context["saved"] = saved
    context.update(card_section(membership))  # the ID card section (visits.views.cards)
    context["error_forms"] = [f for f in (bound or {}).values() if f.errors]
    template = "volunteers/detail.html"
    return render(
        request, f"{template}#volunteer" if request.htmx else template, context, status=status
    )


@require_GET
@login_required
def volunteer_list(request):
    if not permissions.managed_schemes(request.user):
        raise Http404("Not a scheme manager")
    records = volunteers.volunteer_list(actor=request.user)
    return render(request, "volunteers/list.html", {"records": records})


@require_GET
@login_required
def volunteer_detail(request, pk: int):
    return _detail(request, _volunteer(request, pk))


def _record(request, pk, form_class, prefix, save):
    """Validate one of the three forms and hand it to its service; the page again on error."""
    membership = _volunteer(request, pk)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            save(membership, form.cleaned_data)
        except DomainError as error:
            refuse(request, error, form)
        else:
            if request.htmx:
                return _detail(request, membership, saved=True)
            messages.success(request, _("Saved."))
            return redirect("volunteer-detail", pk=membership.pk)
    # htmx swaps the part with its errors; a 400 there left Chromium showing the part alone,
    # without the page around it (seen at 320 px), so the part comes back as a 200.
    status = 200 if request.htmx else 400
    return _detail(request, membership, {f"{prefix}_form": form}, status=status)


@require_POST
@login_required
def volunteer_vetting(request, pk: int):
    def save(membership, data):
        volunteers.record_vetting(
            actor=request.user,
            membership=membership,
            vetting=volunteers.Vetting(
                level=data["level"],
                reference=data["reference"],
                granted_on=data["granted_on"],
                expires_on=data["expires_on"],
            ),
        )

    return _record(request, pk, VettingForm, "vetting", save)


@require_POST
@login_required
def volunteer_appointment(request, pk: int):
    def save(membership, data):
        volunteers.record_appointment(
            actor=request.user, membership=membership, appointment=volunteers.Appointment(**data)
        )

    return _record(request, pk, AppointmentForm, "appointment", save)


@require_POST
@login_required
def volunteer_leaving(request, pk: int):
    def save(membership, data):
        volunteers.record_leaving(
            actor=request.user,
            membership=membership,
            left_on=data["left_on"],
            reason=data["reason"],
        )

    return _record(request, pk, LeavingForm, "leaving", save)


@require_GET
@login_required
def own_record(request):
    records = [volunteers.record_of(m) for m in volunteers.own_records(request.user)]
    if not records:
        raise Http404("No volunteer record")
    card_records = cards.own_cards(request.user)  # their ID cards (issue 22)
    return render(
        request, "volunteers/own.html", {"records": records, "card_records": card_records}
    )
