"""ID cards (issue 22): the photo (cropped, stripped), issuing, reissuing, revoking and leaving,
the card PDF as printed (ID-1 size, its words, its QR code read back by a real decoder from the
rasterised page), the public check page (valid, expired, revoked, lapsed, unknown: nothing
personal, the invalid ones all alike), the manager's section, the volunteer's own card, the API
and subject access.

Personas (tests/conftest.py): the manager (Maya) issues and revokes Norfolk visitors' cards and
prints them; Vera (visitor) sees and prints her own card only; Peter, Carol, the PCC reader, the
force's custody lead and Owen (Suffolk) see nobody's card: 404. Anyone, signed in or not, may
open a card's check page.
"""

import base64
import datetime
import io
import subprocess

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from tests.conftest import persona
from tests.test_image_metadata import assert_bare_jpeg, jpeg_with_everything
from visits.errors import DomainError, NotPermitted
from visits.images import PORTRAIT_SIZE, clean_portrait
from visits.models import AuditEntry, CardPhoto, IdCard, Membership
from visits.services import cards, subject_access, volunteers

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
MM = 72 / 25.4  # PDF points in a millimetre


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://icv.example.org"


def member(username: str) -> Membership:
    return Membership.objects.select_related("user", "scheme").get(
        user__username=username, scheme__slug__in=["norfolk", "suffolk"]
    )


