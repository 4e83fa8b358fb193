"""Security and data protection: the audit trail (an entry for each sensitive action, append-only,
a broken chain detected), the headers every answer carries, and the admin's changes audited.
The URL × persona matrix is tests/test_url_matrix.py; login protection is tests/test_login.py."""

import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.conftest import persona
from tests.factories import make_period, make_reported_issue, make_slot, make_visit
from visits.models import AuditEntry, Membership
from visits.services import audit, rota
from visits.services.issues import act


def actions_after(before: int) -> list[str]:
    return list(AuditEntry.objects.filter(pk__gt=before).values_list("action", flat=True))


def last_pk() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_each_sensitive_action_leaves_an_entry_with_who_and_where(client, db):
    visitors = [persona("visitor"), persona("partner")]
    before = last_pk()
    visit = make_visit(visitors=visitors, detainees=2)
    issue = make_reported_issue()
    act(actor=persona("manager"), issue=issue, action="refer", notify=False)
    slot = make_slot(period=make_period(), suite_name="Wymondham", visitors=visitors)
    rota.assign(actor=persona("manager"), slot=slot, visitor_ids=[], accept_warnings=True)
    client.force_login(persona("pcc"))
    client.get(reverse("visit-report", args=[visit.uuid]), REMOTE_ADDR="203.0.113.9")
    client.get(reverse("visit-pdf", args=[visit.uuid]), REMOTE_ADDR="203.0.113.9")
    client.get(reverse("summary-csv"), REMOTE_ADDR="203.0.113.9")
    client.force_login(persona("manager"))
    client.get(reverse("issue-export"), REMOTE_ADDR="198.51.100.7")
    done = actions_after(before)
    for action in (
        "visit.started",
        "visit.submitted",
        "issue.refer",
        "rota.slot_changed",
        "visit.viewed",
        "visit.pdf_downloaded",
        "summary.csv",
        "issues.exported",
    ):
        assert action in done, f"{action} not audited: {done}"
    viewed = AuditEntry.objects.get(pk__gt=before, action="visit.viewed")
    assert (viewed.actor.username, viewed.ip_address) == ("pcc", "203.0.113.9")
    exported = AuditEntry.objects.get(pk__gt=before, action="issues.exported")
    assert exported.ip_address == "198.51.100.7"
    assert audit.verify_chain() is None


