"""Every personal response is `Cache-Control: private, no-store` (issue 15), set in one place
(icv.middleware.CacheControlMiddleware); only the URLs in PUBLIC_URL_NAMES and static files
keep their own caching.

The walk GETs every named URL of the URL conf as the manager, the visitor and anonymously, with
the objects of the three permission matrices (tests/test_url_matrix.py, test_api_matrix.py,
test_rota_matrix.py), each request rolled back.
"""

import re

import pytest
from django.db import transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import test_api_matrix, test_rota_matrix, test_url_matrix
from tests.conftest import persona
from tests.matrix import named_urls
from visits.models import Visit
from visits.services import checklists

# Who the walk asks as.
WALKERS = ("manager", "visitor", "anonymous")
# icv.middleware.PUBLIC_URL_NAMES, written out again so that a name added there is looked at.
PUBLIC = {"login", "service-worker", "manifest", "healthz", "api-schema", "api-docs"}
# Of those, the ones a browser may keep (the rest send Django's never_cache of their own).
CACHEABLE = {"service-worker", "manifest", "api-schema", "api-docs"}
# Published figures (issue 20): public, and cacheable for a few minutes.
PUBLISHED = {"public-figures", "public-quarter", "public-csv", "public-json"}
PUBLIC |= PUBLISHED
CACHEABLE |= PUBLISHED
# The scripts' strings in each language (issue 21): public, kept and checked again (ETag).
PUBLIC |= {"js-catalogue"}
CACHEABLE |= {"js-catalogue"}
# Recruitment (issue 22): the application form (never_cache: a CSRF token and a time stamp) and
# its thank-you page (the same for everyone, cacheable).
PUBLIC |= {"apply", "apply-thanks"}
CACHEABLE |= {"apply-thanks"}
# An ID card's check page (issue 22): public, and never kept (a revoked card shows at once).
PUBLIC |= {"card-check"}


def directives(response) -> set[str]:
    value = response.headers.get("Cache-Control", "")
    return {part.strip().lower() for part in value.split(",") if part.strip()}


def is_personal_cache_control(response) -> bool:
    return {"private", "no-store"} <= directives(response)


def get(client: Client, url: str, who: str, **kwargs):
    """GET `url` as `who` (a persona's username, or "anonymous"), rolled back."""
    client.logout()
    if who != "anonymous":
        client.force_login(persona(who))
    with transaction.atomic():
        response = client.get(url, **kwargs)
        transaction.set_rollback(True)
    return response


@pytest.fixture
def objects(db, settings, tmp_path):
    """The page matrix's visits, photo, issue file and token; the rota matrix's slot and
    calendar feed; and the API matrix's ids, taken from those."""
    settings.MEDIA_ROOT = tmp_path
    pages = test_url_matrix.page_objects()
    rota = test_rota_matrix.rota_objects()
    report = Visit.objects.get(uuid=pages["report"])
    visitor = persona("visitor")
    api = {
        "uuid": pages["report"],
        "pk": {
            "suite": pages["suite"],
            "visit": report.pk,
            "issue": pages["issue"],
            "rota-period": rota["rota-period"],
            "rota-slot": rota["rota-slot"],
            "rota-swap": rota["rota-offer-take"],
            "panel": report.suite.panel_id,
            "person": visitor.memberships.get().pk,
            "id-card": visitor.memberships.get().pk,
            "checklist": checklists.current_version(report.scheme_id, "detainee").pk,
            "recruitment-application": pages["application"],
        },
    }
    # (Someone else's authenticator: one of their own would send the walkers to give a code.)
    device = TOTPDevice.objects.create(user=persona("coordinator"), name="phone", confirmed=True)
    return {"pages": pages, "rota": rota, "api": api, "admin": str(device.pk)}


def url_of(name: str, pattern: str, objects) -> str:
    """A real address for one named URL, filled in as its matrix fills it."""
    if pattern.startswith("admin/"):
        # Django's admin: an app's index, and an authenticator's id for every object id.
        path = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$", "visits/", pattern)
        return "/" + re.sub(r"<(path|int):\w+>", objects["admin"], path)
    if pattern.startswith("api/"):
        return test_api_matrix.url_for(pattern, name, objects["api"])
    if re.match(r"(rota|calendar)/", pattern):
        return test_rota_matrix.url_for(name, pattern, objects["rota"])
    return test_url_matrix.url_for(name, pattern, objects["pages"])


