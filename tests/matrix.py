"""What the three permission matrices share (tests/test_url_matrix.py, test_api_matrix.py,
test_rota_matrix.py, and bench/security.py): the URL conf walked once, and a row of outcomes
for one URL, each request rolled back so one persona never changes what the next finds."""

from django.db import transaction
from django.urls import URLResolver, get_resolver

from tests.conftest import PERSONAS, persona

# A row reads: visitor, partner, coordinator, manager, pcc, force, outsider, anonymous.
WHO = (*PERSONAS, "anonymous")


def named_urls():
    """(name, path pattern, URLPattern) of every named URL; names carry their namespace.
    Leaves out DRF's format-suffix twins of API URLs (".json")."""
    found = []

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif p.name and "format" not in prefix + str(p.pattern):
                name = f"{namespace}:{p.name}" if namespace else p.name
                found.append((name, prefix + str(p.pattern), p))

    walk(get_resolver().url_patterns, "", "")
    return found


def send(client, method: str, url: str, who: str, **kwargs) -> int:
    """One request as `who` (a persona's username, or "anonymous"), rolled back."""
    client.logout()
    if who != "anonymous":
        client.force_login(persona(who))
    with transaction.atomic():
        response = getattr(client, method.lower())(url, **kwargs)
        transaction.set_rollback(True)
    return response.status_code


def outcomes(client, url: str, method: str) -> str:
    """The row for a page: `method` with an empty form, as every persona and anonymous."""
    return " ".join(str(send(client, method, url, who)) for who in WHO)