def test_a_membership_changed_in_the_admin_is_audited(client, db):
    membership = persona("visitor").memberships.get()
    before = last_pk()
    client.force_login(persona("manager"))
    url = reverse("admin:visits_membership_change", args=[membership.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data |= {
        "user": membership.user_id,
        "scheme": membership.scheme_id,
        "status": "paused",
        "suites": [s.pk for s in membership.suites.all()],
        "panel": membership.panel_id,
        "conflicts-TOTAL_FORMS": "0",
        "conflicts-INITIAL_FORMS": "0",
        "conflicts-MIN_NUM_FORMS": "0",
        "conflicts-MAX_NUM_FORMS": "1000",
    }
    data = {k: v for k, v in data.items() if v is not None}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Membership.objects.get(pk=membership.pk).status == "paused"
    entry = AuditEntry.objects.get(pk__gt=before, action="admin.membership_changed")
    assert entry.actor.username == "manager" and "status" in entry.detail["fields"]


def test_the_trail_is_append_only_and_a_changed_entry_breaks_the_chain(db):
    manager = persona("manager")
    for n in range(3):
        audit.record(actor=manager, action="test.step", detail={"n": n})
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert "the chain is intact" in out.getvalue()
    entry = AuditEntry.objects.filter(action="test.step").first()
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    # Someone with database access rewrites history...
    AuditEntry.objects.filter(pk=entry.pk).update(detail={"n": 99})
    with pytest.raises(CommandError, match=f"broken at entry {entry.pk}"):
        call_command("verify_audit_chain", stdout=io.StringIO())
    AuditEntry.objects.filter(pk=entry.pk).update(detail={"n": 0})
    assert audit.verify_chain() is None
    # ...or removes an entry: the next one no longer follows.
    AuditEntry.objects.filter(pk=entry.pk).delete()
    assert audit.verify_chain() is not None


def test_every_answer_carries_the_security_headers(client, db):
    client.force_login(persona("visitor"))
    draft = make_visit(visitors=[persona("visitor"), persona("partner")], status="draft")
    for url in ("/", "/accounts/login/", "/api/me/", reverse("visit-numbers", args=[draft.uuid])):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp, url
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "camera=()" in headers["Permissions-Policy"], url
        assert "geolocation=()" in headers["Permissions-Policy"]
    photo_step = client.get(reverse("visit-suite", args=[draft.uuid]))
    assert "camera=(self)" in photo_step.headers["Permissions-Policy"]


def test_production_settings_send_hsts(settings):
    from django.http import HttpResponse
    from django.middleware.security import SecurityMiddleware
    from django.test import RequestFactory

    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    middleware = SecurityMiddleware(lambda request: HttpResponse())
    response = middleware(RequestFactory().get("/", secure=True))
    assert response.headers["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains")


def test_uploaded_files_have_no_public_address(client, db, settings, tmp_path):
    """Photos and response files are served only through views that check who asks."""
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cell.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    client.force_login(persona("manager"))
    for url in ("/media/photos/cell.jpg", "/photos/cell.jpg", "/static/../media/photos/cell.jpg"):
        assert client.get(url).status_code == 404, url


def test_retention_anonymises_old_detainee_data_and_leaves_the_figures_alone(client, db):
    import datetime

    from django.utils import timezone

    from visits.models import Answer, DetaineeRecord, Scheme
    from visits.services import retention
    from visits.services import visits as service

    visitors = [persona("visitor"), persona("partner")]
    norfolk = Scheme.objects.get(slug="norfolk")
    old_day = timezone.now() - datetime.timedelta(days=norfolk.detainee_data_retention_days + 30)
    old = make_visit(visitors=visitors, detainees=3, arrived_at=old_day)
    recent = make_visit(visitors=visitors, detainees=2)
    Answer.objects.filter(visit=old, detainee__isnull=False).update(note="Said he felt unwell.")
    DetaineeRecord.objects.filter(visit=old).update(gender="male", ethnicity="White British")
    issue = service.raise_issue(
        actor=visitors[0],
        visit=make_visit(visitors=visitors, status="draft", arrived_at=old_day),
        category="welfare",
        description="No blanket.",
        custody_number="WY-00007-26",
    )
    issue.visit.status = "submitted"
    issue.visit.save(update_fields=["status"])
    from visits.models import VisitCopy

    VisitCopy.objects.create(
        visit=old,
        client_uuid=uuid.uuid4(),
        sent_by=visitors[1],
        report={"detainees": [{"custody_number": "WY-00008-26"}]},
    )
    quarter = f"{old.visit_date.year}-Q{(old.visit_date.month - 1) // 3 + 1}"
    client.force_login(persona("manager"))
    figures_before = client.get(reverse("summary-csv"), {"period": quarter}).content

    dry = retention.apply(dry_run=True)
    assert DetaineeRecord.objects.filter(visit=old, anonymised_at__isnull=True).count() == 3
    (would,) = [r for r in dry if r.scheme == norfolk.name]
    (done,) = [r for r in retention.apply() if r.scheme == norfolk.name]
    assert (done.detainees, done.notes, done.issues, done.copies) == (3, would.notes, 1, 1)
    assert not VisitCopy.objects.filter(visit=old).exists()  # a phone's whole second record
    assert (would.detainees, would.issues) == (done.detainees, done.issues)
    assert done.notes == Answer.objects.filter(visit=old, detainee__isnull=False).count()

    for record in DetaineeRecord.objects.filter(visit=old):
        assert record.custody_number.startswith("anonymised-")
        assert (record.gender, record.ethnicity) == ("", "")
        assert record.anonymised_at is not None
    assert not Answer.objects.filter(visit=old).exclude(note="").exists()
    issue.refresh_from_db()
    assert issue.custody_number == ""
    assert not DetaineeRecord.objects.filter(visit=recent, anonymised_at__isnull=False).exists()
    assert client.get(reverse("summary-csv"), {"period": quarter}).content == figures_before
    assert AuditEntry.objects.filter(action="retention.applied").count() == 1
    # Run again: nothing left to do.
    again = [r for r in retention.apply() if r.scheme == norfolk.name][0]
    assert (again.detainees, again.notes, again.issues) == (0, 0, 0)
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue() and norfolk.name in out.getvalue()


def test_a_manager_exports_everything_held_about_a_volunteer(client, db):
    visitors = [persona("visitor"), persona("partner")]
    make_visit(visitors=visitors, detainees=2)
    issue = make_reported_issue()
    membership = persona("visitor").memberships.get()
    url = reverse("subject-access", args=[membership.pk])
    client.force_login(persona("manager"))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = response.json()
    assert data["account"]["username"] == "visitor"
    assert data["account"]["email"] == persona("visitor").email
    assert data["memberships"][0]["role"] == "Visitor"
    assert len(data["visits"]) == 2
    assert data["issues_raised"][0]["description"] == issue.description
    assert any(e["action"] == "visit.submitted" for e in data["audit_trail"])
    body = response.content.decode()
    assert "WY-0" not in body  # detainees' custody numbers are not the volunteer's data
    assert AuditEntry.objects.filter(action="person.subject_access_exported").exists()
    for who, status in (("partner", 403), ("coordinator", 403), ("pcc", 404), ("outsider", 404)):
        client.force_login(persona(who))
        assert client.get(url).status_code == status, who


def test_reads_are_audited_whatever_the_door(client, db):
    """Reading a report or an issue is recorded inside the core
    (visits.visit_read_model.read_report, visits.visible_issues.read_issue): the API and the
    PDFs cannot forget it."""
    issue = make_reported_issue()
    act(actor=persona("manager"), issue=issue, action="refer", notify=False)
    visit = issue.visit
    client.force_login(persona("force"))
    before = last_pk()
    for url in (
        f"/api/visits/{visit.uuid}/",
        f"/api/visits/{visit.uuid}/pdf/",
        f"/api/issues/{issue.pk}/",
        reverse("issue-detail", args=[issue.pk]),
        "/api/summaries/",
    ):
        assert client.get(url, REMOTE_ADDR="203.0.113.5").status_code == 200, url
    reads = [
        (entry.action, entry.detail.get("via", "period" in entry.detail), entry.ip_address)
        for entry in AuditEntry.objects.filter(pk__gt=before)
    ]
    assert reads == [
        ("visit.viewed", "api", "203.0.113.5"),
        ("visit.pdf_downloaded", "api", "203.0.113.5"),
        ("issue.viewed", "api", "203.0.113.5"),
        ("issue.viewed", "page", "203.0.113.5"),
        ("summary.api", True, "203.0.113.5"),
    ]