def test_every_url_as_every_walker_is_private_and_not_stored_unless_public(client, objects):
    client.raise_request_exception = False  # a server error's page is checked like any other
    checked, problems = 0, []
    for name, pattern, _ in named_urls():
        url = url_of(name, pattern, objects)
        for who in WALKERS:
            response = get(client, url, who)
            checked += 1
            value = response.headers.get("Cache-Control")
            where = f"GET {url} ({name}) as {who}: {response.status_code}, Cache-Control {value!r}"
            if name not in PUBLIC:
                if not is_personal_cache_control(response):
                    problems.append(where)
            elif name in CACHEABLE and "no-store" in directives(response):
                problems.append(f"{where} (public, should be cacheable)")
            elif value == "private, no-store":
                problems.append(f"{where} (public, the view's own header was replaced)")
    print(f"{checked} URL × walker responses checked")
    assert checked > 200, checked  # every URL of the conf, three times
    assert not problems, "\n".join(problems)


# The downloads and files that carried a weaker header, or none, before issue 15.
PERSONAL_FILES = [
    ("visit-photo", "visitor", "image/jpeg"),
    ("visit-photo-thumb", "manager", "image/jpeg"),
    ("issue-file", "manager", "application/pdf"),
    ("issue-export", "manager", "text/csv"),
    ("visit-pdf", "manager", "application/pdf"),
    ("api:visit-pdf", "visitor", "application/pdf"),
    ("calendar-feed", "anonymous", "text/calendar"),
    ("subject-access", "manager", "application/json"),
    ("summary-csv", "manager", "text/csv"),
]


def address(name: str, objects) -> str:
    api = name.startswith("api:")
    name = name.removeprefix("api:")
    for url_name, pattern, _ in named_urls():
        if url_name == name and pattern.startswith("api/") == api:
            return url_of(url_name, pattern, objects)
    raise LookupError(name)


@pytest.mark.parametrize(("name", "who", "content_type"), PERSONAL_FILES)
def test_photos_files_exports_pdfs_and_the_feed_are_not_kept(
    client, objects, name, who, content_type
):
    response = get(client, address(name, objects), who)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("who", WALKERS)
def test_error_pages_and_redirects_are_not_kept(client, db, who):
    for url in ("/no-such-page/", "/visits", "/api/no-such-endpoint/"):
        response = get(client, url, who)
        assert response.status_code in (301, 302, 404), url
        assert response["Cache-Control"] == "private, no-store", url
    if who == "visitor":
        refused = get(client, "/summaries/national-return.csv", who)  # a manager's download
        assert refused.status_code in (403, 404)
        assert refused["Cache-Control"] == "private, no-store"


def test_the_public_exceptions_keep_their_own_headers(client, db):
    assert client.get("/sw.js")["Cache-Control"] == "no-cache"
    assert "Cache-Control" not in client.get("/manifest.webmanifest").headers
    assert "no-cache" in client.get("/healthz")["Cache-Control"]
    assert "no-store" not in client.get("/api/schema/").headers.get("Cache-Control", "")
    # Django's sign-in page sends never_cache itself (the form holds a CSRF token).
    assert "no-store" in client.get("/accounts/login/")["Cache-Control"]


def test_a_public_answer_that_sets_a_cookie_is_not_kept(client, db):
    """A signed-in reader's session is refreshed (a Set-Cookie) on whatever page they open, a
    public one included: that answer must not sit in a shared cache and hand the cookie on."""
    from tests.conftest import persona

    client.force_login(persona("visitor"))
    session = client.session
    session["refreshed_at"] = 0  # due for its once-a-minute refresh
    session.save()
    response = client.get("/public/norfolk/2000-Q1.json")  # a public 404, cacheable
    assert response.cookies and "private" in directives(response)
    assert "public" not in directives(response)
    again = client.get("/public/norfolk/2000-Q1.json")  # refreshed a moment ago: no cookie
    assert not again.cookies and "public" in directives(again)


def test_the_public_list_is_the_middlewares():
    from icv.middleware import PUBLIC_URL_NAMES

    assert set(PUBLIC_URL_NAMES) == PUBLIC
    unknown = PUBLIC - {name for name, _, _ in named_urls()}
    assert not unknown, f"public names that no URL has: {unknown}"


def test_static_files_are_served_before_the_middleware_and_stay_cacheable(db, settings):
    settings.WHITENOISE_USE_FINDERS = True  # tests have no collected static files
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in directives(response)
    assert "max-age" in response["Cache-Control"]
