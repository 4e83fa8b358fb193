"""The scheme manager's "E-mails" page on a phone: an e-mail that could not be sent, its reason,
the status filter (htmx) and "Send again" (issue 18)."""

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from tests.conftest import persona
from tests.factories import make_reported_issue
from visits.models import Email
from visits.tasks import queue_email


def test_the_manager_sends_a_failed_email_again(page, demo, sign_in, open_page):
    make_reported_issue()  # something for the digest to say
    manager = persona("manager")
    failed = queue_email(
        kind=Email.Kind.ISSUE_DIGEST,
        scheme=manager.memberships.get().scheme,
        to_user=manager,
        params={"date": timezone.localdate().isoformat()},
    )
    Email.objects.filter(pk=failed.pk).update(
        status=Email.Status.FAILED,
        attempts=7,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    sign_in("manager")
    page.get_by_role("link", name="e-mails").click()
    expect(page.get_by_role("heading", name="E-mails")).to_be_visible()
    check_accessibility(page)
    expect(
        page.get_by_text("ConnectionRefusedError: [Errno 111] Connection refused")
    ).to_be_visible()

    page.get_by_label("Status").select_option("sent")  # htmx swaps the list in place
    expect(page.get_by_text("No e-mails match.")).to_be_visible()
    page.get_by_label("Status").select_option("failed")
    expect(page.get_by_text("1 e-mail.")).to_be_visible()
    check_accessibility(page)

    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Send again to manager@example.org").click()
    expect(page.get_by_text("The e-mail to manager@example.org is queued again.")).to_be_visible()
    check_accessibility(page)
    sent = Email.objects.get(pk=failed.pk)
    assert sent.status == Email.Status.SENT and sent.subject.startswith("Issues digest")
    open_page("/emails/?status=sent")
    expect(page.get_by_text("Issues digest: 0 overdue, 1 to triage")).to_be_visible()
