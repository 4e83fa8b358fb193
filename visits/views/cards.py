"""ID cards (issue 22): the card section of the manager's volunteer page (photo, issue, revoke),
the card as a PDF for the manager and for its holder, the photo, and the public check page the
card's QR code opens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from visits.card_pdf import render_id_card
from visits.errors import DomainError
from visits.forms import CardPhotoForm, RevokeCardForm, card_section, refusal_of, refuse
from visits.images import MAX_UPLOAD_BYTES
from visits.services import cards, volunteers


def _volunteer(request, pk: int):
    return volunteers.volunteer_for(actor=request.user, pk=pk)


def _section(request, membership, status=200, **forms):
    """The card section: its part for htmx, else the card page (with the errors of a POST)."""
    context = card_section(membership, **forms)
    if request.htmx:
        return render(request, "volunteers/card.html#id-card", context)
    return render(request, "volunteers/card.html", context, status=status)


def _done(request, membership, message: str):
    if request.htmx:
        return _section(request, membership, saved=message)
    messages.success(request, message)
    return redirect(reverse("volunteer-detail", args=[membership.pk]) + "#id-card")


@require_GET
@login_required
def volunteer_card(request, pk: int):
    return _section(request, _volunteer(request, pk))


@require_POST
@login_required
def volunteer_card_photo_upload(request, pk: int):
    membership = _volunteer(request, pk)
    form = CardPhotoForm(request.POST, request.FILES, prefix="card")
    if form.is_valid():
        try:
            cards.upload_photo(
                actor=request.user,
                membership=membership,
                raw=form.cleaned_data["photo"].read(MAX_UPLOAD_BYTES + 1),
            )
        except DomainError as error:
            refuse(request, error, form)
        else:
            return _done(request, membership, _("Photo saved."))
    return _section(request, membership, status=400, photo_form=form)


@require_POST
@login_required
def volunteer_card_issue(request, pk: int):
    membership = _volunteer(request, pk)
    try:
        card = cards.issue_card(actor=request.user, membership=membership)
    except DomainError as error:
        return _section(request, membership, status=400, issue_error=refusal_of(error))
    return _done(request, membership, _("Card %(number)s issued.") % {"number": card.number})


@require_POST
@login_required
def volunteer_card_revoke(request, pk: int):
    membership = _volunteer(request, pk)
    form = RevokeCardForm(request.POST, prefix="revoke")
    current = cards.record_of(membership).current
    if current is None:
        form.add_error(None, _("There is no valid card to revoke."))
    elif form.is_valid():
        try:
            cards.revoke_card(actor=request.user, card=current, reason=form.cleaned_data["reason"])
        except DomainError as error:
            refuse(request, error, form)
        else:
            return _done(
                request, membership, _("Card %(number)s revoked.") % {"number": current.number}
            )
    return _section(request, membership, status=400, revoke_form=form)


def _pdf(face) -> HttpResponse:
    response = HttpResponse(render_id_card(face), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="id-card-{face.number}.pdf"'
    return response


@require_GET
@login_required
def volunteer_card_pdf(request, pk: int):
    membership = _volunteer(request, pk)
    return _pdf(cards.card_to_print(actor=request.user, membership=membership))


@require_GET
@login_required
def volunteer_card_photo(request, pk: int):
    membership = _volunteer(request, pk)
    try:
        photo = cards.photo_of(actor=request.user, membership=membership)
        return FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    except FileNotFoundError as error:
        raise Http404("No photo") from error


@require_GET
@login_required
def own_card_pdf(request):
    return _pdf(cards.own_card_to_print(actor=request.user))


@require_GET
def card_check(request, token: str):
    """Public: the custody staff scan the card. Valid or not, and nothing about its holder; a
    card that is not valid gets the same 404 page as an address that never was one."""
    check = cards.check_card(token)
    response = render(
        request,
        "visits/public/card_check.html",
        {"check": check},
        status=200 if check.valid else 404,
    )
    # Revoking must show at once: no browser or proxy keeps an answer. The token stays out of
    # the Referer of any link followed from here, and out of search engines.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
