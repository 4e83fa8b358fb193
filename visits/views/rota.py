"""Rota pages: a visitor's own slots, availability, swaps and calendar feed; the manager's
period, grid and hand changes. The force and the PCC reader never reach any of them (404)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from visits import permissions
from visits.calendars import calendar_ics
from visits.errors import DomainError
from visits.forms import (
    AvailabilityForm,
    MovePairForm,
    OfferForm,
    OpenPeriodForm,
    PlannedTimeForm,
    PublishForm,
    RevisionForm,
    SlotForm,
    refuse,
)
from visits.models import (
    Availability,
    CalendarFeed,
    Membership,
    RotaPeriod,
    RotaSlot,
    Scheme,
    SwapRequest,
)
from visits.services import rota
from visits.workdays import monday_of

User = get_user_model()


def _rostered(request) -> list[Membership]:
    members = rota.rostered_members_of(request.user)
    if not members:
        raise Http404("Not on a rota")
    return members


def _managed_period(request, pk) -> RotaPeriod:
    """404 unless the user is on this scheme's rota at all; 403 unless they manage it."""
    period = _visible_period(request, pk)
    if not permissions.can_manage_scheme(request.user, period.scheme_id):
        raise PermissionDenied(gettext("Only the scheme manager plans the rota."))
    return period


def _visible_period(request, pk) -> RotaPeriod:
    periods = RotaPeriod.objects.select_related("scheme")
    return get_object_or_404(permissions.scope_rota_periods(periods, request.user), pk=pk)


def _managed_slot(request, pk) -> RotaSlot:
    slot = get_object_or_404(
        permissions.scope_rota_slots(RotaSlot.objects.all(), request.user).select_related(
            "suite", "period__scheme"
        ),
        pk=pk,
    )
    if not permissions.can_manage_scheme(request.user, slot.period.scheme_id):
        raise PermissionDenied(gettext("Only the scheme manager changes the rota."))
    return slot


# --- A visitor's rota ---------------------------------------------------------------------------


def my_rota_context(request) -> dict:
    members = _rostered(request)
    user = request.user
    monday = monday_of(timezone.localdate())
    slots = list(rota.slots_for_visitor(user).filter(week_starts_on__gte=monday))
    for slot in slots:
        slot.partners = [v for v in slot.visitors.all() if v.pk != user.pk]
        slot.my_offer = next((o for o in slot.open_offers if o.offered_by_id == user.pk), None)
        slot.plan_form = PlannedTimeForm(
            initial={
                "planned_for": timezone.localtime(slot.planned_for) if slot.planned_for else None,
                "revision": slot.revision,
            },
            prefix=f"slot{slot.pk}",
        )
    scheme_ids = [m.scheme_id for m in members]
    collecting = list(
        RotaPeriod.objects.filter(scheme_id__in=scheme_ids, status=RotaPeriod.Status.COLLECTING)
        .select_related("scheme")
        .order_by("starts_on")
    )
    given = set(
        Availability.objects.filter(user=user, period__in=collecting).values_list(
            "period_id", flat=True
        )
    )
    for period in collecting:
        period.given = period.pk in given
        period.closed = period.availability_closes_on < timezone.localdate()
    panel_slots = []
    panels = permissions.coordinated_panels(user)
    if panels:
        panel_slots = list(
            permissions.scope_rota_slots(RotaSlot.objects.all(), user)
            .filter(suite__panel_id__in=panels, week_starts_on__gte=monday)
            .select_related("suite")
            .prefetch_related("visitors")[:40]
        )
    feeds = {
        f.membership_id: f
        for f in CalendarFeed.objects.filter(membership__in=members, revoked_at__isnull=True)
    }
    for m in members:
        m.feed = feeds.get(m.pk)
    return {
        "members": members,
        "slots": slots,
        "offers": rota.open_offers_for(user),
        "collecting": collecting,
        "panel_slots": panel_slots,
        "offer_form": OfferForm(),
    }


@require_GET
@login_required
def my_rota(request):
    return render(request, "visits/rota/mine.html", my_rota_context(request))


def _own_slot(request, pk) -> RotaSlot:
    slot = get_object_or_404(
        permissions.scope_rota_slots(RotaSlot.objects.all(), request.user).select_related(
            "suite", "period__scheme"
        ),
        pk=pk,
    )
    if not slot.visitors.filter(pk=request.user.pk).exists():
        raise PermissionDenied(gettext("This is not your slot."))
    return slot


@require_POST
@login_required
def slot_plan(request, pk):
    slot = _own_slot(request, pk)
    form = PlannedTimeForm(request.POST, prefix=f"slot{slot.pk}")
    if not form.is_valid():
        messages.error(
            request, gettext("Give the day and time as a date and a time, or leave it empty.")
        )
        return redirect("my-rota")
    try:
        rota.set_planned_time(
            actor=request.user,
            slot=slot,
            when=form.cleaned_data["planned_for"],
            expected_revision=form.cleaned_data["revision"],
        )
    except DomainError as error:
        refuse(request, error)
    else:
        messages.success(
            request, gettext("Saved. Only you, your partner and the scheme manager see it.")
        )
    return redirect("my-rota")


