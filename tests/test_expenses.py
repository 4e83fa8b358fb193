"""Expenses (issue 22): a volunteer claims mileage and costs for a visit or a meeting; the scheme
manager approves, queries and pays; the finance team's CSV; the receipt photo stripped.

Personas (tests/conftest.py): Vera (visitor) and Peter (partner) claim for their own visits and
see their own claims only; Carol (coordinator) claims her own, decides nobody's; Maya (manager)
sees and decides every Norfolk claim; the PCC reader and the force's custody lead see none of
it (404); Owen (Suffolk) sees nothing of Norfolk's.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from tests.conftest import persona
from tests.factories import make_visit
from tests.test_image_metadata import GPS_PLACE, assert_bare_jpeg, jpeg_with_everything
from visits.errors import ConflictError, DomainError, NotPermitted
from visits.images import clean_photo
from visits.models import AuditEntry, ExpenseClaim, Membership
from visits.services import expenses, subject_access
from visits.services.expenses import ClaimDetails

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
Status = ExpenseClaim.Status
MARKER = "Canary expense note lapwing"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def visit(db):
    """A submitted Wymondham visit of Vera and Peter, three days ago."""
    return make_visit(visitors=[persona("visitor"), persona("partner")])


def claim(actor, visit=None, **overrides) -> ExpenseClaim:
    details = ClaimDetails(
        occasion="visit" if visit else "meeting",
        visit_id=visit.pk if visit else None,
        incurred_on=None if visit else TODAY - DAY,
        description="" if visit else "Panel meeting",
        miles=Decimal("12.5"),
    )
    for name, value in overrides.items():
        setattr(details, name, value)
    return expenses.submit_claim(actor=actor, details=details)


def refused(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# --- Services -------------------------------------------------------------------------------------


def test_mileage_is_worked_out_at_the_rate_in_force_when_claimed(visit):
    manager = persona("manager")
    expenses.set_mileage_rate(
        actor=manager, scheme=visit.scheme, pence_per_mile=40, starts_on=TODAY - 30 * DAY
    )
    made = claim(persona("visitor"), visit, other_pence=350, other_description="Parking")
    assert (made.pence_per_mile, made.mileage_pence, made.total_pence) == (40, 500, 850)
    assert made.incurred_on == visit.visit_date and made.status == Status.SUBMITTED
    # A later rate leaves the claim as made, even when it is corrected.
    expenses.set_mileage_rate(
        actor=manager, scheme=visit.scheme, pence_per_mile=60, starts_on=TODAY
    )
    details = ClaimDetails(occasion="visit", visit_id=visit.pk, miles=Decimal("10"))
    edited = expenses.edit_claim(actor=persona("visitor"), claim=made, details=details)
    assert (edited.pence_per_mile, edited.mileage_pence, edited.total_pence) == (40, 400, 400)
    assert claim(persona("partner"), visit).pence_per_mile == 60


def test_a_scheme_without_a_rate_pays_45p_and_rounds_half_pennies_up(db):
    made = claim(persona("visitor"), miles=Decimal("0.1"))  # 4.5p
    assert (made.pence_per_mile, made.mileage_pence) == (45, 5)


def test_a_visit_that_is_not_theirs_is_refused(visit):
    error = refused(lambda: claim(persona("coordinator"), visit))
    assert error.code == "invalid_claim" and "not one of yours" in error.fields["visit"]
    outsider = refused(lambda: claim(persona("outsider"), visit))
    assert outsider.fields["visit"] == error.fields["visit"]  # told no more than a missing one
    assert not ExpenseClaim.objects.exists()


@pytest.mark.parametrize(
    "overrides, field, words",
    [
        ({"miles": Decimal("-3")}, "miles", "cannot be negative"),
        ({"miles": Decimal("1200")}, "miles", "at most"),
        ({"miles": Decimal("0"), "other_pence": 0}, "miles", "miles you drove, other costs"),
        ({"other_pence": -100}, "other_amount", "cannot be negative"),
        ({"other_pence": 500}, "other_description", "what the other costs were for"),
        ({"incurred_on": TODAY + DAY}, "incurred_on", "a day that has passed"),
        ({"incurred_on": TODAY - 400 * DAY}, "incurred_on", "within a year"),
        ({"description": "  "}, "description", "what the meeting"),
    ],
)
def test_bad_claims_are_refused_with_the_input_to_fix(db, overrides, field, words):
    error = refused(lambda: claim(persona("visitor"), **overrides))
    assert error.code == "invalid_claim" and words in error.fields[field]


def test_a_meeting_claim_sent_twice_is_kept_once(db):
    first = claim(persona("visitor"))
    again = refused(lambda: claim(persona("visitor")))
    assert again.code == "already_sent"
    other = claim(persona("visitor"), description="Training day")  # another claim: kept
    assert ExpenseClaim.objects.filter(membership__user=persona("visitor")).count() == 2
    assert {first.pk, other.pk} == set(ExpenseClaim.objects.values_list("pk", flat=True))


def test_a_volunteer_who_has_left_still_sees_what_was_paid(client, db):
    from visits.services import volunteers

    made = claim(persona("visitor"))
    volunteers.record_leaving(
        actor=persona("manager"),
        membership=persona("visitor").memberships.get(),
        left_on=TODAY - DAY,
        reason="Moved away",
    )
    client.force_login(persona("visitor"))
    page = client.get("/account/expenses/")
    assert page.status_code == 200 and "Panel meeting" in page.content.decode()
    assert expenses.own_claims(persona("visitor")).get() == made
    assert client.get("/account/expenses/new/").status_code == 404  # no new claims


def test_a_visit_is_claimed_once(visit):
    first = claim(persona("visitor"), visit)
    assert refused(lambda: claim(persona("visitor"), visit)).code == "already_claimed"
    expenses.withdraw_claim(actor=persona("visitor"), claim=first)
    assert claim(persona("visitor"), visit).status == Status.SUBMITTED  # withdrawn: again


def test_the_whole_way_query_resubmit_approve_pay(visit):
    vera, maya = persona("visitor"), persona("manager")
    made = claim(vera, visit)
    queried = expenses.query_claim(actor=maya, claim=made, question="Was it 12.5 each way?")
    assert queried.status == Status.QUERIED and queried.query == "Was it 12.5 each way?"
    details = ClaimDetails(occasion="visit", visit_id=visit.pk, miles=Decimal("25"))
    again = expenses.edit_claim(actor=vera, claim=queried, details=details)
    assert again.status == Status.RESUBMITTED and again.total_pence == 1125
    approved = expenses.approve_claim(actor=maya, claim=again)
    assert approved.status == Status.APPROVED and approved.decided_by == maya
    with pytest.raises(ConflictError):
        expenses.edit_claim(actor=vera, claim=approved, details=details)
    with pytest.raises(ConflictError):
        expenses.withdraw_claim(actor=vera, claim=approved)
    [paid] = expenses.mark_paid(actor=maya, claims=[approved], paid_on=TODAY)
    assert paid.status == Status.PAID and paid.paid_on == TODAY
    actions = list(
        AuditEntry.objects.filter(object_type="ExpenseClaim", object_id=str(made.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "expense.submitted",
        "expense.queried",
        "expense.edited",
        "expense.approved",
    ]
    assert AuditEntry.objects.filter(action="expense.paid", detail__claims=[made.pk]).exists()


def test_paying_an_unapproved_claim_pays_none(visit):
    maya = persona("manager")
    approved = expenses.approve_claim(actor=maya, claim=claim(persona("visitor"), visit))
    waiting = claim(persona("partner"), visit)
    with pytest.raises(ConflictError) as caught:
        expenses.mark_paid(actor=maya, claims=[approved, waiting], paid_on=TODAY)
    assert caught.value.code == "not_approved" and str(waiting.pk) in caught.value.message
    assert not ExpenseClaim.objects.filter(status=Status.PAID).exists()
    future = refused(lambda: expenses.mark_paid(actor=maya, claims=[approved], paid_on=TODAY + DAY))
    assert future.code == "paid_in_future"


def test_only_the_manager_decides_and_only_the_claimant_changes(visit):
    made = claim(persona("visitor"), visit)
    for who in ("coordinator", "pcc", "force", "partner"):
        with pytest.raises(NotPermitted):
            expenses.approve_claim(actor=persona(who), claim=made)
    details = ClaimDetails(occasion="visit", visit_id=visit.pk, miles=Decimal("1"))
    with pytest.raises(NotPermitted):
        expenses.edit_claim(actor=persona("partner"), claim=made, details=details)
    with pytest.raises(NotPermitted):
        expenses.withdraw_claim(actor=persona("manager"), claim=made)
    assert refused(
        lambda: expenses.query_claim(actor=persona("manager"), claim=made, question=" ")
    ).code == ("question_required")


def test_the_manager_and_the_force_cannot_claim(db):
    for who in ("manager", "pcc", "force"):
        with pytest.raises(NotPermitted):
            claim(persona(who))


# --- Pages ----------------------------------------------------------------------------------------


def post_claim(client, visit, **data):
    form = {
        "occasion": "visit",
        "visit": visit.pk,
        "miles": "18.4",
        "other_amount": "",
        "other_description": "",
    }
    form.update(data)
    return client.post("/account/expenses/new/", form)


def test_a_volunteer_claims_on_the_page_with_a_receipt_stripped_of_gps(client, visit, media):
    client.force_login(persona("visitor"))
    page = client.get("/account/expenses/new/")
    assert "Wymondham" in page.content.decode() and "pays 45p a mile" in page.content.decode()
    receipt = io.BytesIO(jpeg_with_everything())
    receipt.name = "receipt.jpg"
    response = post_claim(
        client, visit, other_amount="3.50", other_description="Car park", receipt=receipt
    )
    assert response.status_code == 302 and response.url == "/account/expenses/"
    made = ExpenseClaim.objects.get()
    assert (made.mileage_pence, made.other_pence, made.total_pence) == (828, 350, 1178)
    stored = made.receipt.read()
    assert_bare_jpeg(stored)
    assert GPS_PLACE.encode() not in stored and not Image.open(io.BytesIO(stored)).getexif()
    listing = client.get("/account/expenses/").content.decode()
    assert "Visit to Wymondham" in listing and "£11.78" in listing and "Submitted" in listing
    served = client.get(f"/expenses/{made.pk}/receipt/")
    assert b"".join(served.streaming_content) == stored


def test_refused_input_is_shown_and_kept(client, visit):
    client.force_login(persona("visitor"))
    response = post_claim(client, visit, miles="-4")
    body = response.content.decode()
    assert response.status_code == 400 and "There is a problem" in body
    assert "Miles cannot be negative." in body and 'value="-4' in body
    assert not ExpenseClaim.objects.exists()
    not_an_image = io.BytesIO(b"GIF89a not really")
    not_an_image.name = "receipt.jpg"
    body = post_claim(client, visit, receipt=not_an_image).content.decode()
    assert "not a photo we can read" in body


def test_an_htmx_refusal_returns_the_form_part_only(client, visit):
    client.force_login(persona("visitor"))
    response = client.post(
        "/account/expenses/new/",
        {"occasion": "visit", "visit": visit.pk, "miles": "-4"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="claim-form">')
    assert "Miles cannot be negative." in body and "<html" not in body


@pytest.mark.parametrize("who", ["partner", "coordinator", "pcc", "force", "outsider"])
def test_nobody_else_sees_a_volunteers_claim_or_receipt(client, visit, media, who):
    made = claim(persona("visitor"), visit, receipt=clean_photo(jpeg_with_everything()))
    expenses.query_claim(actor=persona("manager"), claim=made, question=MARKER)
    client.force_login(persona(who))
    assert client.get(f"/expenses/{made.pk}/receipt/").status_code == 404
    assert client.get(f"/account/expenses/{made.pk}/").status_code == 404
    assert client.post(f"/account/expenses/{made.pk}/withdraw/").status_code == 404
    assert client.post(f"/expenses/{made.pk}/approve/").status_code == 404
    for url in ("/account/expenses/", "/expenses/", "/expenses/export.csv"):
        response = client.get(url)
        assert MARKER not in response.content.decode()
        if who in ("pcc", "force"):
            assert response.status_code == 404


def test_the_manager_decides_on_the_list_in_bounded_queries(client, visit, media):
    made = [claim(persona("visitor"), visit), claim(persona("partner"), visit)]
    for n in range(5):
        claim(persona("coordinator"), description=f"Training {n}")
    client.force_login(persona("manager"))
    client.get("/expenses/")  # warm the session
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/expenses/").content.decode()
    # session, user, memberships, claims (with claimant, scheme, visit, suite), schemes, the
    # rate of each (one scheme): 6, whatever the number of claims.
    assert len(queries) <= 7, [q["sql"] for q in queries]
    assert "7 claims" in body and "Vera Holt" in body and "Visit to Wymondham" in body
    response = client.post(f"/expenses/{made[0].pk}/approve/", headers={"HX-Request": "true"})
    part = response.content.decode()
    assert part.lstrip().startswith('<div id="expense-claims">')
    assert f"Claim {made[0].pk} approved." in part and 'role="status"' in part
    again = client.post(f"/expenses/{made[0].pk}/approve/")
    assert again.status_code == 409 and "cannot be approved now" in again.content.decode()
    queried = client.post(f"/expenses/{made[1].pk}/query/", {"question": "Which car park?"})
    assert queried.status_code == 302
    assert ExpenseClaim.objects.get(pk=made[1].pk).query == "Which car park?"
    paid = client.post("/expenses/pay/", {"claims": [made[0].pk], "paid_on": TODAY.isoformat()})
    assert paid.status_code == 302
    assert ExpenseClaim.objects.get(pk=made[0].pk).status == Status.PAID
    unapproved = client.post(
        "/expenses/pay/", {"claims": [made[1].pk], "paid_on": TODAY.isoformat()}
    )
    assert unapproved.status_code == 400 and "Only approved claims" in unapproved.content.decode()
    listing = client.get("/expenses/?status=paid").content.decode()
    assert "1 claim" in listing and "Paid" in listing


def test_the_volunteer_sees_the_question_and_what_was_paid(client, visit):
    maya = persona("manager")
    made = claim(persona("visitor"), visit)
    expenses.query_claim(actor=maya, claim=made, question="Round trip?")
    client.force_login(persona("visitor"))
    body = client.get("/account/expenses/").content.decode()
    assert "Your scheme manager asks:" in body and "Round trip?" in body
    response = client.post(
        f"/account/expenses/{made.pk}/",
        {"occasion": "visit", "visit": visit.pk, "miles": "20"},
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == Status.RESUBMITTED
    expenses.approve_claim(actor=maya, claim=made)
    expenses.mark_paid(actor=maya, claims=[made], paid_on=TODAY)
    body = client.get("/account/expenses/").content.decode()
    assert "Paid to you so far: £9.00." in body and "Paid" in body
    assert "Withdraw" not in body


def test_the_finance_csv_holds_the_claims_and_no_formula_or_custody_number(client, visit):
    made = claim(
        persona("visitor"),
        visit,
        other_pence=250,
        other_description='=HYPERLINK("http://evil")',
    )
    expenses.approve_claim(actor=persona("manager"), claim=made)
    client.force_login(persona("manager"))
    response = client.get("/expenses/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["claim", "claimant", "scheme", "date", "what for"]
    row = rows[1]
    assert row[1] == "Vera Holt" and row[3] == visit.visit_date.isoformat()
    assert row[4] == "Visit to Wymondham" and row[5:9] == ["12.5", "45", "5.63", "2.50"]
    assert row[9].startswith("'=") and row[10] == "8.13" and row[11] == "Approved"
    for number in visit.detainees.values_list("custody_number", flat=True):
        assert number not in text
    assert AuditEntry.objects.filter(action="expense.exported").exists()


def test_the_own_record_links_to_expenses(client, db):
    client.force_login(persona("visitor"))
    assert 'href="/account/expenses/"' in client.get("/account/record/").content.decode()


# --- API ------------------------------------------------------------------------------------------


def test_the_api_lists_and_creates_ones_own_claims(client, visit):
    client.force_login(persona("visitor"))
    created = client.post(
        "/api/me/expenses/",
        {"occasion": "visit", "visit": visit.pk, "miles": "10.0"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["total_pence"] == 450 and created.json()["status"] == "submitted"
    negative = client.post(
        "/api/me/expenses/",
        {"occasion": "visit", "visit": visit.pk, "miles": "-1"},
        content_type="application/json",
    )
    assert negative.status_code == 400 and negative.json()["code"] == "invalid_claim"
    mine = client.get("/api/me/expenses/").json()["results"]
    assert [c["id"] for c in mine] == [created.json()["id"]]
    client.force_login(persona("partner"))
    assert client.get("/api/me/expenses/").json()["results"] == []


@pytest.mark.parametrize(
    "who, sees", [("manager", True), ("coordinator", False), ("pcc", False), ("force", False)]
)
def test_the_api_manager_list_is_the_managers(client, visit, who, sees):
    made = claim(persona("visitor"), visit)
    client.force_login(persona(who))
    rows = client.get("/api/expenses/").json()["results"]
    assert [r["id"] for r in rows] == ([made.pk] if sees else [])
    assert client.get(f"/api/expenses/{made.pk}/").status_code == (200 if sees else 404)


# --- Subject access -------------------------------------------------------------------------------


def test_subject_access_includes_the_persons_claims(visit):
    claim(persona("visitor"), visit, other_pence=120, other_description="Bus fare")
    claim(persona("partner"), visit)
    vera = persona("visitor")
    scheme = Membership.objects.get(user=vera).scheme
    document = subject_access.export(actor=persona("manager"), person=vera, scheme=scheme)
    [row] = document["expense_claims"]
    assert row["what_for"] == "Visit to Wymondham" and row["other_description"] == "Bus fare"
    assert row["total_pence"] == 683 and row["status"] == "Submitted"


# --- Budgets --------------------------------------------------------------------------------------


def test_every_expenses_page_is_within_the_query_and_size_budgets(
    client, visit, django_assert_max_num_queries
):
    """10 queries and 50 KB, with lists longer than a page."""
    people = [persona("visitor"), persona("partner"), persona("coordinator")]
    for n in range(130):
        claim(people[n % 3], description=f"Meeting {n}", other_pence=n + 1, other_description="Bus")
    for who, url in (
        ("visitor", "/account/expenses/"),
        ("visitor", "/account/expenses/new/"),
        (
            "visitor",
            f"/account/expenses/{ExpenseClaim.objects.filter(membership__user=people[0]).first().pk}/",
        ),
        ("manager", "/expenses/"),
        ("manager", "/expenses/?status=all"),
    ):
        client.force_login(persona(who))
        client.get("/")  # the session's first request
        with django_assert_max_num_queries(10):
            response = client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) < 50_000, (url, len(response.content))
    body = response.content.decode()
    assert "130 claims" in body and "Page 1 of 7" in body and "status=all&amp;page=2" in body
    assert body.count('class="card"') == 20


def test_paying_with_nothing_ticked_says_so(client, visit):
    client.force_login(persona("manager"))
    response = client.post("/expenses/pay/", {"paid_on": TODAY.isoformat()})
    assert response.status_code == 400
    assert "Choose the claims that were paid." in response.content.decode()


def test_the_api_takes_a_receipt_as_multipart_and_strips_it(client, visit, media):
    client.force_login(persona("visitor"))
    receipt = io.BytesIO(jpeg_with_everything())
    receipt.name = "receipt.jpg"
    response = client.post(
        "/api/me/expenses/",
        {"occasion": "visit", "visit": visit.pk, "miles": "4", "receipt": receipt},
    )
    assert response.status_code == 201, response.content
    assert response.json()["has_receipt"] is True
    stored = ExpenseClaim.objects.get().receipt.read()
    assert_bare_jpeg(stored)
    assert GPS_PLACE.encode() not in stored


def test_a_draft_visit_is_claimed_once_its_report_is_sent(db):
    draft = make_visit(visitors=[persona("visitor"), persona("partner")], status="draft")
    error = refused(lambda: claim(persona("visitor"), draft))
    assert "Send the visit's report first" in error.fields["visit"]
    assert draft not in expenses.claimable_visits(persona("visitor"))


def test_a_volunteer_of_two_schemes_says_which_a_meeting_is_for(client, db):
    vera = persona("visitor")
    suffolk = Membership.objects.get(user__username="outsider").scheme
    Membership.objects.create(user=vera, scheme=suffolk, role="visitor")
    client.force_login(vera)
    meeting = {"occasion": "meeting", "incurred_on": TODAY.isoformat(), "miles": "3"}
    meeting["description"] = "Joint training"
    refused_page = client.post("/account/expenses/new/", meeting).content.decode()
    assert "Choose the scheme the claim is for." in refused_page
    assert "Which scheme is a meeting or training claim for?" in refused_page
    response = client.post("/account/expenses/new/", {**meeting, "scheme": suffolk.pk})
    assert response.status_code == 302
    assert ExpenseClaim.objects.get().membership.scheme == suffolk


def test_a_manager_who_also_visits_is_not_offered_to_decide_their_own_claim(client, db):
    maya = persona("manager")
    norfolk = maya.memberships.get().scheme
    Membership.objects.create(user=maya, scheme=norfolk, role="visitor")
    own = claim(maya, description="Panel meeting, my own")
    others = claim(persona("coordinator"), description="Training")
    client.force_login(maya)
    body = client.get("/expenses/").content.decode()
    assert f"/expenses/{others.pk}/approve/" in body
    assert f"/expenses/{own.pk}/approve/" not in body
    assert f"/expenses/{own.pk}/query/" not in body
    assert "Someone else must decide your own claim." in body
