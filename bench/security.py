"""The security check: every URL × every persona against the matrices' expected outcomes, bad
input thrown at every form and endpoint, and the headers an answer carries.

    .venv/bin/python bench/security.py

Runs on a throwaway SQLite database with the demo data; prints a report and exits 1 if anything
leaks (a persona gets what its row says it may not: 2xx where 401, 403 or 404 was expected, or
a page instead of the sign-in redirect), differs from its row, or answers 5xx. The same tables
are the test suite's (tests/test_url_matrix.py, test_api_matrix.py, test_rota_matrix.py)."""

import contextlib
import io
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DENIALS = {"401", "403", "404"}
HEADERS = [
    "Content-Security-Policy",
    "Permissions-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
]
BAD_BODIES = [
    "not json at all",
    "[]",
    "null",
    '{"revision": "x", "visitors": "everyone", "status": {"$gt": ""}}',
    json.dumps({"text": "\u0000" * 10, "note": "x" * 100_000, "planned_for": "31/02/2026"}),
    json.dumps({"id": -1, "suite": 10**30, "co_visitors": [None], "arrived_at": "yesterday"}),
    # Issue 16: ids past any column, in lists too; the calendar's ends; nesting.
    json.dumps(
        {
            "suite": 10**30,
            "co_visitors": [10**30],
            "confirmed_by": [10**30],
            "visitors": [10**30],
            "user": 10**30,
            "question_id": 10**30,
            "answers": [{"question": 10**30, "value": "yes"}],
            "revision": 10**30,
        }
    ),
    json.dumps(
        {
            "arrived_at": "1900-01-01T10:00:00Z",
            "admitted_at": "9999-12-31T23:59:59Z",
            "departed_at": "9999-12-31T23:59:59-05:00",
            "planned_for": "0001-01-01T00:00:00+05:00",
            "starts_on": "9999-12-31",
            "availability_closes_on": "1900-01-01",
            "unavailable_weeks": ["9999-12-27"],
        }
    ),
    "[" * 100_000 + "]" * 100_000,
    '{"a": ' * 5_000 + "1" + "}" * 5_000,
]
BAD_QUERIES = [
    "?page=abc",
    "?page=-1",
    "?cursor=abc",
    "?cursor=WzFd",
    "?from=soon",
    "?to=2026-13-45",
    "?suite=x",
    "?status=%00",
]
BAD_QUERIES += [f"?suite={10**30}", f"?period={10**30}", "?from=1900-01-01", "?to=9999-12-31"]
# Routes under /api/ that match nothing; every API error must still be in the API's shape.
UNMATCHED_API = ["/api/nothing/", "/api/visits/AAA/nothing/", "/api/rota/swaps/1/2/3/"]
ERROR_SHAPE = {"code", "detail", "fields"}
BAD_FORM = {
    "revision": "x",
    "action": "<script>",
    "first": "99999999999999999999",
    "status": "done",
    "arrived_at": "not a date",
    "custody_number": "'; DROP TABLE visits_visit; --",
    "planned_for": "2026-02-31T25:61",
    "max_visits_per_month": "-5",
}
# Dates at the calendar's ends, which the forms refuse before any date arithmetic (a rota
# quarter ending past 9999 was a 500).
EDGE_DATES_FORM = {
    "arrived_at": "9999-12-31T23:59",
    "admitted_at": "9999-12-31T23:59",
    "departed_at": "0001-01-01T00:00",
    "planned_for": "9999-12-31T23:59",
    "starts_on": "9999-12-31",
    "availability_closes_on": "9999-12-01",
    "revision": "1",
}


def setup(db_path: Path, media: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "icv.settings",
            "ICV_DEBUG": "false",
            "ICV_SECRET_KEY": "security-check-only-secret-key-not-for-production-0123456789",
            "ICV_HTTPS": "false",
            "ICV_ALLOWED_HOSTS": "testserver",
            "ICV_DATABASE_URL": f"sqlite:///{db_path}",
            "ICV_MEDIA_ROOT": media,
            "ICV_EMAIL_URL": "memory://",
            "ICV_API_RATE_ANON": "100000/minute",
            "ICV_API_RATE_USER": "100000/minute",
            # The tables say what a persona reaches once fully signed in; that managers, PCC
            # and force must first give a two-factor code is checked on its own below.
            "ICV_TWO_FACTOR_REQUIRED": "false",
        }
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.STATIC_ROOT = ROOT / "bench" / "out" / "static"  # as bench/run.py
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, without_history=True, stdout=io.StringIO())
    logging.disable(logging.CRITICAL)  # refused requests are the point here, not news


