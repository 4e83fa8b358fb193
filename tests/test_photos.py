"""Photos of a suite's conditions (never of people) on every path: the suite step (an upload
never loses an answer), the check page, the report page, the PDF and its e-mail, the API, and a
whole report from a phone; shown to every reader of the report, stripped of metadata, stored once.

Personas (tests/conftest.py): visitor and partner record the Wymondham visit; the manager, the
PCC reader and the force custody lead read its submitted report (photos included: they are of
the suite, part of the report the force receives); outsider (Suffolk) sees nothing of it.
"""

import base64
import io
import uuid

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from tests.conftest import persona
from tests.factories import make_visit, question_ids, sign_off_and_submit, whole_report
from tests.test_image_metadata import (
    GPS_PLACE,
    MAKE,
    assert_bare_jpeg,
    assert_planted,
    jpeg_with_everything,
)
from visits.images import clean_photo
from visits.models import Attachment, Visit
from visits.notifications import queue_visit_report
from visits.pdf import render_visit_report
from visits.services import visits as service
from visits.visit_read_model import visible_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def jpeg(size=(640, 480), colour=(40, 120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG", quality=85)
    return out.getvalue()


def pair():
    return [persona("visitor"), persona("partner")]


@pytest.fixture
def draft():
    return make_visit(visitors=pair(), status=Visit.Status.DRAFT, detainees=1)


def add(visit, caption="", data=None):
    return service.add_photo(
        actor=persona("visitor"), visit=visit, photo=clean_photo(data or jpeg()), caption=caption
    )


@pytest.fixture
def report_with_photos(draft):
    """A submitted report with two photos: one captioned with a detainee's custody number
    (which the PCC reader must not see), one without a caption."""
    number = draft.detainees.get().custody_number
    add(draft, f"Cell 3 graffiti, where {number} was held")
    add(draft)
    return sign_off_and_submit(draft, pair())


# --- The read model, persona by persona -------------------------------------------------------


@pytest.mark.parametrize("reader", ["visitor", "partner", "manager", "pcc", "force"])
def test_every_reader_of_the_report_is_given_its_photos(report_with_photos, reader):
    visit = Visit.objects.for_report().get(pk=report_with_photos.pk)
    photos = visible_report(persona(reader), visit).photos
    assert [p.number for p in photos] == [1, 2]
    first, second = photos
    assert first.url == reverse("visit-photo", args=[visit.uuid, first.pk])
    assert first.thumbnail_url == reverse("visit-photo-thumb", args=[visit.uuid, first.pk])
    assert first.taken_by == "Vera Holt"
    assert second.caption == "" and second.alt == "Photo 2 of the suite"
    number = visit.detainees.get().custody_number
    if reader == "pcc":  # custody numbers hidden, in a caption too
        assert number not in first.caption and "(hidden)" in first.caption
    else:
        assert first.caption == f"Cell 3 graffiti, where {number} was held"
    assert first.alt == first.caption


@pytest.mark.parametrize("reader", ["visitor", "manager", "pcc", "force"])
def test_the_photos_can_be_opened_by_every_reader_and_not_by_an_outsider(
    client, report_with_photos, reader
):
    photo = report_with_photos.attachments.first()
    client.force_login(persona(reader))
    for name in ("visit-photo", "visit-photo-thumb"):
        response = client.get(reverse(name, args=[report_with_photos.uuid, photo.pk]))
        assert response.status_code == 200
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).format == "JPEG"
    client.force_login(persona("outsider"))
    assert client.get(reverse("visit-report", args=[report_with_photos.uuid])).status_code == 404
    served = client.get(reverse("visit-photo", args=[report_with_photos.uuid, photo.pk]))
    assert served.status_code == 404


def test_the_report_page_shows_each_thumbnail_with_its_alt_linking_to_the_full_image(
    client, report_with_photos
):
    client.force_login(persona("force"))
    page = client.get(reverse("visit-report", args=[report_with_photos.uuid])).content.decode()
    first, second = report_with_photos.attachments.order_by("pk")
    uuid_ = report_with_photos.uuid
    assert f'<a href="{reverse("visit-photo", args=[uuid_, first.pk])}"><img src="' in page
    assert f'src="{reverse("visit-photo-thumb", args=[uuid_, second.pk])}"' in page
    assert 'alt="Photo 2 of the suite"' in page
    assert 'alt="Cell 3 graffiti, where' in page
    assert "Photos of conditions (2)" in page
    assert "Remove" not in page  # a submitted report's photos stay


def test_the_check_page_lists_the_photos_and_one_can_be_removed(
    client, draft, django_capture_on_commit_callbacks
):
    kept, gone = add(draft, "Exercise yard"), add(draft, "Blurred")
    client.force_login(persona("partner"))
    page = client.get(reverse("visit-check", args=[draft.uuid])).content.decode()
    assert 'alt="Exercise yard"' in page and 'alt="Blurred"' in page
    remove = reverse("visit-photo-remove", args=[draft.uuid, gone.pk])
    assert f'action="{remove}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(remove)
    assert response.status_code == 302 and response.url == reverse("visit-check", args=[draft.uuid])
    assert list(draft.attachments.all()) == [kept]
    assert not gone.image.storage.exists(gone.image.name)  # the file went with it
    page = client.get(reverse("visit-check", args=[draft.uuid])).content.decode()
    assert 'alt="Blurred"' not in page and 'alt="Exercise yard"' in page
    from visits.models import AuditEntry

    assert AuditEntry.objects.filter(action="visit.photo_removed", object_id=str(draft.pk)).exists()


def test_a_submitted_report_s_photo_cannot_be_removed(client, report_with_photos):
    photo = report_with_photos.attachments.first()
    client.force_login(persona("visitor"))
    remove = reverse("visit-photo-remove", args=[report_with_photos.uuid, photo.pk])
    response = client.post(remove)
    assert response.status_code == 302  # to the report, which is read only now
    assert response.url == reverse("visit-report", args=[report_with_photos.uuid])
    assert report_with_photos.attachments.count() == 2


def test_the_report_and_check_pages_stay_within_the_query_budget_with_photos(
    client, report_with_photos, django_assert_max_num_queries
):
    client.force_login(persona("manager"))
    client.get("/")
    # 10 to build the page (as without photos), the photos' one, and the audit trail's three
    with django_assert_max_num_queries(14):
        client.get(reverse("visit-report", args=[report_with_photos.uuid]))


# --- The PDF and its e-mail -------------------------------------------------------------------


def test_the_pdf_embeds_each_photo_with_its_caption(report_with_photos):
    visit = Visit.objects.for_report().get(pk=report_with_photos.pk)
    data = render_visit_report(visible_report(persona("force"), visit))
    reader = PdfReader(io.BytesIO(data))
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 2  # the sergeant confirmed rather than drew: photos only
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Photos of conditions (2)" in text
    assert "Cell 3 graffiti" in text and "Photo 2 (added by Vera Holt" in text


def test_the_pdf_without_photos_says_so(draft):
    visit = sign_off_and_submit(draft, pair())
    data = render_visit_report(visible_report(persona("manager"), visit))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "No photos were taken." in text


def test_the_e_mail_says_its_pdf_holds_the_photos(
    report_with_photos, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the worker sends on commit
        queue_visit_report(report_with_photos)
    assert len(mail.outbox) >= 2  # the manager and the force lead
    for message in mail.outbox:
        assert "2 photos of the suite's conditions are in the PDF." in message.body
        pdf = PdfReader(io.BytesIO(message.attachments[0][1]))
        assert sum(len(page.images) for page in pdf.pages) == 2


# --- The suite step: an upload never loses an answer ------------------------------------------


def suite_post(visit, value="no", note="Cell 2 bell broken", **extra):
    first, *_ = question_ids(visit.suite_checklist_id)
    return first, {"suite_answers": "1", f"q_{first}": value, f"note_{first}": note, **extra}


def test_uploading_a_photo_keeps_the_suite_answers_posted_with_it(client, draft):
    client.force_login(persona("visitor"))
    page = client.get(reverse("visit-suite", args=[draft.uuid])).content.decode()
    upload_url = reverse("visit-photo-upload", args=[draft.uuid])
    assert 'enctype="multipart/form-data"' in page and f'formaction="{upload_url}"' in page
    question, data = suite_post(draft)
    data |= {"photo": SimpleUploadedFile("cell.jpg", jpeg(), "image/jpeg"), "caption": "Bell"}
    response = client.post(upload_url, data)
    assert response.status_code == 302
    assert response.url == reverse("visit-suite", args=[draft.uuid])
    answer = draft.answers.get(detainee__isnull=True, question_id=question)
    assert (answer.value, answer.note) == ("no", "Cell 2 bell broken")
    assert draft.attachments.get().caption == "Bell"
    page = client.get(response.url).content.decode()
    assert 'alt="Bell"' in page and "Cell 2 bell broken" in page


def test_a_refused_photo_shows_its_error_and_keeps_the_answers(client, draft):
    client.force_login(persona("visitor"))
    question, data = suite_post(draft, note="Mattress torn")
    data["photo"] = SimpleUploadedFile("cell.jpg", b"not a picture", "image/jpeg")
    response = client.post(reverse("visit-photo-upload", args=[draft.uuid]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "not a photo we can read" in page
    assert 'href="#id_photo"' in page  # the summary links to the field
    assert "Mattress torn" in page and f'value="no" id="id_q_{question}_1" checked' in page
    assert not draft.attachments.exists()
    assert draft.answers.get(detainee__isnull=True, question_id=question).note == "Mattress torn"


def test_upload_with_no_photo_chosen_says_so_and_keeps_the_answers(client, draft):
    client.force_login(persona("visitor"))
    question, data = suite_post(draft)
    response = client.post(reverse("visit-photo-upload", args=[draft.uuid]), data)
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert draft.answers.filter(question_id=question, value="no").exists()


def test_save_and_continue_with_a_photo_chosen_adds_it_too(client, draft):
    client.force_login(persona("visitor"))
    _question, data = suite_post(draft, value="yes", note="")
    data["photo"] = SimpleUploadedFile("cell.jpg", jpeg(), "image/jpeg")
    response = client.post(reverse("visit-suite", args=[draft.uuid]), data)
    assert response.status_code == 302
    assert response.url == reverse("visit-issues", args=[draft.uuid])
    assert draft.attachments.count() == 1


def test_removing_a_photo_on_the_suite_step_keeps_the_answers(client, draft):
    photo = add(draft, "Wrong one")
    client.force_login(persona("visitor"))
    page = client.get(reverse("visit-suite", args=[draft.uuid])).content.decode()
    remove = reverse("visit-photo-remove", args=[draft.uuid, photo.pk])
    assert f'formaction="{remove}"' in page
    question, data = suite_post(draft, note="Heating off")
    response = client.post(remove, data)
    assert response.url == reverse("visit-suite", args=[draft.uuid])
    assert not draft.attachments.exists()
    assert draft.answers.get(question_id=question, detainee__isnull=True).note == "Heating off"


def test_only_the_visitors_upload_and_remove(client, draft):
    photo = add(draft)
    for name, code in (("manager", 403), ("pcc", 404), ("force", 404), ("outsider", 404)):
        client.force_login(persona(name))
        upload = SimpleUploadedFile("cell.jpg", jpeg(), "image/jpeg")
        url = reverse("visit-photo-upload", args=[draft.uuid])
        assert client.post(url, {"photo": upload}).status_code == code, name
        url = reverse("visit-photo-remove", args=[draft.uuid, photo.pk])
        assert client.post(url).status_code == code, name
    assert list(draft.attachments.all()) == [photo]


# --- The API ------------------------------------------------------------------------------------


@pytest.fixture
def api(client):
    client.force_login(persona("visitor"))
    return client


def api_upload(client, visit, data: bytes, **fields):
    image = SimpleUploadedFile("cell.jpg", data, "image/jpeg")
    return client.post(f"/api/visits/{visit.uuid}/photos/", {"image": image, **fields})


def test_api_adds_a_photo_stripped_of_its_metadata_and_lists_it(api, draft):
    planted = jpeg_with_everything()
    assert_planted(planted)
    response = api_upload(api, draft, planted, caption="Cell 1 toilet")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["caption"] == "Cell 1 toilet" and body["number"] == 1
    assert body["added_by"] == "Vera Holt" and body["client_id"] is None
    assert body["url"] == reverse("visit-photo", args=[draft.uuid, body["id"]])
    stored = Attachment.objects.get(pk=body["id"])
    for file in (stored.image, stored.thumbnail):
        with file.open("rb") as f:
            data = f.read()
        assert_bare_jpeg(data)
        assert GPS_PLACE.encode() not in data and MAKE.encode() not in data
    detail = api.get(f"/api/visits/{draft.uuid}/").json()
    assert [p["caption"] for p in detail["photos"]] == ["Cell 1 toilet"]


def test_api_upload_is_idempotent_on_its_id(api, draft):
    key = str(uuid.uuid4())
    first = api_upload(api, draft, jpeg(), id=key)
    again = api_upload(api, draft, jpeg(), id=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["client_id"] == key
    assert draft.attachments.count() == 1


def test_api_refuses_a_file_that_is_not_a_photo_naming_the_field(api, draft):
    response = api_upload(api, draft, b"%PDF-1.4 not a photo")
    assert response.status_code == 400
    assert response.json()["code"] == "image_rejected"
    assert "not a photo" in response.json()["fields"]["image"]
    assert not draft.attachments.exists()
    missing = api.post(f"/api/visits/{draft.uuid}/photos/", {"caption": "x"})
    assert missing.status_code == 400 and "image" in missing.json()["fields"]


def test_api_refuses_json_for_a_photo(api, draft):
    response = api.post(
        f"/api/visits/{draft.uuid}/photos/", {"caption": "x"}, content_type="application/json"
    )
    assert response.status_code == 415


def test_api_deletes_a_draft_s_photo(api, draft):
    photo = add(draft)
    response = api.delete(f"/api/visits/{draft.uuid}/photos/{photo.pk}/")
    assert response.status_code == 204
    assert not draft.attachments.exists()
    assert api.delete(f"/api/visits/{draft.uuid}/photos/{photo.pk}/").status_code == 404
    assert api.delete(f"/api/visits/{draft.uuid}/photos/99999999999999999999/").status_code == 404


def test_api_refuses_photos_on_a_submitted_report(api, report_with_photos):
    photo = report_with_photos.attachments.first()
    response = api_upload(api, report_with_photos, jpeg())
    assert response.status_code == 400 and response.json()["code"] == "visit_submitted"
    response = api.delete(f"/api/visits/{report_with_photos.uuid}/photos/{photo.pk}/")
    assert response.json()["code"] == "visit_submitted"
    assert report_with_photos.attachments.count() == 2


@pytest.mark.parametrize(
    "reader, code", [("manager", 403), ("pcc", 404), ("force", 404), ("outsider", 404)]
)
def test_api_only_the_visitors_add_or_remove_photos(client, draft, reader, code):
    photo = add(draft)
    client.force_login(persona(reader))
    assert api_upload(client, draft, jpeg()).status_code == code
    assert client.delete(f"/api/visits/{draft.uuid}/photos/{photo.pk}/").status_code == code
    assert list(draft.attachments.all()) == [photo]


@pytest.mark.parametrize("reader", ["manager", "pcc", "force"])
def test_api_detail_lists_the_photos_for_every_reader(client, report_with_photos, reader):
    client.force_login(persona(reader))
    photos = client.get(f"/api/visits/{report_with_photos.uuid}/").json()["photos"]
    assert [p["alt"] for p in photos][1] == "Photo 2 of the suite"
    assert ("(hidden)" in photos[0]["caption"]) == (reader == "pcc")


# --- A whole report from a phone ----------------------------------------------------------------


def phone_report(photos):
    body = whole_report(visitor=persona("visitor"), partner=persona("partner"))
    body["photos"] = photos
    return body


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def put(client, key, body):
    return client.put(f"/api/visits/{key}/report/", body, content_type="application/json")


def test_a_whole_report_s_photos_are_stored_once_and_stripped(api):
    key, ids = uuid.uuid4(), [str(uuid.uuid4()), str(uuid.uuid4())]
    body = phone_report(
        [
            {"id": ids[0], "caption": "Cell 2 bench", "image": b64(jpeg_with_everything())},
            {"id": ids[1], "caption": "", "image": b64(jpeg())},
        ]
    )
    first = put(api, key, body)
    assert first.status_code == 201, first.json()
    assert [p["client_id"] for p in first.json()["visit"]["photos"]] == ids
    again = put(api, key, body)
    assert again.status_code == 200 and again.json()["outcome"] == "already_stored"
    visit = Visit.objects.get(uuid=key)
    assert visit.attachments.count() == 2
    stored = visit.attachments.get(client_uuid=ids[0])
    assert stored.caption == "Cell 2 bench"
    with stored.image.open("rb") as f:
        assert_bare_jpeg(f.read())


def test_a_bad_photo_stores_nothing_and_is_named(api):
    key = uuid.uuid4()
    body = phone_report(
        [
            {"id": str(uuid.uuid4()), "caption": "ok", "image": b64(jpeg())},
            {"id": str(uuid.uuid4()), "caption": "bad", "image": b64(b"GIF89a not really")},
        ]
    )
    response = put(api, key, body)
    assert response.status_code == 400
    assert response.json()["code"] == "image_rejected"
    assert "photos.1.image" in response.json()["fields"]
    assert not Visit.objects.filter(uuid=key).exists()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "image, words",
    [("not base64 at all!", "not base64"), (b64(b"\xff" * (5 * 1024 * 1024 + 1)), "over 5 MB")],
)
def test_a_photo_that_is_not_base64_or_too_large_is_named(api, image, words):
    body = phone_report([{"id": str(uuid.uuid4()), "caption": "", "image": image}])
    response = put(api, uuid.uuid4(), body)
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert words in response.json()["fields"]["photos.0.image"]


def test_at_most_ten_photos_with_a_report(api):
    photo = {"id": str(uuid.uuid4()), "caption": "", "image": b64(jpeg((8, 8)))}
    response = put(api, uuid.uuid4(), phone_report([photo] * 11))
    assert response.status_code == 400
    assert "no more than 10" in response.json()["fields"]["photos.non_field_errors"]


def test_a_report_with_photos_may_be_larger_than_other_requests(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000  # well under one photo in base64
    settings.API_LARGE_BODIES = {"visit-report": 2_000_000}
    big = jpeg((900, 700))
    noise = Image.effect_noise((500, 400), 80).convert("RGB")
    out = io.BytesIO()
    noise.save(out, format="JPEG", quality=95)
    photos = [{"id": str(uuid.uuid4()), "caption": "", "image": b64(out.getvalue())}]
    assert len(b64(out.getvalue())) > 50_000 and big
    response = put(api, uuid.uuid4(), phone_report(photos))
    assert response.status_code == 201, response.json()
    # Other routes keep the ordinary limit.
    response = api.post("/api/visits/", {"x": "y" * 60_000}, content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    settings.API_LARGE_BODIES = {"visit-report": 100_000}
    response = put(api, uuid.uuid4(), phone_report(photos * 3))
    assert response.status_code == 413 and "97 KB" in response.json()["detail"]


def test_a_copy_from_the_partner_keeps_its_photos_beside_the_report(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(persona("visitor"))
    body = phone_report([])
    assert put(client, uuid.uuid4(), body).status_code == 201
    client.force_login(persona("partner"))
    theirs = whole_report(visitor=persona("partner"), partner=persona("visitor"), arrived_at=None)
    theirs["arrived_at"] = body["arrived_at"]
    theirs["photos"] = [{"id": str(uuid.uuid4()), "caption": "Yard", "image": b64(jpeg())}]
    response = put(client, uuid.uuid4(), theirs)
    assert response.json()["outcome"] == "kept_as_copy", response.json()
    from visits.models import VisitCopy

    copy = VisitCopy.objects.get()
    assert copy.report["photos"] == [{"id": theirs["photos"][0]["id"], "caption": "Yard"}]
    assert ["Photos", "0 on the report", "1 in the copy"] in copy.differences
    # The phone forgets its photos once answered: the image is kept here, with the copy, not on
    # the report, and without its metadata.
    (kept,) = copy.photos.all()
    assert kept.caption == "Yard" and str(kept.client_uuid) == theirs["photos"][0]["id"]
    with Image.open(kept.image.open("rb")) as image:
        assert not image.getexif()
    assert not copy.visit.attachments.exists()
    # The same report again (a lost answer) is the same copy, not a second one.
    assert put(client, copy.client_uuid, theirs).json()["outcome"] == ("kept_as_copy")
    assert VisitCopy.objects.count() == 1 and copy.photos.count() == 1
    # Shown on the report page to those who settle the copy; nobody else can open it.
    page = client.get(reverse("visit-report", args=[copy.visit.uuid])).content.decode()
    assert reverse("visit-copy-photo-thumb", args=[copy.visit.uuid, kept.pk]) in page
    assert 'alt="Yard"' in page
    photo_url = reverse("visit-copy-photo", args=[copy.visit.uuid, kept.pk])
    assert client.get(photo_url)["Content-Type"] == "image/jpeg"
    client.force_login(persona("pcc"))
    assert client.get(photo_url).status_code == 404
    assert (
        photo_url
        not in client.get(reverse("visit-report", args=[copy.visit.uuid])).content.decode()
    )


def test_a_photo_sent_without_the_suite_form_leaves_the_answers_alone(client, draft):
    question, data = suite_post(draft, note="Heating off")
    client.force_login(persona("visitor"))
    client.post(reverse("visit-suite", args=[draft.uuid]), data)
    photo = {"photo": SimpleUploadedFile("cell.jpg", jpeg(), "image/jpeg")}
    response = client.post(reverse("visit-photo-upload", args=[draft.uuid]), photo)
    assert response.status_code == 302
    assert draft.answers.get(question_id=question, detainee__isnull=True).note == "Heating off"
    assert draft.attachments.count() == 1
