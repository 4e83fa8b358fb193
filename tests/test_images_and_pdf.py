"""Photos are re-encoded and stripped; bad files are refused. The PDF carries the report; a
checklist version change leaves old reports exactly as they were."""

import io
import re
import struct
import zlib

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from tests.conftest import persona
from tests.factories import make_visit
from visits.images import ImageRejected, clean_photo, clean_signature
from visits.models import Attachment, ChecklistTemplate, Question, Visit
from visits.pdf import render_visit_report
from visits.services import checklists
from visits.visit_read_model import visible_report


def jpeg_with_gps(size=(2400, 1800), orientation=6) -> bytes:
    image = Image.new("RGB", size, (180, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = orientation  # rotate 90° when shown
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 37.0, 0.0), 3: "E", 4: (1.0, 17.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size=(40, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "white").save(out, format="PNG")
    return out.getvalue()


def test_photo_is_reencoded_rotated_bounded_and_stripped():
    clean = clean_photo(jpeg_with_gps())
    image = Image.open(io.BytesIO(clean.data))
    assert image.format == "JPEG"
    assert (clean.width, clean.height) == image.size == (1200, 1600)  # rotated, within 1600
    assert not image.getexif()  # no GPS, no maker, no orientation
    assert b"PhoneMaker" not in clean.data and b"Exif" not in clean.data
    thumb = Image.open(io.BytesIO(clean.thumbnail))
    assert max(thumb.size) == 400


def bomb_png(width=60000, height=60000) -> bytes:
    """A tiny PNG whose header claims `width` × `height` pixels (60,000 square: a bomb)."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


BAD_FILES = {
    "text pretending to be a photo": (b"<html><script>alert(1)</script></html>", "not a photo"),
    "empty file": (b"", "empty"),
    "decompression bomb": (bomb_png(), "too large"),
    "polyglot: JPEG with a zip after it": (
        jpeg_with_gps((50, 50)) + b"PK\x03\x04" + b"payload" * 20,
        "hidden after the image",
    ),
    "polyglot: PNG with HTML after it": (
        png() + b"<script>alert(1)</script>",
        "hidden after the image",
    ),
    "truncated JPEG": (jpeg_with_gps((400, 300))[:-600], ""),
    "GIF (not accepted)": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", ""),
    "over 10 MB": (b"\xff\xd8" + b"\x00" * (10 * 1024 * 1024 + 1), "over 10 MB"),
    "huge dimensions (9000 × 6000 claimed)": (bomb_png(9000, 6000), "too many pixels"),
    "PDF named as a photo": (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "not a photo"),
    "SVG with a script": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "not a photo",
    ),
    "truncated PNG": (png((300, 200))[:-40], ""),
    "Windows program": (b"MZ\x90\x00" + b"\x00" * 200, "not a photo"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_are_refused_with_a_message(name):
    data, words = BAD_FILES[name]
    with pytest.raises(ImageRejected) as rejected:
        clean_photo(data)
    assert words in str(rejected.value)
    assert str(rejected.value)[0].isupper()  # a sentence for a person


def test_signature_must_be_a_drawn_png():
    import base64

    with pytest.raises(ImageRejected, match="blank"):
        clean_signature("data:image/png;base64," + base64.b64encode(png()).decode())
    with pytest.raises(ImageRejected, match="could not be read"):
        clean_signature("data:image/svg+xml;base64,PHN2Zz4=")
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (10, 40, 290, 50))
    out = io.BytesIO()
    image.save(out, format="PNG")
    signed = clean_signature("data:image/png;base64," + base64.b64encode(out.getvalue()).decode())
    assert Image.open(io.BytesIO(signed)).size == (300, 100)


@pytest.fixture
def draft(db):
    return make_visit(visitors=[persona("visitor"), persona("partner")], status="draft")


def test_photo_upload_and_permission_checked_serving(client, draft, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(persona("visitor"))
    upload = SimpleUploadedFile("cell.jpg", jpeg_with_gps((800, 600)), "image/jpeg")
    response = client.post(
        reverse("visit-photo-upload", args=[draft.uuid]),
        {"photo": upload, "caption": "Graffiti in cell 3"},
    )
    assert response.status_code == 302
    photo = Attachment.objects.get(visit=draft)
    served = client.get(reverse("visit-photo", args=[draft.uuid, photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"PhoneMaker" not in b"".join(served.streaming_content)
    client.force_login(persona("outsider"))
    assert client.get(reverse("visit-photo", args=[draft.uuid, photo.pk])).status_code == 404


def test_a_bad_upload_gets_a_form_error_and_stores_nothing(client, draft, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(persona("visitor"))
    upload = SimpleUploadedFile("cell.jpg", b"not an image at all", "image/jpeg")
    response = client.post(reverse("visit-photo-upload", args=[draft.uuid]), {"photo": upload})
    assert response.status_code == 400
    assert "not a photo we can read" in response.content.decode()
    assert not Attachment.objects.exists()


def pdf_text(visit: Visit) -> str:
    data = render_visit_report(visible_report(persona("manager"), visit))
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_carries_the_figures_and_answers(db):
    visit = make_visit(visitors=[persona("visitor"), persona("partner")], detainees=12)
    text = pdf_text(visit)
    assert "Custody visit report" in text and "Wymondham" in text
    assert "Vera Holt, Peter Shaw" in text
    assert re.search(r"In custody at the time of the visit\s+13", text)
    for n in range(1, 13):
        assert f"WY-{n:05d}-26" in text
    assert "Given the written Notice of Rights and Entitlements" in text
    assert "PS 1234 Hart" in text
    reader = PdfReader(io.BytesIO(render_visit_report(visible_report(persona("manager"), visit))))
    assert reader.metadata.title.startswith("Custody visit report: Wymondham")
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in text


def test_long_notes_wrap_inside_the_page(db):
    from visits.models import Answer

    visit = make_visit(visitors=[persona("visitor"), persona("partner")], detainees=1)
    Answer.objects.filter(visit=visit).update(note="A very long note. " * 200 + "x" * 300)
    reader = PdfReader(io.BytesIO(render_visit_report(visible_report(persona("manager"), visit))))
    assert len(reader.pages) > 3  # it flowed onto more pages instead of overflowing


def test_a_new_checklist_version_leaves_old_reports_identical(db, manager):
    visit = make_visit(visitors=[persona("visitor"), persona("partner")], detainees=2)
    before = pdf_text(visit)
    template = ChecklistTemplate.objects.get(scheme=visit.scheme, kind="detainee")
    draft = checklists.start_draft(actor=manager, template=template)
    Question.objects.filter(section__version=draft, key="told_rights").update(
        text="Given the new 2027 notice of rights"
    )
    Question.objects.filter(section__version=draft, key="offered_codes").delete()
    checklists.publish(actor=manager, version=draft, note="Code C revision")
    assert checklists.current_version(visit.scheme, "detainee").pk == draft.pk
    visit.refresh_from_db()
    assert pdf_text(visit) == before
    new_visit = make_visit(visitors=[persona("visitor"), persona("partner")], detainees=1)
    assert new_visit.detainee_checklist_id == draft.pk
    assert "Given the new 2027 notice of rights" in pdf_text(new_visit)


def test_only_a_draft_can_be_published(db, manager):
    version = checklists.current_version(persona("manager").memberships.get().scheme, "suite")
    from visits.errors import DomainError

    with pytest.raises(DomainError) as error:
        checklists.publish(actor=manager, version=version)
    assert error.value.code == "checklist_not_draft"
