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
]
BAD_QUERIES = ["?page=abc", "?page=-1", "?from=soon", "?to=2026-13-45", "?suite=x", "?status=%00"]
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

    from tests import test_api_matrix, test_url_matrix
    from tests.conftest import persona
    from tests.factories import make_one_of_each
    from tests.test_images_and_pdf import BAD_FILES

    tried, errors = 0, []

    def send(label, request):
        nonlocal tried
        tried += 1
        status = rolled_back(request).status_code
        if status >= 500:
            errors.append(f"{label}: {status}")

    client.force_login(persona("manager"))
    api_objects = make_one_of_each()
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
    page_objects = test_url_matrix.page_objects()
    for who in ("visitor", "manager", "force"):
        client.force_login(persona(who))
        for name, pattern in test_url_matrix.page_routes():
            url = test_url_matrix.url_for(name, pattern, page_objects)
            send(f"POST {url} as {who}", lambda u=url: client.post(u, BAD_FORM))
    client.force_login(persona("visitor"))
    upload = f"/visits/{page_objects['draft']}/photos/"
    for label, (data, _words) in BAD_FILES.items():
        from django.core.files.uploadedfile import SimpleUploadedFile

        def post(d=data):
            return client.post(upload, {"photo": SimpleUploadedFile("photo.jpg", d, "image/jpeg")})

        send(f"upload {label}", post)
    return {"tried": tried, "errors": errors}


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

        client = Client()
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
    print(f"Bad inputs: {bad['tried']} tried; 5xx {len(bad['errors'])}")
    for line in bad["errors"]:
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
        matrix["leaks"] or matrix["differs"] or matrix["errors"] or bad["errors"] or missing
    ) or two_factor
    print("OK" if not failed else "FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
