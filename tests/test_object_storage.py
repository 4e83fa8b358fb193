"""Media in a real S3-compatible bucket (SeaweedFS, started by tests/s3server.py), private:
photos, copy photos, the sergeant's signature and issue response files are written there by the
services, read back by the permission-checked views and the PDF, and deleted there when a photo
is removed or retention drops a second record. Nobody reads the bucket without its keys.

Personas (tests/conftest.py): visitor and partner record the Wymondham visit; the manager and
the force custody lead read its report; outsider (Suffolk) sees nothing of it, so gets 404.
"""

import datetime
import io
import urllib.error
import urllib.request
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from icv.media_storage import LOCAL_DISK, media_storage
from tests.conftest import persona
from tests.factories import keep_copy_photo, make_visit, sign_off_and_submit
from tests.s3server import running_s3_server
from tests.test_image_metadata import assert_bare_jpeg, jpeg_with_everything
from tests.test_issues import issue_in
from visits.images import clean_photo
from visits.models import CopyPhoto, IssueEvent, Scheme, Visit, VisitCopy
from visits.pdf import render_visit_report
from visits.services import issues as issue_service
from visits.services import retention
from visits.services import visits as service
from visits.visit_read_model import visible_report


@pytest.fixture(scope="module")
def s3():
    with running_s3_server() as server:
        yield server


@pytest.fixture
def bucket(s3, settings):
    """Media goes to the bucket, as with ICV_MEDIA_STORAGE_URL set, for this test."""
    settings.STORAGES = {**settings.STORAGES, "default": media_storage(s3.storage_url)}
    return s3


def stored(s3, name: str) -> bytes:
    return s3.client().get_object(Bucket=s3.bucket, Key=name)["Body"].read()


def in_bucket(s3, name: str) -> bool:
    listed = s3.client().list_objects_v2(Bucket=s3.bucket, Prefix=name)
    return any(item["Key"] == name for item in listed.get("Contents", []))


def pair():
    return [persona("visitor"), persona("partner")]


def draft_with_photo():
    draft = make_visit(visitors=pair(), status=Visit.Status.DRAFT, detainees=1)
    photo = service.add_photo(
        actor=persona("visitor"),
        visit=draft,
        photo=clean_photo(jpeg_with_everything()),
        caption="Cell 3 toilet",
    )
    return draft, photo


def signature_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 100), (255, 255, 255)).save(out, format="PNG")
    return out.getvalue()


# --- Written to the bucket, private ------------------------------------------------------------


@pytest.mark.django_db
def test_a_photo_lands_in_the_bucket_stripped_of_its_metadata(bucket):
    _, photo = draft_with_photo()
    assert photo.image.storage.__class__.__name__ == "S3Storage"
    assert_bare_jpeg(stored(bucket, photo.image.name))
    assert_bare_jpeg(stored(bucket, photo.thumbnail.name))
    assert stored(bucket, photo.image.name) != stored(bucket, photo.thumbnail.name)


@pytest.mark.django_db
def test_nobody_reads_the_bucket_without_its_keys(bucket):
    _, photo = draft_with_photo()
    for address in (
        f"{bucket.endpoint}/{bucket.bucket}/{photo.image.name}",
        f"{bucket.endpoint}/{bucket.bucket}/",  # nor lists it
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(address, timeout=10)
        assert refused.value.code == 403, address
    # The only address the storage hands out is signed and lasts a minute.
    signed = default_storage.url(photo.image.name)
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=60" in signed


@pytest.mark.django_db
def test_the_same_name_twice_keeps_both_files(bucket):
    first = default_storage.save("photos/same.jpg", io.BytesIO(b"first"))
    second = default_storage.save("photos/same.jpg", io.BytesIO(b"second"))
    assert first != second
    assert (stored(bucket, first), stored(bucket, second)) == (b"first", b"second")


# --- Served by the app, to those who may see it -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reader", "status"), [("visitor", 200), ("partner", 200), ("outsider", 404)]
)
def test_a_draft_photo_is_served_to_its_visitors_and_404_to_others(bucket, client, reader, status):
    draft, photo = draft_with_photo()
    client.force_login(persona(reader))
    for name, file in (("visit-photo", photo.image), ("visit-photo-thumb", photo.thumbnail)):
        response = client.get(reverse(name, args=[draft.uuid, photo.pk]))
        assert response.status_code == status
        if status == 200:
            assert b"".join(response.streaming_content) == stored(bucket, file.name)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reader", "status"), [("manager", 200), ("force", 200), ("outsider", 404)]
)
def test_a_report_shows_its_photo_through_the_app_never_the_bucket(bucket, client, reader, status):
    draft, photo = draft_with_photo()
    report = sign_off_and_submit(draft, pair())
    client.force_login(persona(reader))
    page = client.get(reverse("visit-report", args=[report.uuid]))
    assert page.status_code == status
    served = client.get(reverse("visit-photo", args=[report.uuid, photo.pk]))
    assert served.status_code == status
    if status == 200:
        html = page.content.decode()
        assert reverse("visit-photo-thumb", args=[report.uuid, photo.pk]) in html
        assert bucket.endpoint.removeprefix("http://") not in html
        assert b"".join(served.streaming_content) == stored(bucket, photo.image.name)


