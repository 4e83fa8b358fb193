"""Every URL of the app × GET and POST × every persona, generated from the URL conf (issue 9).

This file holds the pages, downloads (PDF, CSV), media (photos, thumbnails, response files) and
the account pages; the API has its own matrix (tests/test_api_matrix.py) and so has the rota
(tests/test_rota_matrix.py). `test_every_url_is_in_a_matrix` fails for a URL in none of them.

Each request has an empty body and is rolled back. A row reads: visitor, partner, coordinator,
manager, pcc, force, outsider, anonymous. 302 for anonymous is the sign-in redirect, for others
a done action or a draft's redirect to its next step; 400 a form sent empty (the persona got
past every permission check); 403 can see but not change; 404 cannot see; 405 wrong method.

The objects: a draft Wymondham visit of visitor and partner with a detainee, a photo and an
issue; a submitted one with a referred issue that the force answered with a file; the
visitor's API token.
"""

import re
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests import test_api_matrix, test_rota_matrix
from tests.conftest import persona
from tests.factories import keep_copy_photo, make_reported_issue, make_visit, suite
from tests.matrix import named_urls, outcomes
from tests.test_images_and_pdf import png
from visits.images import clean_photo
from visits.models import Application, Email, TrainingCompletion, TrainingModule, VisitCopy
from visits.services import annual_reports, cards, expenses, publication, tokens
from visits.services import visits as service
from visits.services.issues import act
from visits.summaries import Period
from visits.tasks import queue_email

