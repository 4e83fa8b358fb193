"""A page turns the core's refusal into its medium in one place (issue 23, item 4): a
NotPermitted is the 403 page and a NotFound the 404 page, whether the view hands it to
visits.forms.refuse / refusal_of or lets it pass to icv.middleware.DomainErrorMiddleware; any
other refusal is shown to the person as before. The API keeps its own door (api.exceptions).

Personas (tests/conftest.py): Maya (manager) decides Norfolk's claims, cards and figures; Vera
(visitor) claims and records her own visits; the PCC reader sees Norfolk's publication page but
may not publish; Owen (outsider, Suffolk) sees nothing of Norfolk's.

The services are made to refuse (monkeypatch) where no persona reaches the refusal through the
pages' own gates: what is tested is the door, which must not show a 403 or 404 as a message.
"""

import ast
import pathlib

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from tests.conftest import persona
from tests.factories import make_issue, make_visit
from tests.test_expenses import claim
from visits.errors import ConflictError, DomainError, NotFound, NotPermitted
from visits.forms import page_exception, refusal_of
from visits.models import Membership, Visit
from visits.services import cards, expenses
from visits.services import publication as publication_service
from visits.services import visits as visit_service

VIEWS = pathlib.Path(__file__).resolve().parent.parent / "visits" / "views"
DOMAIN_ERRORS = {"DomainError", "NotPermitted", "NotFound", "ConflictError"}
# The calls that send a domain error through the page's door (visits.forms).
DOORS = {"refuse", "refusal_of"}
# Where a NotFound is an ordinary answer, not a refusal: (module, function) and why.
ANSWERS = {
    ("home.py", "_reader_context"): "a PCC reader of no scheme yet has no figures on home",
    ("public.py", "_figures"): "the public pages answer their own cacheable 404 page",
}

FORBIDDEN_TEXT = "You cannot do that"
NOT_FOUND_TEXT = "Page not found"


# --- The guard: no page view shows a domain error its own way ---------------------------------


def _names(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def _goes_through_a_door(handler: ast.ExceptHandler) -> bool:
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.Call) and _names(node.func) & DOORS:
            return True
        if isinstance(node, ast.Raise) and (
            node.exc is None or (isinstance(node.exc, ast.Name) and node.exc.id == handler.name)
        ):
            return True  # re-raised, to a door further up
    return False


def _strays() -> list[str]:
    strays = []
    for path in sorted(VIEWS.glob("*.py")):
        tree = ast.parse(path.read_text())
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        for function in functions:
            for node in ast.walk(function):
                if not isinstance(node, ast.ExceptHandler) or node.type is None:
                    continue
                if not _names(node.type) & DOMAIN_ERRORS:
                    continue
                if (path.name, function.name) in ANSWERS or _goes_through_a_door(node):
                    continue
                strays.append(f"{path.name}:{node.lineno} ({function.name})")
    return sorted(set(strays))


def test_every_domain_error_a_page_catches_goes_through_refuse():
    assert _strays() == []


def test_the_guard_would_catch_a_stray(tmp_path, monkeypatch):
    (tmp_path / "stray.py").write_text(
        "def view(request):\n"
        "    try:\n"
        "        act()\n"
        "    except NotFound as error:\n"
        "        raise Http404(error.message)\n"
        "    except DomainError as error:\n"
        "        messages.error(request, error.message)\n"
        "    try:\n"
        "        act()\n"
        "    except DomainError as error:\n"
        "        refuse(request, error)\n"
        "    try:\n"
        "        act()\n"
        "    except DomainError:\n"
        "        undo()\n"
        "        raise\n"
    )
    monkeypatch.setattr(f"{__name__}.VIEWS", tmp_path)
    assert _strays() == ["stray.py:4 (view)", "stray.py:6 (view)"]


# --- The one mapping ---------------------------------------------------------------------------


def test_the_mapping_gives_403_404_or_nothing():
    assert isinstance(page_exception(NotPermitted("No.", code="x")), PermissionDenied)
    assert isinstance(page_exception(NotFound("Gone.", code="x")), Http404)
    assert page_exception(DomainError("Fix it.", code="x")) is None
    assert page_exception(ConflictError("Moved on.", code="x")) is None
    assert refusal_of(ConflictError("Moved on.", code="x")) == "Moved on."
    with pytest.raises(PermissionDenied):
        refusal_of(NotPermitted("No.", code="x"))
    with pytest.raises(Http404):
        refusal_of(NotFound("Gone.", code="x"))


