"""ID cards (issue 22): the scheme manager uploads a visitor's photo and issues, reissues or
revokes their card; leaving revokes it (visits.services.volunteers.record_leaving); the custody
staff open the card's QR code and learn only whether it is valid now (`check_card`).

Every change and every printing is audited here. What a page, the PDF or the API shows of a
volunteer's cards is `cards_of` (the manager) or `own_cards` (the volunteer): nothing else."""

from __future__ import annotations

import datetime
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from visits import images, permissions, rules
from visits.errors import DomainError, NotFound
from visits.models import CardPhoto, IdCard, Membership, Scheme
from visits.models.cards import card_expiry
from visits.services import audit, tokens

MAX_REASON = 200
TOKEN_BYTES = 32  # 256 random bits: the check URL cannot be guessed, so it needs no sign-in


def _require_manager(actor, membership: Membership) -> None:
    permissions.require_volunteer_manager(
        actor, membership, gettext_lazy("Only the scheme manager issues and revokes ID cards.")
    )


# --- What the pages, the PDF and the API show ----------------------------------------------------


@dataclass(frozen=True)
class CardRecord:
    """A volunteer's cards as the manager's page, their own record and the API show them: the
    current card (valid today) if any, the earlier ones, whether a photo is on file, and why a
    card cannot be issued now (None when it can)."""

    membership: Membership
    current: IdCard | None
    earlier: list[IdCard]
    has_photo: bool
    cannot_issue: str | None
    cannot_issue_code: str | None
    expiry_if_issued: datetime.date | None


def _refusal(membership: Membership, has_photo: bool, today) -> DomainError | None:
    """Why a card cannot be issued to this member today, as the error `issue_card` raises."""
    bar = membership.visiting_bar(today)
    if bar is not None:
        return DomainError(bar.message, code=bar.code)
    if card_expiry(membership) is None:
        return DomainError(
            gettext(
                "Record their vetting expiry or the end of their appointment first: "
                "a card must say when it expires."
            ),
            code="no_expiry",
        )
    if not has_photo:
        return DomainError(gettext("Upload their photo first."), code="photo_required")
    return None


def records_of(memberships, today: datetime.date | None = None) -> list[CardRecord]:
    """The cards of each of these volunteers, in two queries however many there are (the
    photos on file and the cards), for a list or the API."""
    today = today or timezone.localdate()
    memberships = list(memberships)
    ids = [m.pk for m in memberships]
    with_photo = set(
        CardPhoto.objects.filter(membership_id__in=ids).values_list("membership_id", flat=True)
    )
    cards_of_member: dict[int, list[IdCard]] = {pk: [] for pk in ids}
    for card in IdCard.objects.filter(membership_id__in=ids):
        cards_of_member[card.membership_id].append(card)
    records = []
    for membership in memberships:
        cards = cards_of_member[membership.pk]
        for card in cards:
            card.membership = membership  # is_valid_on asks the holder: no query per card
        current = next((c for c in cards if c.is_valid_on(today)), None)
        has_photo = membership.pk in with_photo
        refusal = _refusal(membership, has_photo, today)
        records.append(
            CardRecord(
                membership=membership,
                current=current,
                earlier=[c for c in cards if c is not current],
                has_photo=has_photo,
                cannot_issue=refusal.message if refusal else None,
                cannot_issue_code=refusal.code if refusal else None,
                expiry_if_issued=card_expiry(membership),
            )
        )
    return records


def record_of(membership: Membership, today: datetime.date | None = None) -> CardRecord:
    """One volunteer's cards (two queries)."""
    return records_of([membership], today)[0]


def own_cards(user) -> list[CardRecord]:
    """The user's own cards, one record per scheme they visit in."""
    return records_of(Membership.objects.visiting_of(user))


# --- The photo -----------------------------------------------------------------------------------