@contextlib.contextmanager
def scratch():
    """Whatever is made inside is undone after, so each matrix builds its own objects."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def rolled_back(send):
    from django.db import transaction

    with transaction.atomic():
        response = send()
        transaction.set_rollback(True)
    return response


def check_matrices(client) -> dict:
    from tests import matrix, test_api_matrix, test_rota_matrix, test_url_matrix
    from tests.factories import make_one_of_each

    found = {}
    with scratch():
        api_objects = make_one_of_each()
        for name, path, methods in test_api_matrix.api_routes():
            url = test_api_matrix.url_for(path, name, api_objects)
            for method in methods:
                found[("api", f"{method} {name}")] = " ".join(
                    str(test_api_matrix.outcome(client, method, url, who)) for who in matrix.WHO
                )
    for module, make_objects, routes in (
        (test_url_matrix, test_url_matrix.page_objects, test_url_matrix.page_routes()),
        (test_rota_matrix, test_rota_matrix.rota_objects, test_rota_matrix.rota_routes()),
    ):
        with scratch():
            objects = make_objects()
            for name, pattern in routes:
                url = module.url_for(name, pattern, objects)
                for method in ("GET", "POST"):
                    found[(module.__name__, f"{method} {name}")] = matrix.outcomes(
                        client, url, method
                    )
    expected = {
        **{("api", k): v for k, v in test_api_matrix.EXPECTED.items()},
        **{("tests.test_url_matrix", k): v for k, v in test_url_matrix.EXPECTED.items()},
        **{("tests.test_rota_matrix", k): v for k, v in test_rota_matrix.EXPECTED.items()},
    }
    leaks, differs, errors = [], [], []
    for key, row in found.items():
        want = expected.get(key, "").split() or [""] * len(matrix.WHO)
        for who, got, expect in zip(matrix.WHO, row.split(), want, strict=True):
            label = f"{key[1]} as {who}: expected {expect or 'no row'}, got {got}"
            if got.startswith("5"):
                errors.append(label)
            elif got.startswith("2") and (
                expect in DENIALS or (who == "anonymous" and expect == "302")
            ):
                leaks.append(label)
            elif got != expect:
                differs.append(label)
    return {
        "urls": len({k[1].split(" ", 1)[1] for k in found}),
        "requests": sum(len(row.split()) for row in found.values()),
        "leaks": leaks,
        "differs": differs,
        "errors": errors,
    }


def throw_bad_input(client) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import test_rota_matrix, test_url_matrix
    from tests.conftest import persona
    from tests.factories import make_one_of_each
    from tests.test_images_and_pdf import BAD_FILES

    tried, errors, unshaped = 0, [], []

    def send(label, request):
        nonlocal tried
        tried += 1
        response = rolled_back(request)
        if response.status_code >= 500:
            errors.append(f"{label}: {response.status_code}")
        if label.split(" ")[1].startswith("/api/") and not in_error_shape(response):
            unshaped.append(f"{label}: {response.status_code} {response['Content-Type']}")

    class EveryId(dict):
        """Path parameters of the wrong type: every id and UUID is "AAA"."""

        def get(self, key, default=None):
            return "AAA"

    def post_bad_forms(urls):
        for who in ("visitor", "manager", "force"):
            client.force_login(persona(who))
            for url in urls:
                for form in (BAD_FORM, EDGE_DATES_FORM):
                    send(f"POST {url} as {who}", lambda u=url, f=form: client.post(u, f))

    # Each part makes its own objects, rolled back before the next part makes its own.
    with scratch():
        throw_at_api(client, send, make_one_of_each())
    with scratch():
        page_objects = test_url_matrix.page_objects()
        post_bad_forms(
            [
                test_url_matrix.url_for(name, pattern, page_objects)
                for name, pattern in test_url_matrix.page_routes()
            ]
        )
        client.force_login(persona("visitor"))
        upload = f"/visits/{page_objects['draft']}/photos/"
        for label, (data, _words) in BAD_FILES.items():

            def post(d=data):
                photo = SimpleUploadedFile("photo.jpg", d, "image/jpeg")
                return client.post(upload, {"photo": photo})

            send(f"upload {label}", post)
    with scratch():
        rota_objects = test_rota_matrix.rota_objects()
        post_bad_forms(
            [
                test_rota_matrix.url_for(name, pattern, rota_objects)
                for name, pattern in test_rota_matrix.rota_routes()
            ]
        )
    return {"tried": tried, "errors": errors, "unshaped": unshaped}


def throw_at_api(client, send, api_objects) -> None:
    """Every API route and method: bad queries and bodies, ids of the wrong type in the path;
    routes under /api/ that match nothing; a body over the size limit."""
    from django.conf import settings

    from tests import test_api_matrix
    from tests.conftest import persona

    class EveryId(dict):
        """Path parameters of the wrong type: every id and UUID is "AAA"."""

        def get(self, key, default=None):
            return "AAA"

    client.force_login(persona("manager"))
    wrong_ids = {"uuid": "AAA", "pk": EveryId()}
    for name, path, methods in test_api_matrix.api_routes():
        url = test_api_matrix.url_for(path, name, api_objects)
        if "GET" in methods:
            for query in BAD_QUERIES:
                send(f"GET {url}{query}", lambda u=url + query: client.get(u))
        for method in set(methods) - {"GET"}:
            for body in BAD_BODIES:
                send(
                    f"{method} {url} {body[:30]!r}",
                    lambda m=method, u=url, b=body: getattr(client, m.lower())(
                        u, b, content_type="application/json"
                    ),
                )
        wrong = test_api_matrix.url_for(path, name, wrong_ids)
        if wrong != url:
            for method in methods:
                send(
                    f"{method} {wrong}",
                    lambda m=method, u=wrong: (
                        client.get(u)
                        if m == "GET"
                        else getattr(client, m.lower())(u, "{}", content_type="application/json")
                    ),
                )
    for url in UNMATCHED_API:
        for method in ("GET", "POST", "PUT", "DELETE"):
            send(f"{method} {url}", lambda m=method, u=url: getattr(client, m.lower())(u))
    oversized = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    send(
        "POST /api/visits/ (over the size limit)",
        lambda: client.post("/api/visits/", oversized, content_type="application/json"),
    )


def in_error_shape(response) -> bool:
    """A success, or an error in the API's one shape: JSON {code, detail, fields}."""
    if response.status_code < 400:
        return True
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    body = response.json()
    return isinstance(body, dict) and set(body) == ERROR_SHAPE