@require_POST
@login_required
def slot_offer(request, pk):
    slot = _own_slot(request, pk)
    form = OfferForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        rota.offer(actor=request.user, slot=slot, note=note)
    except DomainError as error:
        refuse(request, error)
    else:
        messages.success(
            request,
            gettext(
                "Your place is offered. You stay on the slot until someone takes it; "
                "your partner and the scheme manager have been told."
            ),
        )
    return redirect("my-rota")


def _visible_offer(request, pk) -> SwapRequest:
    swaps = SwapRequest.objects.select_related("slot__period", "slot__suite")
    return get_object_or_404(permissions.scope_swaps(swaps, request.user), pk=pk)


@require_POST
@login_required
def offer_take(request, pk):
    swap = _visible_offer(request, pk)
    try:
        rota.take(actor=request.user, swap=swap)
    except DomainError as error:
        refuse(request, error)
    else:
        messages.success(
            request,
            gettext(
                "You have taken the slot at %(suite)s, week of %(week)s. "
                "Agree the day and time with your partner."
            )
            % {
                "suite": swap.slot.suite.name,
                "week": date_format(swap.slot.week_starts_on, "j F"),
            },
        )
    return redirect("my-rota")


@require_POST
@login_required
def offer_withdraw(request, pk):
    swap = _visible_offer(request, pk)
    try:
        rota.withdraw(actor=request.user, swap=swap)
    except DomainError as error:
        refuse(request, error)
    else:
        messages.success(request, gettext("Your offer is withdrawn: the slot is yours again."))
    return redirect("my-rota")


@require_http_methods(["GET", "POST"])
@login_required
def availability(request, pk):
    period = _visible_period(request, pk)
    manager = permissions.can_manage_scheme(request.user, period.scheme_id)
    person = request.user
    if request.GET.get("user"):
        if not manager:
            raise PermissionDenied(
                gettext("Only the scheme manager enters availability for others.")
            )
        person = get_object_or_404(
            User, pk=request.GET.get("user") if request.GET["user"].isdigit() else 0
        )
    if not rota.rostered_members(period.scheme_id).filter(user=person).exists():
        raise Http404("Not on this rota")
    current = Availability.objects.filter(period=period, user=person).first()
    initial = (
        {
            "unavailable_weeks": current.unavailable_weeks,
            "preferred_days": current.preferred_days,
            "preferred_bands": current.preferred_bands,
            "nights_ok": current.nights_ok,
            "nights_a_year": current.nights_a_year,
            "max_visits_per_month": current.max_visits_per_month,
            "max_visits_per_period": current.max_visits_per_period,
            "revision": current.revision,
        }
        if current
        else {"revision": 0}
    )
    form = AvailabilityForm(request.POST or None, initial=initial, weeks=rota.weeks_of(period))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        revision = data.pop("revision")
        try:
            rota.set_availability(
                actor=request.user,
                period=period,
                user=person,
                data=rota.AvailabilityInput(**data),
                expected_revision=revision,
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(
                request,
                gettext("Availability for %(period)s saved.") % {"period": period.shown_name},
            )
            if person != request.user:
                return redirect("rota-period", pk=period.pk)
            return redirect("my-rota")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "visits/rota/availability.html",
        {"period": period, "form": form, "person": person, "manager": manager},
        status=status,
    )


@require_POST
@login_required
def feed_renew(request, pk):
    membership = get_object_or_404(Membership, pk=pk, user=request.user)
    if membership not in rota.rostered_members_of(request.user):
        raise Http404("Not on a rota")
    rota.feed_for(actor=request.user, membership=membership, renew=True)
    messages.success(
        request,
        gettext("Your calendar address is ready. Any address you had before has stopped working."),
    )
    return redirect("my-rota")