def upload_photo(*, actor, membership: Membership, raw: bytes) -> CardPhoto:
    """Store the visitor's card photo, cleaned and cropped (visits.images.clean_portrait), in
    place of any earlier one. Raises DomainError `photo_rejected` saying what is wrong with it."""
    _require_manager(actor, membership)
    try:
        portrait = images.clean_portrait(raw)
    except images.ImageRejected as error:
        raise DomainError(str(error), code="photo_rejected", field="photo") from error
    with transaction.atomic():
        photo = CardPhoto.objects.select_for_update().filter(membership=membership).first()
        old_name = photo.image.name if photo else None
        photo = photo or CardPhoto(membership=membership)
        photo.uploaded_by = actor
        photo.image.save(f"{uuid.uuid4().hex}.jpg", ContentFile(portrait), save=False)
        photo.save()
        if old_name:
            storage = photo.image.storage
            transaction.on_commit(lambda: storage.delete(old_name))
        audit.record(
            actor=actor,
            action="card.photo_uploaded",
            obj=membership,
            scheme=membership.scheme,
            detail={"replaced": bool(old_name)},
        )
    return photo


def photo_of(*, actor, membership: Membership) -> CardPhoto:
    """The card photo, for the manager's page (NotFound if none)."""
    _require_manager(actor, membership)
    photo = CardPhoto.objects.filter(membership=membership).first()
    if photo is None:
        raise NotFound(gettext("No photo."), code="not_found")
    return photo


# --- Issuing and revoking ------------------------------------------------------------------------


def _next_number(scheme: Scheme) -> str:
    """The scheme's next card number, "NOR1-000042" (letters of its slug and its id, so two
    schemes whose names begin alike never draw the same numbers): the scheme's row is locked by
    the caller, so two cards issued at once get two numbers."""
    prefix = (scheme.slug.replace("-", "")[:3] or "ICV").upper() + str(scheme.pk)
    count = IdCard.objects.filter(membership__scheme=scheme).count()
    while True:
        count += 1
        number = f"{prefix}-{count:06d}"
        if not IdCard.objects.filter(number=number).exists():
            return number


def issue_card(*, actor, membership: Membership) -> IdCard:
    """Issue the visitor a new card, valid from today to `card_expiry` (the end of their term,
    or of their vetting if sooner). A card they hold already is revoked from today ("replaced"):
    issuing again is reissuing. Raises DomainError (`visitor_left`, `vetting_lapsed`,
    `appointment_lapsed`, `no_expiry`, `photo_required`) saying what to do first."""
    _require_manager(actor, membership)
    today = timezone.localdate()
    with transaction.atomic():
        Scheme.objects.select_for_update().get(pk=membership.scheme_id)
        membership = Membership.objects.select_related("user", "scheme").get(pk=membership.pk)
        has_photo = CardPhoto.objects.filter(membership=membership).exists()
        refusal = _refusal(membership, has_photo, today)
        if refusal is not None:
            raise refusal
        replaced = list(membership.id_cards.unrevoked(today))
        for old in replaced:
            old.revoked_on = today
            old.revoked_reason = gettext("Replaced by a new card")
            old.save(update_fields=["revoked_on", "revoked_reason"])
        card = IdCard.objects.create(
            membership=membership,
            number=_next_number(membership.scheme),
            token=secrets.token_urlsafe(TOKEN_BYTES),
            issued_on=today,
            expires_on=card_expiry(membership),
            issued_by=actor,
        )
        audit.record(
            actor=actor,
            action="card.reissued" if replaced else "card.issued",
            obj=card,
            scheme=membership.scheme,
            detail={
                "number": card.number,
                "expires_on": card.expires_on.isoformat(),
                "replaced": [c.number for c in replaced],
            },
        )
    return card


def reissue_card(*, actor, membership: Membership) -> IdCard:
    """A new card in place of the current one (lost, damaged, new photo, term renewed): the
    same as `issue_card`, which revokes the card it replaces."""
    return issue_card(actor=actor, membership=membership)


def card_of(*, actor, membership: Membership, pk: int) -> IdCard:
    """One of this volunteer's cards, for the manager (NotFound otherwise)."""
    _require_manager(actor, membership)
    card = membership.id_cards.filter(pk=pk).first()
    if card is None:
        raise NotFound(gettext("No such card."), code="not_found")
    return card


def revoke_card(*, actor, card: IdCard, reason: str) -> IdCard:
    """Revoke a card from today, for a reason (lost, stolen, suspended). Raises DomainError if
    there is no reason, or the card is revoked already."""
    _require_manager(actor, card.membership)
    reason = rules.reason_given(
        reason, limit=MAX_REASON, missing=gettext("Say why the card is revoked.")
    )
    today = timezone.localdate()
    with transaction.atomic():
        card = IdCard.objects.select_for_update().get(pk=card.pk)
        if card.revoked_by(today):
            raise DomainError(
                gettext("This card is revoked already."), code="already_revoked", field="reason"
            )
        card.revoked_on = today
        card.revoked_reason = reason
        card.save(update_fields=["revoked_on", "revoked_reason"])
        audit.record(
            actor=actor,
            action="card.revoked",
            obj=card,
            scheme=card.membership.scheme,
            detail={"number": card.number, "reason": reason},
        )
    return card