def two_factor_enforced() -> list[str]:
    """With two-factor required (production), what each persona meets after the password."""
    from django.test import Client, override_settings

    from tests.conftest import PERSONAS, persona

    problems = []
    with override_settings(ICV_TWO_FACTOR_REQUIRED=True):
        for who in PERSONAS:
            client = Client()
            client.force_login(persona(who))
            response = client.get("/issues/")
            must = who in ("manager", "pcc", "force")
            asked = response.status_code == 302 and "/two-factor/setup/" in response.url
            if must != asked:
                problems.append(f"{who}: {'not ' if must else ''}asked for two-factor")
    return problems


def headers_present() -> dict:
    """The headers of a page in the production configuration (HTTPS on)."""
    from django.test import Client, override_settings

    from tests.conftest import persona

    production = {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }
    with override_settings(**production):
        client = Client()
        client.force_login(persona("visitor"))
        response = client.get("/", secure=True)
        login = Client().get("/accounts/login/", secure=True)
    shown = {name: response.headers.get(name) for name in HEADERS}
    cookie = login.cookies.get("csrftoken")
    shown["csrftoken cookie"] = (
        f"secure={bool(cookie['secure'])} samesite={cookie['samesite']}" if cookie else None
    )
    return shown


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        setup(Path(tmp) / "security.sqlite3", str(Path(tmp) / "media"))
        from django.test import Client

        # A view's exception is a 500 to count and list, not a crash of the check.
        client = Client(raise_request_exception=False)
        matrix = check_matrices(client)
        with scratch():
            bad = throw_bad_input(client)
        headers = headers_present()
        two_factor = two_factor_enforced()

    print(
        f"URLs × personas: {matrix['urls']} URLs × 7 personas and anonymous, "
        f"{matrix['requests']} requests checked against their rows; "
        f"leaks {len(matrix['leaks'])}, differing {len(matrix['differs'])}, "
        f"5xx {len(matrix['errors'])}"
    )
    for line in matrix["leaks"] + matrix["differs"] + matrix["errors"]:
        print("   ", line)
    print(
        f"Bad inputs: {bad['tried']} tried; 5xx {len(bad['errors'])}; "
        f"API errors not in the error shape {len(bad['unshaped'])}"
    )
    for line in bad["errors"] + bad["unshaped"]:
        print("   ", line)
    print(
        "Two-factor: required of managers, PCC readers and force leads, not of visitors: "
        + ("yes" if not two_factor else "NO: " + "; ".join(two_factor))
    )
    print("Headers (production configuration):")
    missing = []
    for name, value in headers.items():
        print(f"    {name}: {value if value is not None else 'MISSING'}")
        if value is None and name != "Cross-Origin-Opener-Policy":
            missing.append(name)
    failed = (
        matrix["leaks"]
        or matrix["differs"]
        or matrix["errors"]
        or bad["errors"]
        or bad["unshaped"]
        or missing
    ) or two_factor
    print("OK" if not failed else "FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