def test_the_middleware_leaves_other_errors_alone(db):
    from icv.middleware import DomainErrorMiddleware

    middleware = DomainErrorMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    assert middleware.process_exception(request, DomainError("x", code="x")) is None
    assert middleware.process_exception(request, ValueError("x")) is None


def _refuse_with(monkeypatch, module, name, error):
    def refused(*args, **kwargs):
        raise error

    monkeypatch.setattr(module, name, refused)


# --- An uncaught NotPermitted / NotFound: the middleware ---------------------------------------


def test_an_uncaught_not_found_is_the_404_page(client, db):
    vera = Membership.objects.get(user__username="visitor", scheme__slug="norfolk")
    client.force_login(persona("outsider"))
    response = client.get(reverse("volunteer-card", args=[vera.pk]))
    assert response.status_code == 404
    assert NOT_FOUND_TEXT in response.content.decode()
    assert "Vera" not in response.content.decode()


def test_an_uncaught_not_permitted_is_the_403_page_with_its_reason(client, db):
    client.force_login(persona("pcc"))
    url = reverse("publication", args=["norfolk"])
    response = client.post(url, {"period": "2026-Q3", "action": "withdraw"})
    assert response.status_code == 403
    page = response.content.decode()
    assert FORBIDDEN_TEXT in page
    assert "Only the scheme manager can publish or withdraw figures." in page