@require_GET
def calendar_feed(request, token):
    """The visitor's own slots (suite and week; the agreed time once the pair agree it) at a
    secret address (no sign-in: calendar apps cannot sign in). A revoked address is gone."""
    feed = rota.calendar_feed(token)
    response = HttpResponse(
        calendar_ics(feed, request.get_host()), content_type="text/calendar; charset=utf-8"
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- The manager's rota -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def period_list(request):
    schemes = permissions.managed_schemes(request.user)
    if not schemes:
        if rota.rostered_members_of(request.user):
            raise PermissionDenied(gettext("Only the scheme manager plans the rota."))
        raise Http404("No rota")
    form = OpenPeriodForm(request.POST or None)
    scheme = Scheme.objects.get(pk=schemes[0])
    if request.method == "POST" and form.is_valid():
        try:
            period = rota.open_period(actor=request.user, scheme=scheme, **form.cleaned_data)
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(
                request,
                gettext("%(period)s is open for availability.") % {"period": period.shown_name},
            )
            return redirect("rota-period", pk=period.pk)
    periods = RotaPeriod.objects.filter(scheme_id__in=schemes).select_related("scheme")
    return render(
        request,
        "visits/rota/periods.html",
        {"periods": periods, "form": form, "scheme": scheme},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@login_required
def period_detail(request, pk):
    period = _managed_period(request, pk)
    return render(request, "visits/rota/period.html", rota.period_overview(period))


@require_POST
@login_required
def period_generate(request, pk):
    period = _managed_period(request, pk)
    try:
        figures = rota.generate(actor=request.user, period=period)
    except DomainError as error:
        refuse(request, error)
    else:
        messages.success(request, rota.generated_message(figures))
    return redirect("rota-period", pk=period.pk)


@require_http_methods(["GET", "POST"])
@login_required
def period_publish(request, pk):
    period = _managed_period(request, pk)
    form = PublishForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            rota.publish(actor=request.user, period=period, confirmed=form.cleaned_data["confirm"])
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(request, gettext("Published. The people listed are being e-mailed."))
            return redirect("rota-period", pk=period.pk)
    elif request.method == "POST":
        form.add_error(
            None, gettext("Publish from the confirmation page, after checking the list.")
        )
    return render(
        request,
        "visits/rota/publish.html",
        {"period": period, "preview": rota.publish_preview(period), "form": form},
        status=400 if request.method == "POST" else 200,
    )


def slot_context(slot: RotaSlot, form=None, move_form=None, warnings=None) -> dict:
    people = list(rota.rostered_members(slot.period.scheme_id))
    current = [u.pk for u in slot.visitors.all()]
    form = form or SlotForm(
        initial={
            "first": (current + [""])[0],
            "second": (current[1:] + [""])[0],
            "revision": slot.revision,
        },
        people=people,
    )
    others = (
        slot.period.slots.exclude(pk=slot.pk)
        .exclude(status=RotaSlot.Status.CANCELLED)
        .select_related("suite")
    )
    return {
        "slot": slot,
        "form": form,
        "move_form": move_form or MovePairForm(slots=others, initial={"revision": slot.revision}),
        "warnings": warnings if warnings is not None else rota.slot_breaches(slot, current),
        "statuses": [RotaSlot.Status.PLANNED, RotaSlot.Status.MISSED, RotaSlot.Status.CANCELLED],
    }


@require_http_methods(["GET", "POST"])
@login_required
def slot_edit(request, pk):
    slot = _managed_slot(request, pk)
    if request.method == "GET":
        return render(request, "visits/rota/slot.html", slot_context(slot))
    people = list(rota.rostered_members(slot.period.scheme_id))
    form = SlotForm(request.POST, people=people)
    warnings = None
    if form.is_valid():
        try:
            rota.assign(
                actor=request.user,
                slot=slot,
                visitor_ids=form.visitor_ids(),
                accept_warnings=form.cleaned_data["accept_warnings"],
                expected_revision=form.cleaned_data["revision"],
            )
        except rota.RotaWarning as warning:
            warnings = warning.warnings
            form.add_error(
                None, gettext("This change breaks rota rules. Change it, or tick to keep it.")
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(request, gettext("Slot saved."))
            return redirect("rota-period", pk=slot.period_id)
    # Broken rules are a question for the manager (200); a bad form is a bad request (400).
    return render(
        request,
        "visits/rota/slot.html",
        slot_context(slot, form, warnings=warnings),
        status=200 if warnings else 400,
    )


@require_POST
@login_required
def slot_check(request, pk):
    """htmx: the rules a proposed pair would break, before saving."""
    slot = _managed_slot(request, pk)
    people = list(rota.rostered_members(slot.period.scheme_id))
    form = SlotForm(request.POST, people=people)
    warnings = rota.slot_breaches(slot, form.visitor_ids()) if form.is_valid() else []
    return render(
        request, "visits/rota/slot.html#warnings", {"warnings": warnings, "checked": True}
    )


@require_POST
@login_required
def slot_move(request, pk):
    slot = _managed_slot(request, pk)
    others = slot.period.slots.exclude(pk=slot.pk).select_related("suite")
    form = MovePairForm(request.POST, slots=others)
    if form.is_valid():
        target = others.get(pk=form.cleaned_data["target"])
        try:
            rota.move_pair(
                actor=request.user,
                slot=slot,
                target=target,
                accept_warnings=form.cleaned_data["accept_warnings"],
                expected_revision=form.cleaned_data["revision"],
            )
        except rota.RotaWarning as warning:
            form.add_error(
                None,
                gettext("Moving this pair breaks rota rules: %(rules)s")
                % {"rules": " ".join(warning.warnings)},
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            messages.success(request, gettext("The two pairs have swapped slots."))
            return redirect("rota-period", pk=slot.period_id)
    return render(request, "visits/rota/slot.html", slot_context(slot, move_form=form), status=400)


@require_POST
@login_required
def slot_status(request, pk):
    slot = _managed_slot(request, pk)
    try:
        form = RevisionForm(request.POST)
        rota.end_slot(
            actor=request.user,
            slot=slot,
            status=request.POST.get("status", ""),
            expected_revision=form.cleaned_data["revision"] if form.is_valid() else None,
        )
    except DomainError as error:
        refuse(request, error)
    else:
        messages.success(
            request,
            gettext("Slot marked %(status)s.") % {"status": slot.get_status_display().lower()},
        )
    return redirect("rota-period", pk=slot.period_id)