def revoke_on_leaving(*, actor, membership: Membership, left_on: datetime.date) -> list[IdCard]:
    """Revoke the leaver's cards from their leaving date (called by record_leaving, inside its
    transaction and after its checks). Returns the cards revoked."""
    cards = list(
        IdCard.objects.select_for_update()
        .filter(membership=membership)
        .unrevoked(left_on)
        .exclude(expires_on__lte=left_on)
    )
    for card in cards:
        card.revoked_on = left_on
        card.revoked_reason = gettext("Left the scheme")
        card.save(update_fields=["revoked_on", "revoked_reason"])
        audit.record(
            actor=actor,
            action="card.revoked",
            obj=card,
            scheme=membership.scheme,
            detail={"number": card.number, "reason": "left", "from": left_on.isoformat()},
        )
    return cards


# --- Printing and checking -----------------------------------------------------------------------


@dataclass(frozen=True)
class CardFace:
    """What is printed on a card, and nothing more."""

    name: str
    scheme: str
    number: str
    expires_on: datetime.date
    photo_jpeg: bytes | None
    check_url: str  # ICV_SITE_URL + "/card/<token>/": the address printed, whoever prints it


def check_path(card: IdCard) -> str:
    return reverse("card-check", args=[card.token])


def _face(card: IdCard) -> CardFace:
    membership = card.membership
    photo = CardPhoto.objects.filter(membership=membership).first()
    photo_jpeg = None
    if photo is not None:
        try:
            with photo.image.open("rb") as file:
                photo_jpeg = file.read()
        except FileNotFoundError:
            photo_jpeg = None  # the card prints with an empty frame; the manager uploads again
    user = membership.user
    return CardFace(
        name=user.get_full_name() or user.username,
        scheme=membership.scheme.shown_name,
        number=card.number,
        expires_on=card.expires_on,
        photo_jpeg=photo_jpeg,
        check_url=settings.SITE_URL + check_path(card),
    )


def _printable(membership: Membership) -> IdCard:
    card = record_of(membership).current
    if card is None:
        raise NotFound(gettext("There is no valid card to print."), code="no_current_card")
    return card


def card_to_print(*, actor, membership: Membership) -> CardFace:
    """The manager prints a volunteer's current card (NotFound if none is valid today)."""
    _require_manager(actor, membership)
    card = _printable(membership)
    audit.record(
        actor=actor,
        action="card.printed",
        obj=card,
        scheme=membership.scheme,
        detail={"number": card.number},
    )
    return _face(card)


def own_card_to_print(*, actor) -> CardFace:
    """A volunteer prints their own current card (NotFound if they have none valid today)."""
    for membership in Membership.objects.visiting_of(actor):
        card = record_of(membership).current
        if card is not None:
            audit.record(
                actor=actor,
                action="card.printed",
                obj=card,
                scheme=membership.scheme,
                detail={"number": card.number, "own": True},
            )
            return _face(card)
    raise NotFound(gettext("You have no valid ID card."), code="no_current_card")


@dataclass(frozen=True)
class CardCheck:
    """All the check page says: valid now or not, and, for a valid card, its number and scheme
    (printed on the card, so the staff can see the code belongs to the card in their hand).
    Nothing about its holder, and nothing at all about a card that is not valid."""

    valid: bool
    number: str | None
    scheme: str | None


def check_card(token: str, today: datetime.date | None = None) -> CardCheck:
    """What the custody staff learn from a card's QR code. A card that is not valid (expired,
    revoked, its holder's vetting lapsed) says "not valid" and no more, the same as a token that
    never existed, so a guess cannot tell them apart."""
    today = today or timezone.localdate()
    card = (
        IdCard.objects.select_related("membership__user", "membership__scheme")
        .filter(token=token)
        .first()
        if tokens.is_secret_shaped(token)
        else None
    )
    if card is None or not card.is_valid_on(today):
        return CardCheck(False, None, None)
    return CardCheck(True, card.number, card.membership.scheme.shown_name)