EXPECTED = {
    "GET admin:index": "302 302 302 200 302 302 302 302",
    "GET healthz": "200 200 200 200 200 200 200 200",
    "GET manifest": "200 200 200 200 200 200 200 200",
    "GET outbox": "200 200 200 200 200 200 200 302",
    "GET service-worker": "200 200 200 200 200 200 200 200",
    "GET js-catalogue": "200 200 200 200 200 200 200 200",
    "POST js-catalogue": "405 405 405 405 405 405 405 405",
    "GET visit-copy-dealt-with": "405 405 405 405 405 405 405 405",
    "GET visit-copy-photo": "200 200 404 200 404 404 404 302",
    "GET visit-copy-photo-thumb": "200 200 404 200 404 404 404 302",
    "GET visit-record": "200 200 200 403 403 403 200 302",
    "POST manifest": "405 405 405 405 405 405 405 405",
    "POST outbox": "405 405 405 405 405 405 405 405",
    "POST service-worker": "405 405 405 405 405 405 405 405",
    "POST visit-copy-dealt-with": "302 302 404 302 403 403 404 302",
    "POST visit-copy-photo": "405 405 405 405 405 405 405 405",
    "POST visit-copy-photo-thumb": "405 405 405 405 405 405 405 405",
    "POST visit-record": "405 405 405 405 405 405 405 405",
    "GET home": "200 200 200 200 200 200 200 302",
    # The mail queue: the scheme manager's alone (rota e-mails say which suite, which week).
    "GET email-list": "404 404 404 200 404 404 404 302",
    "POST email-list": "405 405 405 405 405 405 405 405",
    "GET email-send-again": "405 405 405 405 405 405 405 405",
    # The matrix's e-mail is queued, not failed: the manager is told it cannot be sent again.
    "POST email-send-again": "404 404 404 302 404 404 404 302",
    "GET issue-act": "405 405 405 405 405 405 405 405",
    "GET issue-board": "200 200 200 200 200 200 200 302",
    "GET issue-detail": "200 200 404 200 200 200 404 302",
    "GET issue-export": "200 200 200 200 200 200 200 302",
    # The force's file goes with its response: the scheme's and the force's, not the visitors'.
    "GET issue-file": "404 404 404 200 200 200 404 302",
    "GET login": "302 302 302 302 302 302 302 200",
    "GET logout": "405 405 405 405 405 405 405 405",
    "GET subject-access": "403 403 403 200 404 404 404 302",
    "GET suite-detail": "200 200 200 200 200 200 404 302",
    "GET suite-edit": "403 403 403 200 403 403 404 302",
    "GET suite-list": "200 200 200 200 200 200 200 302",
    "GET summary": "404 404 200 200 200 200 404 302",
    "GET summary-csv": "404 404 200 200 200 200 404 302",
    "GET summary-pdf": "404 404 200 200 200 200 404 302",
    "GET summary-return": "404 404 403 200 200 403 404 302",
    # The annual report: the manager writes and publishes, the PCC reader reads; the force and
    # everyone else get 404. Published (the matrix's is), anyone reads it at /public/.
    "GET annual-report": "404 404 404 200 200 404 404 302",
    "GET annual-report-edit": "404 404 404 200 403 404 404 302",
    "GET annual-report-pdf": "404 404 404 200 200 404 404 302",
    "GET annual-report-publish": "405 405 405 405 405 405 405 405",
    "GET public-annual-report": "200 200 200 200 200 200 200 200",
    "GET public-annual-report-pdf": "200 200 200 200 200 200 200 200",
    "GET token-list": "200 200 200 200 200 200 200 302",
    # The language switch (issue 21): everyone, signed in or not; an empty choice is "the
    # browser's language", then back to the home page.
    "GET set-language": "405 405 405 405 405 405 405 405",
    "POST set-language": "302 302 302 302 302 302 302 302",
    "GET token-revoke": "405 405 405 405 405 405 405 405",
    "GET two-factor-setup": "200 200 200 200 200 200 200 302",
    "GET two-factor-verify": "302 302 302 302 302 302 302 302",
    "GET visit-admission": "200 200 404 403 404 404 404 302",
    "GET visit-amend": "200 200 404 200 403 403 404 302",
    "GET visit-check": "200 200 404 403 404 404 404 302",
    "GET visit-detainee": "200 200 404 403 404 404 404 302",
    "GET visit-detainee-new": "200 200 404 403 404 404 404 302",
    "GET visit-detainee-remove": "405 405 405 405 405 405 405 405",
    "GET visit-detainees": "200 200 404 403 404 404 404 302",
    "GET visit-good-practice": "405 405 405 405 405 405 405 405",
    "GET visit-issue-withdraw": "405 405 405 405 405 405 405 405",
    "GET visit-issue-restore": "405 405 405 405 405 405 405 405",
    "GET visit-issues": "200 200 404 403 404 404 404 302",
    "GET visit-list": "200 200 200 200 200 200 200 302",
    "GET visit-numbers": "200 200 404 403 404 404 404 302",
    "GET visit-pdf": "200 200 404 200 200 200 404 302",
    "GET visit-photo": "200 200 404 200 404 404 404 302",
    "GET visit-photo-remove": "405 405 405 405 405 405 405 405",
    "GET visit-photo-thumb": "200 200 404 200 404 404 404 302",
    "GET visit-photo-upload": "405 405 405 405 405 405 405 405",
    "GET visit-recheck": "405 405 405 405 405 405 405 405",
    "GET visit-report": "200 200 404 200 200 200 404 302",
    "GET visit-sign-off": "200 200 404 403 404 404 404 302",
    "GET visit-start": "200 200 200 403 403 403 200 302",
    "GET visit-suite": "200 200 404 403 404 404 404 302",
    "POST admin:index": "302 302 302 200 302 302 302 302",
    "POST healthz": "405 405 405 405 405 405 405 405",
    "POST home": "405 405 405 405 405 405 405 405",
    "POST issue-act": "400 400 404 400 400 400 404 302",
    "POST issue-board": "405 405 405 405 405 405 405 405",
    "POST issue-detail": "405 405 405 405 405 405 405 405",
    "POST issue-export": "405 405 405 405 405 405 405 405",
    "POST issue-file": "405 405 405 405 405 405 405 405",
    "POST login": "302 302 302 302 302 302 302 200",
    "POST logout": "302 302 302 302 302 302 302 302",
    "POST subject-access": "405 405 405 405 405 405 405 405",
    "POST suite-detail": "405 405 405 405 405 405 405 405",
    "POST suite-edit": "403 403 403 200 403 403 404 302",
    "POST suite-list": "405 405 405 405 405 405 405 405",
    "POST summary": "405 405 405 405 405 405 405 405",
    "POST summary-csv": "405 405 405 405 405 405 405 405",
    "POST summary-pdf": "405 405 405 405 405 405 405 405",
    "POST summary-return": "405 405 405 405 405 405 405 405",
    "POST annual-report": "405 405 405 405 405 405 405 405",
    "POST annual-report-edit": "404 404 404 200 403 404 404 302",
    "POST annual-report-pdf": "405 405 405 405 405 405 405 405",
    # The manager's empty form is refused as stale (no revision) and sent back to the report.
    "POST annual-report-publish": "404 404 404 302 403 404 404 302",
    "POST public-annual-report": "405 405 405 405 405 405 405 405",
    "POST public-annual-report-pdf": "405 405 405 405 405 405 405 405",
    "POST token-list": "200 200 200 200 200 200 200 302",
    "POST token-revoke": "302 404 404 404 404 404 404 302",
    "POST two-factor-setup": "400 400 400 400 400 400 400 302",
    "POST two-factor-verify": "302 302 302 302 302 302 302 302",
    "POST visit-admission": "200 200 404 403 404 404 404 302",
    "POST visit-amend": "400 400 404 400 403 403 404 302",
    "POST visit-check": "400 400 404 403 404 404 404 302",
    "POST visit-detainee": "200 200 404 403 404 404 404 302",
    "POST visit-detainee-new": "200 200 404 403 404 404 404 302",
    "POST visit-detainee-remove": "200 200 404 403 404 404 404 302",
    "POST visit-detainees": "405 405 405 405 405 405 405 405",
    "POST visit-good-practice": "302 302 404 403 404 404 404 302",
    "POST visit-issue-withdraw": "302 302 404 403 404 404 404 302",
    "POST visit-issue-restore": "400 400 404 403 404 404 404 302",
    "POST visit-issues": "200 200 404 403 404 404 404 302",
    "POST visit-list": "405 405 405 405 405 405 405 405",
    "POST visit-numbers": "200 200 404 403 404 404 404 302",
    "POST visit-pdf": "405 405 405 405 405 405 405 405",
    "POST visit-photo": "405 405 405 405 405 405 405 405",
    "POST visit-photo-remove": "302 302 404 403 404 404 404 302",
    "POST visit-photo-thumb": "405 405 405 405 405 405 405 405",
    "POST visit-photo-upload": "400 400 404 403 404 404 404 302",
    "POST visit-recheck": "302 302 404 403 404 404 404 302",
    "POST visit-report": "405 405 405 405 405 405 405 405",
    "POST visit-sign-off": "200 200 404 403 404 404 404 302",
    "POST visit-start": "200 200 200 403 403 403 200 302",
    "POST visit-suite": "200 200 404 403 404 404 404 302",
    # Published figures (issue 20): public, no sign-in. Which quarters are public is the
    # manager's to change (the PCC reader sees it, 403; nobody else learns of it, 404); an
    # empty form is a 400.
    "GET public-figures": "200 200 200 200 200 200 200 200",
    "GET public-quarter": "200 200 200 200 200 200 200 200",
    "GET public-csv": "200 200 200 200 200 200 200 200",
    "GET public-json": "200 200 200 200 200 200 200 200",
    "POST public-figures": "405 405 405 405 405 405 405 405",
    "POST public-quarter": "405 405 405 405 405 405 405 405",
    "POST public-csv": "405 405 405 405 405 405 405 405",
    "POST public-json": "405 405 405 405 405 405 405 405",
    "GET publication": "404 404 404 200 200 404 404 302",
    "POST publication": "404 404 404 400 403 404 404 302",
    # Volunteers (issue 22): the manager's alone; a volunteer's own record is theirs. An empty
    # vetting or appointment form is valid (every field may be unknown); leaving needs a date.
    "GET own-record": "200 200 200 404 404 404 200 302",
    "POST own-record": "405 405 405 405 405 405 405 405",
    "GET volunteer-list": "404 404 404 200 404 404 404 302",
    # Recruitment (issue 22): the form and its thank-you page are everyone's (an empty form is a
    # 400); applications are the manager's alone; the welcome link (here a bad one) is a page
    # saying it no longer works, for anyone.
    "GET apply": "200 200 200 200 200 200 200 200",
    "POST apply": "400 400 400 400 400 400 400 400",
    "GET apply-thanks": "200 200 200 200 200 200 200 200",
    "POST apply-thanks": "405 405 405 405 405 405 405 405",
    "GET application-list": "404 404 404 200 404 404 404 302",
    "POST application-list": "405 405 405 405 405 405 405 405",
    "GET application-detail": "404 404 404 200 404 404 404 302",
    "POST application-detail": "405 405 405 405 405 405 405 405",
    "GET application-act": "405 405 405 405 405 405 405 405",
    "POST application-act": "404 404 404 400 404 404 404 302",
    "GET application-interview": "405 405 405 405 405 405 405 405",
    "POST application-interview": "404 404 404 400 404 404 404 302",
    "GET application-reference-add": "405 405 405 405 405 405 405 405",
    "POST application-reference-add": "404 404 404 400 404 404 404 302",
    "GET application-reference": "405 405 405 405 405 405 405 405",
    "POST application-reference": "404 404 404 400 404 404 404 302",
    "GET set-password": "200 200 200 200 200 200 200 200",
    "POST set-password": "200 200 200 200 200 200 200 200",
    "POST volunteer-list": "405 405 405 405 405 405 405 405",
    "GET volunteer-detail": "404 404 404 200 404 404 404 302",
    "POST volunteer-detail": "405 405 405 405 405 405 405 405",
    "GET volunteer-vetting": "405 405 405 405 405 405 405 405",
    "POST volunteer-vetting": "404 404 404 302 404 404 404 302",
    "GET volunteer-appointment": "405 405 405 405 405 405 405 405",
    "POST volunteer-appointment": "404 404 404 302 404 404 404 302",
    "GET volunteer-leaving": "405 405 405 405 405 405 405 405",
    "POST volunteer-leaving": "404 404 404 400 404 404 404 302",
    # Training (issue 22): the manager's alone. An empty form: 400 (Vera is no trainee, and
    # graduating her is refused by the service as the form's error).
    "GET training-overview": "404 404 404 200 404 404 404 302",
    "POST training-overview": "405 405 405 405 405 405 405 405",
    "GET training-module-add": "405 405 405 405 405 405 405 405",
    "POST training-module-add": "404 404 404 400 404 404 404 302",
    "GET training-module-retire": "405 405 405 405 405 405 405 405",
    "POST training-module-retire": "404 404 404 302 404 404 404 302",
    "GET training-completion-remove": "405 405 405 405 405 405 405 405",
    "POST training-completion-remove": "404 404 404 302 404 404 404 302",
    "GET volunteer-training": "404 404 404 200 404 404 404 302",
    "POST volunteer-training": "404 404 404 400 404 404 404 302",
    "GET volunteer-graduate": "405 405 405 405 405 405 405 405",
    "POST volunteer-graduate": "404 404 404 400 404 404 404 302",
    # Expenses (issue 22): the claim is Vera's (a meeting, with a receipt): hers to change,
    # the manager's to see and decide (403 the other way round); nobody else's (404).
    "GET own-expenses": "200 200 200 404 404 404 200 302",
    "POST own-expenses": "405 405 405 405 405 405 405 405",
    "GET expense-new": "200 200 200 404 404 404 200 302",
    "POST expense-new": "400 400 400 404 404 404 400 302",
    "GET expense-edit": "200 404 404 403 404 404 404 302",
    "POST expense-edit": "400 404 404 403 404 404 404 302",
    "GET expense-withdraw": "405 405 405 405 405 405 405 405",
    "POST expense-withdraw": "302 404 404 403 404 404 404 302",
    "GET expense-receipt": "200 404 404 200 404 404 404 302",
    "POST expense-receipt": "405 405 405 405 405 405 405 405",
    "GET expense-list": "404 404 404 200 404 404 404 302",
    "POST expense-list": "405 405 405 405 405 405 405 405",
    "GET expense-export": "404 404 404 200 404 404 404 302",
    "POST expense-export": "405 405 405 405 405 405 405 405",
    "GET expense-approve": "405 405 405 405 405 405 405 405",
    "POST expense-approve": "403 404 404 302 404 404 404 302",
    "GET expense-query": "405 405 405 405 405 405 405 405",
    "POST expense-query": "403 404 404 400 404 404 404 302",
    "GET expense-pay": "405 405 405 405 405 405 405 405",
    "POST expense-pay": "404 404 404 400 404 404 404 302",
    "GET expense-rate": "405 405 405 405 405 405 405 405",
    "POST expense-rate": "404 404 404 400 404 404 404 302",
    # ID cards (issue 22): the manager's section and the card of Vera (the membership), who holds
    # a valid card, so issuing again reissues it; her own card is hers alone (nobody else here
    # holds one); the check page answers everyone, signed in or not.
    "GET volunteer-card": "404 404 404 200 404 404 404 302",
    "POST volunteer-card": "405 405 405 405 405 405 405 405",
    "GET volunteer-card-photo-upload": "405 405 405 405 405 405 405 405",
    "POST volunteer-card-photo-upload": "404 404 404 400 404 404 404 302",
    "GET volunteer-card-photo": "404 404 404 200 404 404 404 302",
    "POST volunteer-card-photo": "405 405 405 405 405 405 405 405",
    "GET volunteer-card-issue": "405 405 405 405 405 405 405 405",
    "POST volunteer-card-issue": "404 404 404 302 404 404 404 302",
    "GET volunteer-card-revoke": "405 405 405 405 405 405 405 405",
    "POST volunteer-card-revoke": "404 404 404 400 404 404 404 302",
    "GET volunteer-card-pdf": "404 404 404 200 404 404 404 302",
    "POST volunteer-card-pdf": "405 405 405 405 405 405 405 405",
    "GET own-card-pdf": "200 404 404 404 404 404 404 302",
    "POST own-card-pdf": "405 405 405 405 405 405 405 405",
    "GET card-check": "200 200 200 200 200 200 200 200",
    "POST card-check": "405 405 405 405 405 405 405 405",
}