@pytest.mark.django_db
def test_an_object_gone_from_the_bucket_is_a_404_not_an_error(bucket, client):
    draft, photo = draft_with_photo()
    bucket.client().delete_object(Bucket=bucket.bucket, Key=photo.image.name)
    client.force_login(persona("visitor"))
    assert client.get(reverse("visit-photo", args=[draft.uuid, photo.pk])).status_code == 404


# --- Deleted from the bucket -------------------------------------------------------------------


@pytest.mark.django_db
def test_removing_a_photo_deletes_its_objects_once_committed(
    bucket, django_capture_on_commit_callbacks
):
    draft, photo = draft_with_photo()
    names = [photo.image.name, photo.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        service.remove_photo(actor=persona("visitor"), visit=draft, photo=photo)
    assert not any(in_bucket(bucket, name) for name in names)


@pytest.mark.django_db
def test_retention_deletes_a_second_records_photos_from_the_bucket(
    bucket, django_capture_on_commit_callbacks
):
    norfolk = Scheme.objects.get(slug="norfolk")
    long_ago = timezone.now() - datetime.timedelta(days=norfolk.detainee_data_retention_days + 30)
    old = make_visit(visitors=pair(), detainees=1, arrived_at=long_ago)
    copy = VisitCopy.objects.create(
        visit=old, client_uuid=uuid.uuid4(), sent_by=persona("partner"), report={}
    )
    kept = keep_copy_photo(copy)
    names = [kept.image.name, kept.thumbnail.name]
    assert all(in_bucket(bucket, name) for name in names)
    recent = keep_copy_photo(
        VisitCopy.objects.create(
            visit=make_visit(visitors=pair()),
            client_uuid=uuid.uuid4(),
            sent_by=persona("partner"),
            report={},
        )
    )

    with django_capture_on_commit_callbacks(execute=True):
        retention.apply()

    assert not CopyPhoto.objects.filter(pk=kept.pk).exists()
    assert not any(in_bucket(bucket, name) for name in names)
    assert in_bucket(bucket, recent.image.name)  # within its keeping period: kept


# --- Signature, issue files and the PDF, read back through the storage --------------------------


@pytest.mark.django_db
def test_the_report_pdf_reads_its_photo_and_signature_from_the_bucket(bucket):
    draft, photo = draft_with_photo()
    service.record_sign_off(
        actor=persona("visitor"),
        visit=draft,
        sign_off=service.SignOff(
            departed_at=draft.arrived_at + datetime.timedelta(minutes=90),
            outcome=Visit.Outcome.SATISFACTORY,
            sergeant_name="PS 1234 Hart",
            signature_png=signature_png(),
            confirmed_by=pair(),
        ),
    )
    report = service.submit_visit(actor=persona("visitor"), visit=draft)
    report.refresh_from_db()
    assert stored(bucket, report.sergeant_signature.name) == signature_png()

    pdf = PdfReader(io.BytesIO(render_visit_report(visible_report(persona("manager"), report))))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Cell 3 toilet" in text
    assert "missing" not in text
    images = [image for page in pdf.pages for image in page.images]
    assert len(images) == 2  # the photo and the signature, both read from the bucket


@pytest.mark.django_db
def test_an_issue_response_file_round_trips_through_the_bucket(bucket, client):
    issue = issue_in("referred")
    client.force_login(persona("force"))
    content = b"%PDF-1.4\n% the force's response\n"
    response = client.post(
        reverse("issue-act", args=[issue.pk]),
        {
            "action": "respond",
            "text": "Repaired on 2 Dec.",
            "attachment": SimpleUploadedFile("reply.pdf", content, "application/pdf"),
        },
    )
    assert response.status_code == 302
    event = IssueEvent.objects.get(issue=issue, kind="responded")
    assert stored(bucket, event.attachment.name) == content
    served = client.get(reverse("issue-file", args=[issue.pk, event.pk]))
    assert b"".join(served.streaming_content) == content
    client.force_login(persona("outsider"))
    assert client.get(reverse("issue-file", args=[issue.pk, event.pk])).status_code == 404


# --- The setting ---------------------------------------------------------------------------------


def test_the_storage_url_names_a_private_bucket():
    storage = media_storage(
        "s3://KEY:se%2Fcret@s3.example.org:9000/icv-media/live?region=eu-west-2&secure=false"
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert (options["access_key"], options["secret_key"]) == ("KEY", "se/cret")
    assert options["endpoint_url"] == "http://s3.example.org:9000"
    assert (options["bucket_name"], options["location"]) == ("icv-media", "live")
    assert options["region_name"] == "eu-west-2"
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    assert media_storage("") == LOCAL_DISK


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://host/bucket", "must start with s3://"),
        ("s3://KEY:SECRET@/bucket", "names no host"),
        ("s3://KEY:SECRET@host:9000/", "names no bucket"),
        ("s3://host/bucket?secure=maybe", "neither true nor false"),
        ("s3://host/bucket?regoin=eu-west-2", "unknown parameters (regoin)"),
        ("s3://host:port/bucket", "port that is not a number"),
    ],
)
def test_a_storage_url_it_cannot_use_is_refused_saying_why(url, says):
    with pytest.raises(ImproperlyConfigured, match="ICV_MEDIA_STORAGE_URL") as refused:
        media_storage(url)
    assert says in str(refused.value)