def test_an_htmx_request_gets_the_same_403(client, db):
    client.force_login(persona("pcc"))
    url = reverse("publication", args=["norfolk"])
    response = client.post(url, {"period": "2026-Q3", "action": "withdraw"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert FORBIDDEN_TEXT in response.content.decode()


def test_the_api_keeps_its_own_answer(client, db, monkeypatch):
    """DRF answers a NotPermitted itself, in the API's shape: the middleware never sees it."""
    draft = make_visit(visitors=[persona("visitor"), persona("partner")], status=Visit.Status.DRAFT)
    _refuse_with(
        monkeypatch,
        visit_service,
        "record_good_practice",
        NotPermitted("Not for you.", code="role_not_allowed"),
    )
    client.force_login(persona("visitor"))
    response = client.post(
        f"/api/visits/{draft.uuid}/good-practice/",
        {"good_practice": "Clean cells."},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json() == {"code": "role_not_allowed", "detail": "Not for you.", "fields": {}}


# --- The spots that once showed a 403 or 404 as a message --------------------------------------


@pytest.fixture
def vera_card_url(db):
    vera = Membership.objects.get(user__username="visitor", scheme__slug="norfolk")
    return reverse("volunteer-card-issue", args=[vera.pk])


def test_issuing_a_card_refused_for_the_role_is_a_403(client, vera_card_url, monkeypatch):
    _refuse_with(monkeypatch, cards, "issue_card", NotPermitted("Not yours.", code="x"))
    client.force_login(persona("manager"))
    response = client.post(vera_card_url)
    assert response.status_code == 403
    assert FORBIDDEN_TEXT in response.content.decode()
    assert "Not yours." in response.content.decode()


def test_issuing_a_card_without_a_photo_still_says_so(client, vera_card_url, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(persona("manager"))
    response = client.post(vera_card_url)
    assert response.status_code == 400
    assert "photo" in response.content.decode().lower()
    assert FORBIDDEN_TEXT not in response.content.decode()


@pytest.fixture
def vera_claim(db):
    visit = make_visit(visitors=[persona("visitor"), persona("partner")])
    return claim(persona("visitor"), visit)


def test_withdrawing_a_claim_refused_as_not_found_is_a_404(client, vera_claim, monkeypatch):
    _refuse_with(monkeypatch, expenses, "withdraw_claim", NotFound("No such claim.", code="x"))
    client.force_login(persona("visitor"))
    response = client.post(reverse("expense-withdraw", args=[vera_claim.pk]))
    assert response.status_code == 404
    assert NOT_FOUND_TEXT in response.content.decode()


def test_an_ordinary_withdrawal_refusal_is_still_a_message(client, vera_claim, monkeypatch):
    _refuse_with(monkeypatch, expenses, "withdraw_claim", DomainError("Too late now.", code="x"))
    client.force_login(persona("visitor"))
    response = client.post(reverse("expense-withdraw", args=[vera_claim.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("own-expenses")
    assert "Too late now." in response.content.decode()


@pytest.mark.parametrize("htmx", [False, True])
def test_approving_refused_for_the_role_is_a_403(client, vera_claim, monkeypatch, htmx):
    _refuse_with(monkeypatch, expenses, "approve_claim", NotPermitted("Not yours.", code="x"))
    client.force_login(persona("manager"))
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(reverse("expense-approve", args=[vera_claim.pk]), **headers)
    assert response.status_code == 403
    assert FORBIDDEN_TEXT in response.content.decode()


@pytest.mark.parametrize("htmx, status", [(False, 409), (True, 200)])
def test_an_ordinary_approval_refusal_is_still_the_lists_notice(
    client, vera_claim, monkeypatch, htmx, status
):
    _refuse_with(monkeypatch, expenses, "approve_claim", ConflictError("Moved on.", code="x"))
    client.force_login(persona("manager"))
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(reverse("expense-approve", args=[vera_claim.pk]), **headers)
    assert response.status_code == status
    assert "Moved on." in response.content.decode()


@pytest.mark.parametrize(
    "error, status, shown",
    [
        (NotFound("No such.", code="x"), 404, NOT_FOUND_TEXT),
        (DomainError("Not yet.", code="x"), 400, "Not yet."),  # an ordinary refusal, shown
    ],
)
def test_a_publishing_refusal_is_a_404_or_shown(client, db, monkeypatch, error, status, shown):
    _refuse_with(monkeypatch, publication_service, "publish_quarter", error)
    client.force_login(persona("manager"))
    url = reverse("publication", args=["norfolk"])
    response = client.post(url, {"period": "2026-Q3", "action": "publish"})
    assert response.status_code == status
    assert shown in response.content.decode()


# --- The visit's steps --------------------------------------------------------------------------


@pytest.fixture
def draft(client, db):
    visit = make_visit(
        visitors=[persona("visitor"), persona("partner")], status=Visit.Status.DRAFT, detainees=1
    )
    make_issue(visit=visit, raised_by=persona("visitor"))
    client.force_login(persona("visitor"))
    return visit


def _step_posts(draft):
    detainee = draft.detainees.get()
    issue = draft.issues.get()
    return {
        "remove_detainee": (
            reverse("visit-detainee-remove", args=[draft.uuid, detainee.pk]),
            {"confirmed": "yes"},
        ),
        "withdraw_issue": (reverse("visit-issue-withdraw", args=[draft.uuid, issue.pk]), {}),
        "restore_issue": (reverse("visit-issue-restore", args=[draft.uuid, issue.pk]), {}),
        "raise_issue": (
            reverse("visit-issues", args=[draft.uuid]),
            {
                "issue-category": "treatment",
                "issue-severity": "routine",
                "issue-description": "The cell was cold.",
            },
        ),
        "record_good_practice": (
            reverse("visit-good-practice", args=[draft.uuid]),
            {"good_practice": "Clean cells."},
        ),
        "submit_visit": (reverse("visit-check", args=[draft.uuid]), {}),
    }


STEPS = [
    "remove_detainee",
    "withdraw_issue",
    "restore_issue",
    "raise_issue",
    "record_good_practice",
    "submit_visit",
]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(
    "error, status, text",
    [
        (NotPermitted("Not your visit.", code="x"), 403, FORBIDDEN_TEXT),
        (NotFound("No such thing.", code="x"), 404, NOT_FOUND_TEXT),
    ],
)
def test_a_step_refused_for_the_role_or_as_not_found_is_a_403_or_404(
    client, draft, monkeypatch, step, error, status, text
):
    _refuse_with(monkeypatch, visit_service, step, error)
    url, data = _step_posts(draft)[step]
    response = client.post(url, data)
    assert response.status_code == status
    assert text in response.content.decode()


@pytest.mark.parametrize("step", STEPS[:5])
def test_an_ordinary_step_refusal_is_still_shown_on_the_step(client, draft, monkeypatch, step):
    _refuse_with(monkeypatch, visit_service, step, DomainError("Say more first.", code="x"))
    url, data = _step_posts(draft)[step]
    response = client.post(url, data)
    assert response.status_code in (200, 400)
    assert "Say more first." in response.content.decode()


def test_an_incomplete_report_still_lists_what_is_missing(client, draft):
    missing = visit_service.submission_problems(draft)
    response = client.post(reverse("visit-check", args=[draft.uuid]))
    assert response.status_code == 400
    page = response.content.decode()
    assert missing and all(str(text) in page for text in missing.values())
    assert FORBIDDEN_TEXT not in page
    draft.refresh_from_db()
    assert draft.is_draft