# Covered elsewhere, or not the app's own: the API and rota matrices, and Django's admin (its
# own staff checks, scoped per scheme in visits/admin.py, with its index below).
ELSEWHERE = re.compile(r"^(api/|rota/|calendar/|admin/.+)")


def page_routes():
    """(name, pattern) of every URL outside the API and rota, from the URL conf."""
    return [(name, path) for name, path, _ in named_urls() if not ELSEWHERE.match(path)]


@pytest.fixture
def objects(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return page_objects()


def page_objects() -> dict:
    """Build the objects (files go to MEDIA_ROOT); their ids by kind."""
    visitors = [persona("visitor"), persona("partner")]
    draft = make_visit(visitors=visitors, status="draft", detainees=1)
    detainee = draft.detainees.get()
    photo = service.add_photo(actor=visitors[0], visit=draft, photo=clean_photo(png()))
    draft_issue = service.raise_issue(
        actor=visitors[0], visit=draft, category="conditions", description="Cell 2 is cold."
    )
    issue = act(actor=persona("manager"), issue=make_reported_issue(), action="refer", notify=False)
    reply = SimpleUploadedFile("reply.pdf", b"%PDF-1.4\n% a reply\n", "application/pdf")
    issue = act(
        actor=persona("force"),
        issue=issue,
        action="respond",
        text="Repaired.",
        attachment=reply,
        notify=False,
    )
    token, _secret = tokens.create_token(actor=visitors[0], name="matrix")
    copy = VisitCopy.objects.create(
        visit=issue.visit, client_uuid=uuid.uuid4(), sent_by=visitors[1], report={}
    )
    copy_photo = keep_copy_photo(copy)
    email = queue_email(
        kind=Email.Kind.ISSUE_UPDATE,
        scheme=issue.scheme_id,
        to_user=persona("manager"),
        params={"issue": issue.pk, "action": "respond"},
    )
    # Last year's annual report of Norfolk, written and published (a year that has ended).
    last_year = timezone.localdate().year - 1
    norfolk = issue.scheme
    report = annual_reports.save_annual_report(
        actor=persona("manager"),
        scheme=norfolk,
        year=last_year,
        sections=annual_reports.Sections(
            findings="Cells clean.",
            force_responses="Prompt.",
            examples_of_change="Blankets.",
            thanks="Thank you.",
        ),
        expected_revision=0,
    )
    annual_reports.publish_annual_report(
        actor=persona("manager"), scheme=norfolk, year=last_year, expected_revision=report.revision
    )
    application = Application.objects.get(email="ellen.thirtle@example.org")
    # The quarter before this one, published: its public pages answer everyone.
    published = publication.publish_quarter(
        actor=persona("manager"),
        scheme=issue.scheme,
        period=Period.containing(timezone.localdate()).previous().key,
    )
    expense = expenses.submit_claim(
        actor=visitors[0],
        details=expenses.ClaimDetails(
            occasion="meeting",
            incurred_on=timezone.localdate(),
            description="Panel meeting",
            miles=Decimal("8"),
            receipt=clean_photo(png()),
        ),
    )
    # Vera's ID card (issue 22), with its photo.
    vera = visitors[0].memberships.get()
    cards.upload_photo(actor=persona("manager"), membership=vera, raw=png((300, 400)))
    card = cards.issue_card(actor=persona("manager"), membership=vera)
    return {
        "card-token": card.token,
        "year": last_year,
        "scheme-slug": norfolk.slug,
        "quarter": published.period,
        "email": email.pk,
        "draft": str(draft.uuid),
        "report": str(issue.visit.uuid),
        "suite": suite("Wymondham").pk,
        "issue": issue.pk,
        "event": issue.events.get(kind="responded").pk,
        "detainee": detainee.pk,
        "photo": photo.pk,
        "draft-issue": draft_issue.pk,
        "token": token.pk,
        "membership": visitors[0].memberships.get().pk,
        "copy": copy.pk,
        "copy-photo": copy_photo.pk,
        # Training (issue 22): Norfolk's induction module and Vera's record of it.
        "training-module": TrainingModule.objects.get(scheme=norfolk, key="induction").pk,
        "training-record": TrainingCompletion.objects.get(
            membership__user=visitors[0], module__key="induction"
        ).pk,
        # seed_demo's Norfolk application taking up references, and its first referee
        "application": application.pk,
        "reference": application.references.order_by("pk").first().pk,
        "expense": expense.pk,
    }


# Which object each URL's <int:pk> is, where it is not the suite's or the issue's.
PK_OF = {
    "visit-detainee": "detainee",
    "visit-detainee-remove": "detainee",
    "visit-photo": "photo",
    "visit-photo-thumb": "photo",
    "visit-photo-remove": "photo",
    "visit-issue-withdraw": "draft-issue",
    "visit-issue-restore": "draft-issue",
    "token-revoke": "token",
    "email-send-again": "email",
    "subject-access": "membership",
    "volunteer-detail": "membership",
    "volunteer-vetting": "membership",
    "volunteer-appointment": "membership",
    "volunteer-leaving": "membership",
    "volunteer-training": "membership",
    "volunteer-graduate": "membership",
    "training-completion-remove": "training-record",
    "training-module-retire": "training-module",
    "expense-edit": "expense",
    "expense-withdraw": "expense",
    "expense-receipt": "expense",
    "expense-approve": "expense",
    "expense-query": "expense",
    "volunteer-card": "membership",
    "volunteer-card-photo-upload": "membership",
    "volunteer-card-photo": "membership",
    "volunteer-card-issue": "membership",
    "volunteer-card-revoke": "membership",
    "volunteer-card-pdf": "membership",
    "visit-copy-dealt-with": "copy",
    "visit-copy-photo": "copy-photo",
    "visit-copy-photo-thumb": "copy-photo",
    "application-detail": "application",
    "application-act": "application",
    "application-interview": "application",
    "application-reference-add": "application",
    "application-reference": "application",
}
# Submitted reports; every other <uuid:uuid> is the draft.
REPORT_PAGES = {
    "visit-report",
    "visit-pdf",
    "visit-amend",
    "visit-copy-dealt-with",
    "visit-copy-photo",
    "visit-copy-photo-thumb",
}


def url_for(name: str, pattern: str, objects) -> str:
    kind = PK_OF.get(name) or ("suite" if name.startswith("suite") else "issue")
    path = pattern.replace("<int:pk>", str(objects[kind]))
    path = path.replace("<int:event_pk>", str(objects["event"]))
    path = path.replace("<int:ref>", str(objects["reference"]))
    path = path.replace("<int:year>", str(objects["year"]))
    path = path.replace("<slug:slug>", objects["scheme-slug"])
    path = path.replace("<quarter:period>", objects["quarter"])
    path = path.replace("<str:token>", objects["card-token"])
    path = path.replace("<lang:lang>", "cy")
    path = path.replace("<uuid:uuid>", objects["report" if name in REPORT_PAGES else "draft"])
    return "/" + path


def test_every_page_method_and_persona_has_an_expected_outcome(client, objects):
    found = {}
    for name, pattern in page_routes():
        url = url_for(name, pattern, objects)
        for method in ("GET", "POST"):
            found[f"{method} {name}"] = outcomes(client, url, method)
    # To see the whole table when adding a URL: pytest -s tests/test_url_matrix.py
    print("\n".join(f'    "{k}": "{v}",' for k, v in sorted(found.items())))
    missing = sorted(set(found) - set(EXPECTED))
    assert not missing, f"URLs without an expected row: {missing}"
    problems = [
        f"{k}: expected {EXPECTED[k]}, got {v}" for k, v in found.items() if v != EXPECTED[k]
    ]
    assert not problems, "\n".join(problems)


def test_every_url_is_in_a_matrix():
    """A URL added anywhere must be added to one of the three matrices."""
    covered = {key.split(" ", 1)[1] for key in EXPECTED}
    covered |= {key.split(" ", 1)[1] for key in test_api_matrix.EXPECTED}
    covered |= {key.split(" ", 1)[1] for key in test_rota_matrix.EXPECTED}
    every = {name for name, path, _ in named_urls() if not re.match(r"^admin/.+", path)}
    assert not sorted(every - covered), f"URLs in no matrix: {sorted(every - covered)}"