@pytest.mark.django_db
def test_the_admin_shows_no_address_in_the_bucket(bucket, client):
    draft, photo = draft_with_photo()
    report = sign_off_and_submit(draft, pair())
    issue = issue_in("referred")
    issue_service.act(
        actor=persona("force"),
        issue=issue,
        action="respond",
        text="Repaired.",
        attachment=SimpleUploadedFile("reply.pdf", b"%PDF-1.4\n", "application/pdf"),
    )
    client.force_login(persona("manager"))
    for page, shown in (
        (reverse("admin:visits_attachment_change", args=[photo.pk]), "Cell 3 toilet"),
        (reverse("admin:visits_visit_change", args=[report.pk]), "PS 1234 Hart"),
        (reverse("admin:visits_issue_change", args=[issue.pk]), "reply.pdf"),
    ):
        html = client.get(page).content.decode()
        assert shown in html, page
        assert bucket.endpoint.removeprefix("http://") not in html, page
        assert "X-Amz-Signature" not in html, page


@pytest.mark.django_db
def test_signing_a_draft_again_deletes_the_old_signature(
    bucket, django_capture_on_commit_callbacks
):
    draft, _ = draft_with_photo()
    names = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            service.record_sign_off(
                actor=persona("visitor"),
                visit=draft,
                sign_off=service.SignOff(
                    departed_at=draft.arrived_at + datetime.timedelta(minutes=90),
                    outcome=Visit.Outcome.SATISFACTORY,
                    signature_png=signature_png(),
                    confirmed_by=pair(),
                ),
            )
        draft.refresh_from_db()
        names.append(draft.sergeant_signature.name)
    assert names[0] != names[1]
    assert not in_bucket(bucket, names[0])
    assert stored(bucket, names[1]) == signature_png()
