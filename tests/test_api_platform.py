"""The API as a platform: personal tokens, throttling, the OpenAPI schema and its docs."""

import pytest
from django.urls import reverse

from tests.conftest import persona
from visits.models import ApiToken, AuditEntry


def make_token(client, username="force", name="Force issue tracker") -> str:
    client.force_login(persona(username))
    response = client.post(reverse("token-list"), {"name": name})
    client.logout()
    return response.context["new_token"]


def test_a_token_is_shown_once_stored_hashed_used_and_revoked(client, db):
    token = make_token(client)
    row = ApiToken.objects.get(name="Force issue tracker")
    assert token.startswith("icv_") and row.prefix == token[:10]
    assert token not in row.token_hash and len(row.token_hash) == 64
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    me = client.get("/api/me/", **auth)
    assert me.status_code == 200 and me.json()["username"] == "force"
    row.refresh_from_db()
    assert row.last_used_at is not None
    client.force_login(persona("force"))
    page = client.get(reverse("token-list")).content.decode()
    assert "Force issue tracker" in page and token not in page  # never shown again
    client.post(reverse("token-revoke", args=[row.pk]))
    client.logout()
    revoked = client.get("/api/me/", **auth)
    assert revoked.status_code == 401
    assert revoked.json() == {
        "code": "authentication_failed",
        "detail": "This token is not valid, or has been revoked.",
        "fields": {},
    }
    assert {"token.created", "token.revoked"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


def test_a_token_acts_with_its_users_access_only(client, db):
    token = make_token(client, "outsider", "script")
    suites = client.get("/api/suites/", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert {s["name"] for s in suites["results"]} == {"Martlesham", "Bury St Edmunds"}


def test_only_the_owner_can_revoke_a_token(client, db):
    make_token(client, "force", "mine")
    row = ApiToken.objects.get(name="mine")
    client.force_login(persona("manager"))
    assert client.post(reverse("token-revoke", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None


@pytest.mark.parametrize("name", ["", "   "])
def test_a_token_needs_a_name(client, db, name):
    client.force_login(persona("visitor"))
    response = client.post(reverse("token-list"), {"name": name})
    assert response.context["new_token"] is None and response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_throttling_answers_429_with_retry_after(client, db, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }
    statuses = [client.get("/api/schema/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    cache.clear()
    guesses = [
        client.get("/api/me/", HTTP_AUTHORIZATION="Bearer icv_guess").status_code for _ in range(3)
    ]
    assert guesses == [401, 401, 429]
    token = make_token(client, "visitor", "t")
    cache.clear()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    responses = [client.get("/api/me/", **auth) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert int(responses[-1]["Retry-After"]) > 0
    assert responses[-1].json()["code"] == "throttled"
    cache.clear()


def test_schema_documents_every_operation_and_its_errors(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 20
    for operation in operations:
        for status in ("400", "401", "403", "404", "429"):
            assert status in operation["responses"], (operation["operationId"], status)
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_docs_are_served_without_a_cdn(client, db):
    page = client.get("/api/docs/").content.decode()
    assert "swagger" in page.lower()
    assert "cdn" not in page.lower() and "https://" not in page