def photo_bytes(size=(900, 1200), colour=(120, 80, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def carded(username="visitor") -> IdCard:
    """The member's photo uploaded and a card issued, by the manager."""
    m = member(username)
    cards.upload_photo(actor=persona("manager"), membership=m, raw=photo_bytes())
    return cards.issue_card(actor=persona("manager"), membership=m)


# --- The photo -----------------------------------------------------------------------------------


def test_the_photo_is_a_bare_portrait_of_the_card_size(db):
    portrait = clean_portrait(jpeg_with_everything(size=(1200, 700)))
    image = Image.open(io.BytesIO(portrait))
    assert image.format == "JPEG"
    assert image.size == PORTRAIT_SIZE  # a landscape upload, cropped to 3:4
    assert not image.getexif()
    assert_bare_jpeg(portrait)  # no EXIF, GPS, XMP, ICC, IPTC or comment left


def test_the_stored_and_served_photo_carry_no_metadata(client, db):
    m = member("visitor")
    photo = cards.upload_photo(
        actor=persona("manager"), membership=m, raw=jpeg_with_everything(size=(900, 1200))
    )
    with photo.image.open("rb") as file:
        assert_bare_jpeg(file.read())
    client.force_login(persona("manager"))
    response = client.get(f"/volunteers/{m.pk}/card/photo.jpg")
    assert response["Content-Type"] == "image/jpeg"
    served = b"".join(response.streaming_content)
    assert_bare_jpeg(served)
    assert Image.open(io.BytesIO(served)).size == PORTRAIT_SIZE


def test_a_new_photo_replaces_the_old_file(db, django_capture_on_commit_callbacks):
    m = member("visitor")
    first = cards.upload_photo(actor=persona("manager"), membership=m, raw=photo_bytes())
    old_name, storage = first.image.name, first.image.storage
    with django_capture_on_commit_callbacks(execute=True):
        cards.upload_photo(actor=persona("manager"), membership=m, raw=photo_bytes())
    assert not storage.exists(old_name)
    assert CardPhoto.objects.get(membership=m).image.name != old_name


def test_not_a_photo_is_refused_with_a_reason(db):
    with pytest.raises(DomainError) as caught:
        cards.upload_photo(
            actor=persona("manager"), membership=member("visitor"), raw=b"%PDF-1.4 not a photo"
        )
    assert caught.value.code == "photo_rejected"
    assert "JPEG, PNG or WebP" in caught.value.message


# --- Issuing, reissuing, revoking, leaving ------------------------------------------------------


def test_a_card_expires_at_the_term_end_or_the_vetting_if_sooner(db):
    Membership.objects.filter(pk=member("visitor").pk).update(
        appointment_ends_on=TODAY + 400 * DAY, vetting_expires_on=TODAY + 300 * DAY
    )
    card = carded()
    assert card.expires_on == TODAY + 300 * DAY
    assert card.issued_on == TODAY
    assert card.number.startswith(f"NOR{card.membership.scheme_id}-") and len(card.token) >= 43
    Membership.objects.filter(pk=card.membership_id).update(vetting_expires_on=None)
    assert cards.reissue_card(
        actor=persona("manager"), membership=member("visitor")
    ).expires_on == (TODAY + 400 * DAY)
    entry = AuditEntry.objects.filter(action="card.issued").latest("pk")
    assert entry.detail["number"] == card.number
    assert card.token not in str(entry.detail)  # the secret stays out of the trail


@pytest.mark.parametrize(
    "change, photo, code",
    [
        ({"vetting_expires_on": TODAY}, True, "vetting_lapsed"),
        ({"appointment_ends_on": TODAY - DAY}, True, "appointment_lapsed"),
        ({"status": "left", "left_on": TODAY - DAY}, True, "visitor_left"),
        ({"vetting_expires_on": None, "appointment_ends_on": None}, True, "no_expiry"),
        ({}, False, "photo_required"),
    ],
)
def test_a_card_is_refused_with_a_coded_reason(db, change, photo, code):
    m = member("visitor")
    Membership.objects.filter(pk=m.pk).update(**change)
    if photo:
        cards.upload_photo(actor=persona("manager"), membership=m, raw=photo_bytes())
    with pytest.raises(DomainError) as caught:
        cards.issue_card(actor=persona("manager"), membership=member("visitor"))
    assert caught.value.code == code
    assert not IdCard.objects.filter(membership=m).exists()
    assert cards.record_of(member("visitor")).cannot_issue_code == code


def test_only_the_manager_issues(db):
    m = member("visitor")
    for who in ("visitor", "coordinator", "pcc", "force"):
        with pytest.raises(NotPermitted):
            cards.issue_card(actor=persona(who), membership=m)


def test_reissuing_revokes_the_old_card(db):
    old = carded()
    new = cards.reissue_card(actor=persona("manager"), membership=member("visitor"))
    old.refresh_from_db()
    assert old.revoked_on == TODAY and old.revoked_reason == "Replaced by a new card"
    assert new.number != old.number and new.token != old.token
    assert cards.check_card(old.token).valid is False
    assert cards.check_card(new.token).valid is True
    assert AuditEntry.objects.filter(action="card.reissued", object_id=str(new.pk)).exists()


def test_revoking_needs_a_reason_and_takes_effect_at_once(db):
    card = carded()
    with pytest.raises(DomainError) as caught:
        cards.revoke_card(actor=persona("manager"), card=card, reason="  ")
    assert caught.value.code == "reason_required"
    cards.revoke_card(actor=persona("manager"), card=card, reason="Lost on the bus")
    assert cards.check_card(card.token).valid is False
    with pytest.raises(DomainError) as caught:
        cards.revoke_card(actor=persona("manager"), card=card, reason="Again")
    assert caught.value.code == "already_revoked"
    assert AuditEntry.objects.get(action="card.revoked").detail["reason"] == "Lost on the bus"


def test_leaving_revokes_the_card_from_the_leaving_date(db):
    card = carded()
    left_on = TODAY + 10 * DAY
    volunteers.record_leaving(
        actor=persona("manager"), membership=member("visitor"), left_on=left_on, reason="Moving"
    )
    card.refresh_from_db()
    assert card.revoked_on == left_on and card.revoked_reason == "Left the scheme"
    assert cards.check_card(card.token).valid is True  # still a visitor until then
    assert cards.check_card(card.token, today=left_on).valid is False


def test_a_lapsed_vetting_makes_a_printed_card_invalid_at_once(db):
    card = carded()
    Membership.objects.filter(pk=card.membership_id).update(vetting_expires_on=TODAY)
    assert cards.check_card(card.token).valid is False


# --- The PDF ------------------------------------------------------------------------------------


def rasterise(pdf: bytes, tmp_path) -> Image.Image:
    source = tmp_path / "card.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "300", "-singlefile", str(source), str(tmp_path / "card")],
        check=True,
    )
    return Image.open(tmp_path / "card.png")


def test_the_card_pdf_is_id1_with_the_words_and_a_qr_code_of_the_check_url(client, db, tmp_path):
    import zxingcpp

    card = carded()
    client.force_login(persona("manager"))
    response = client.get(f"/volunteers/{card.membership_id}/card.pdf")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert round(float(box.width) / MM, 1) == 85.6 and round(float(box.height) / MM, 1) == 54.0
    text = reader.pages[0].extract_text()
    for words in (
        "Vera Holt",
        "Norfolk Independent Custody Visiting Scheme",
        "Independent Custody Visitor",
        card.number,
        f"{card.expires_on.day} {card.expires_on:%B %Y}",
    ):
        assert words in text
    assert card.token not in text  # only in the QR code

    page = rasterise(response.content, tmp_path)
    width, height = page.size  # 85.6 × 54 mm at 300 dpi, give or take pdftoppm's rounding
    assert abs(width - 85.6 / 25.4 * 300) <= 1 and abs(height - 54 / 25.4 * 300) <= 1
    codes = zxingcpp.read_barcodes(page)
    assert [(c.format, c.text) for c in codes] == [
        (zxingcpp.BarcodeFormat.QRCode, f"https://icv.example.org/card/{card.token}/")
    ]
    # The photo is on the card: its purple fills the photo frame's middle.
    middle = page.getpixel((round(15.5 / 25.4 * 300), round(27 / 25.4 * 300)))
    assert abs(middle[0] - 120) < 30 and abs(middle[2] - 200) < 30
    assert AuditEntry.objects.filter(action="card.printed", object_id=str(card.pk)).exists()


def test_the_volunteer_prints_their_own_card_only(client, db):
    card = carded()
    client.force_login(persona("visitor"))
    own = client.get("/account/card.pdf")
    assert card.number in PdfReader(io.BytesIO(own.content)).pages[0].extract_text()
    assert client.get(f"/volunteers/{card.membership_id}/card.pdf").status_code == 404
    client.force_login(persona("partner"))  # no card of his own
    assert client.get("/account/card.pdf").status_code == 404


def test_a_revoked_card_is_not_printed(client, db):
    card = carded()
    cards.revoke_card(actor=persona("manager"), card=card, reason="Lost")
    client.force_login(persona("manager"))
    assert client.get(f"/volunteers/{card.membership_id}/card.pdf").status_code == 404
    client.force_login(persona("visitor"))
    assert client.get("/account/card.pdf").status_code == 404


# --- The check page -----------------------------------------------------------------------------

PERSONAL = ("Vera", "Holt", "<img", ".jpg", "@")


def test_the_check_page_of_a_valid_card_says_so_and_nothing_personal(client, db):
    card = carded()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/card/{card.token}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Valid: this card is current" in page
    assert card.number in page and "Norfolk Independent Custody Visiting Scheme" in page
    for personal in PERSONAL:
        assert personal not in page
    for day in (card.issued_on, card.expires_on):
        assert f"{day.day} {day:%B %Y}" not in page and day.isoformat() not in page
    assert "Sign out" not in page and "<nav" not in page  # the public frame: no navigation
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert len(queries) <= 2


def test_every_invalid_card_gets_the_same_page_as_an_unknown_one(client, db):
    expired = carded("visitor")
    revoked = carded("partner")
    cards.revoke_card(actor=persona("manager"), card=revoked, reason="Stolen")
    lapsed = carded("coordinator")
    Membership.objects.filter(pk=lapsed.membership_id).update(appointment_ends_on=TODAY)
    pages = {}
    with time_machine.travel(expired.expires_on + DAY, tick=False):
        pages["expired"] = client.get(f"/card/{expired.token}/")
    for label, token in (
        ("revoked", revoked.token),
        ("lapsed", lapsed.token),
        ("unknown", "x" * 43),
        ("short", "a"),
    ):
        pages[label] = client.get(f"/card/{token}/")
    bodies = set()
    for label, response in pages.items():
        assert response.status_code == 404, label
        page = response.content.decode()
        assert "Not valid" in page and "Valid: this card is current" not in page
        for card in (expired, revoked, lapsed):
            assert card.number not in page
        for personal in (*PERSONAL, "Peter", "Carol", "Stolen"):
            assert personal not in page, (label, personal)
        bodies.add(page.replace(response.wsgi_request.path, ""))
    assert len(bodies) == 1  # alike: nothing tells a revoked card from one never made


def test_the_check_page_needs_no_sign_in_and_is_the_same_signed_in(client, db):
    card = carded()
    anonymous = client.get(f"/card/{card.token}/").content
    client.force_login(persona("force"))
    assert client.get(f"/card/{card.token}/").content == anonymous


# --- Pages --------------------------------------------------------------------------------------


def test_the_manager_uploads_issues_and_revokes_on_the_volunteer_page(client, db):
    m = member("visitor")
    client.force_login(persona("manager"))
    page = client.get(f"/volunteers/{m.pk}/").content.decode()
    assert 'id="id-card"' in page and "No valid card." in page
    assert "Upload their photo first." in page  # why it cannot be issued yet

    upload = io.BytesIO(photo_bytes())
    upload.name = "me.jpg"
    response = client.post(f"/volunteers/{m.pk}/card/photo/", {"card-photo": upload})
    assert response.status_code == 302 and response["Location"].endswith("#id-card")
    response = client.post(f"/volunteers/{m.pk}/card/issue/", follow=True)
    card = IdCard.objects.get(membership=m)
    page = response.content.decode()
    assert f"Card {card.number} issued." in page
    assert "Valid:" in page and f"/volunteers/{m.pk}/card.pdf" in page
    assert card.token not in page  # the manager's page never shows the check address

    response = client.post(f"/volunteers/{m.pk}/card/revoke/", {"revoke-reason": ""})
    assert response.status_code == 400
    assert "Say why the card is revoked." in response.content.decode()
    response = client.post(
        f"/volunteers/{m.pk}/card/revoke/", {"revoke-reason": "Lost"}, follow=True
    )
    assert f"Card {card.number} revoked." in response.content.decode()
    card.refresh_from_db()
    assert card.revoked_reason == "Lost"


def test_the_htmx_variant_returns_the_section_alone(client, db):
    m = member("visitor")
    cards.upload_photo(actor=persona("manager"), membership=m, raw=photo_bytes())
    client.force_login(persona("manager"))
    response = client.post(f"/volunteers/{m.pk}/card/issue/", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="id-card"') and "<html" not in page
    assert "issued." in page
    # An error comes back in the section too, as a 200 so htmx swaps it.
    response = client.post(
        f"/volunteers/{m.pk}/card/photo/", {"card-photo": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Choose a photo to upload." in response.content.decode()


def test_a_refused_issue_is_explained_not_a_500(client, db):
    m = member("visitor")
    client.force_login(persona("manager"))
    response = client.post(f"/volunteers/{m.pk}/card/issue/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "The card cannot be issued" in page and "Upload their photo first." in page


def test_a_bad_upload_is_explained(client, db):
    m = member("visitor")
    client.force_login(persona("manager"))
    upload = io.BytesIO(b"GIF89a not really")
    upload.name = "x.gif"
    response = client.post(f"/volunteers/{m.pk}/card/photo/", {"card-photo": upload})
    assert response.status_code == 400
    assert "Upload a JPEG, PNG or WebP image." in response.content.decode()


@pytest.mark.parametrize("who", ["visitor", "partner", "coordinator", "pcc", "force", "outsider"])
def test_nobody_but_the_manager_sees_a_volunteers_card(client, db, who):
    card = carded()
    client.force_login(persona(who))
    base = f"/volunteers/{card.membership_id}"
    for url in (f"{base}/card/", f"{base}/card.pdf", f"{base}/card/photo.jpg", f"{base}/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert card.number not in response.content.decode(errors="replace")
    response = client.get("/api/cards/")
    assert response.status_code == 200 and card.number not in response.content.decode()
    assert client.get(f"/api/cards/{card.membership_id}/").status_code == 404


def test_the_volunteer_sees_their_own_card_on_their_record(client, db):
    card = carded()
    client.force_login(persona("visitor"))
    page = client.get("/account/record/").content.decode()
    assert "My ID card" in page and card.number in page and "/account/card.pdf" in page
    assert card.token not in page
    client.force_login(persona("partner"))
    assert "You have no valid ID card." in client.get("/account/record/").content.decode()


def test_the_card_page_queries_do_not_grow_with_cards(client, db):
    m = member("visitor")
    client.force_login(persona("manager"))
    client.get(f"/volunteers/{m.pk}/")
    with CaptureQueriesContext(connection) as before:
        client.get(f"/volunteers/{m.pk}/card/")
    carded()
    for _ in range(3):
        cards.reissue_card(actor=persona("manager"), membership=m)
    with CaptureQueriesContext(connection) as after:
        page = client.get(f"/volunteers/{m.pk}/card/").content.decode()
    assert page.count("Replaced by a new card") == 3
    assert len(after) == len(before) <= 10


# --- API and subject access ---------------------------------------------------------------------


def test_the_api_gives_the_manager_each_volunteers_card_status(client, db):
    card = carded()
    client.force_login(persona("manager"))
    row = client.get(f"/api/cards/{card.membership_id}/").json()
    assert row["volunteer"] == card.membership_id and row["name"] == "Vera Holt"
    assert row["current"]["number"] == card.number
    assert row["current"]["expires_on"] == card.expires_on.isoformat()
    assert row["has_photo"] is True and row["cannot_issue"] is None
    assert card.token not in str(row)
    listed = client.get("/api/cards/").json()["results"]
    assert {r["volunteer"] for r in listed} >= {card.membership_id}
    peter = next(r for r in listed if r["name"] == "Peter Shaw")
    assert peter["current"] is None and peter["cannot_issue_code"] == "photo_required"


def test_subject_access_has_the_cards_and_the_photo(db):
    card = carded()
    cards.reissue_card(actor=persona("manager"), membership=member("visitor"))
    vera = persona("visitor")
    document = subject_access.export(
        actor=persona("manager"), person=vera, scheme=card.membership.scheme
    )
    numbers = [c["number"] for c in document["id_cards"]]
    assert card.number in numbers and len(numbers) == 2
    first = next(c for c in document["id_cards"] if c["number"] == card.number)
    assert first["revoked_on"] == TODAY.isoformat()
    assert first["revoked_reason"] == "Replaced by a new card"
    assert card.token not in str(document)
    (photo,) = document["id_card_photos"]
    image = Image.open(io.BytesIO(base64.b64decode(photo["file"]["base64"])))
    assert image.size == PORTRAIT_SIZE


def test_a_card_of_an_account_switched_off_is_not_valid(client, db):
    """Switching an account off is how someone is stopped at once: their card stops too."""
    card = carded("visitor")
    assert cards.check_card(card.token).valid
    user = card.membership.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not cards.check_card(card.token).valid
    page = client.get(f"/card/{card.token}/")
    assert page.status_code == 404 and card.number not in page.content.decode()


def test_a_check_address_that_is_no_token_is_not_valid_before_any_query(client, db):
    """A NUL byte would reach PostgreSQL, which refuses it in a query: a 500, not "not valid"."""
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/card/%00/")
    assert page.status_code == 404 and "Not valid" in page.content.decode()
    assert not [q for q in queries.captured_queries if "visits_idcard" in q["sql"]]
