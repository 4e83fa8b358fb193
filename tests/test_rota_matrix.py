"""Every rota page and action (and the calendar feed) × GET and POST × every persona, generated
from the URL conf: a new rota URL without a row fails. Each request has an empty body and is
rolled back. A row reads: visitor, partner, coordinator, manager, pcc, force, outsider,
anonymous. 302 for anonymous is the sign-in redirect; 302 for others is a done action's
redirect back; 405 a method the page does not take.

The objects: a published Wymondham slot for visitor and partner, which partner has offered;
the visitor's calendar feed. tests/test_url_matrix.py holds every other page and checks that
every URL is in one of the matrices.
"""

import re

import pytest

from tests.conftest import persona
from tests.factories import make_period, make_slot
from tests.matrix import named_urls, outcomes
from visits.services import rota

EXPECTED = {
    "GET calendar-feed": "200 200 200 200 200 200 200 200",
    "GET my-rota": "200 200 200 404 404 404 200 302",
    "GET rota-availability": "200 200 200 404 404 404 404 302",
    "GET rota-feed-renew": "405 405 405 405 405 405 405 405",
    "GET rota-generate": "405 405 405 405 405 405 405 405",
    "GET rota-offer-take": "405 405 405 405 405 405 405 405",
    "GET rota-offer-withdraw": "405 405 405 405 405 405 405 405",
    "GET rota-period": "403 403 403 200 404 404 404 302",
    "GET rota-periods": "403 403 403 200 404 404 403 302",
    "GET rota-publish": "403 403 403 200 404 404 404 302",
    "GET rota-slot": "403 403 404 200 404 404 404 302",
    "GET rota-slot-check": "405 405 405 405 405 405 405 405",
    "GET rota-slot-move": "405 405 405 405 405 405 405 405",
    "GET rota-slot-offer": "405 405 405 405 405 405 405 405",
    "GET rota-slot-plan": "405 405 405 405 405 405 405 405",
    "GET rota-slot-status": "405 405 405 405 405 405 405 405",
    "POST calendar-feed": "405 405 405 405 405 405 405 405",
    "POST my-rota": "405 405 405 405 405 405 405 405",
    "POST rota-availability": "400 400 400 404 404 404 404 302",
    "POST rota-feed-renew": "302 404 404 404 404 404 404 302",
    "POST rota-generate": "403 403 403 302 404 404 404 302",
    "POST rota-offer-take": "302 302 302 302 404 404 404 302",
    "POST rota-offer-withdraw": "403 302 403 403 404 404 404 302",
    "POST rota-period": "405 405 405 405 405 405 405 405",
    "POST rota-periods": "403 403 403 400 404 404 403 302",
    "POST rota-publish": "403 403 403 400 404 404 404 302",
    "POST rota-slot": "403 403 404 200 404 404 404 302",
    "POST rota-slot-check": "403 403 404 200 404 404 404 302",
    "POST rota-slot-move": "403 403 404 400 404 404 404 302",
    "POST rota-slot-offer": "302 302 404 403 404 404 404 302",
    "POST rota-slot-plan": "302 302 404 403 404 404 404 302",
    "POST rota-slot-status": "403 403 404 302 404 404 404 302",
}


def rota_routes():
    """(name, path pattern) of every rota URL, from the URL conf."""
    routes = [(n, path) for n, path, _ in named_urls() if re.match(r"(rota|calendar)/", path)]
    assert routes, "no rota URLs found"
    return routes


@pytest.fixture
def objects(db):
    return rota_objects()


def rota_objects() -> dict:
    visitor, partner = persona("visitor"), persona("partner")
    slot = make_slot(period=make_period(), suite_name="Wymondham", visitors=[visitor, partner])
    swap = rota.offer(actor=partner, slot=slot)
    membership = visitor.memberships.get()
    feed = rota.feed_for(actor=visitor, membership=membership)
    return {
        "rota-availability": slot.period_id,
        "rota-period": slot.period_id,
        "rota-generate": slot.period_id,
        "rota-publish": slot.period_id,
        "rota-slot-plan": slot.pk,
        "rota-slot-offer": slot.pk,
        "rota-slot": slot.pk,
        "rota-slot-check": slot.pk,
        "rota-slot-move": slot.pk,
        "rota-slot-status": slot.pk,
        "rota-offer-take": swap.pk,
        "rota-offer-withdraw": swap.pk,
        "rota-feed-renew": membership.pk,
        "token": feed.token,
    }


def url_for(name, pattern, objects) -> str:
    path = re.sub(r"<int:pk>", str(objects.get(name, 0)), pattern)
    return "/" + re.sub(r"<str:token>", objects["token"], path)


def test_every_rota_url_method_and_persona_has_an_expected_outcome(client, objects):
    found = {}
    for name, pattern in rota_routes():
        url = url_for(name, pattern, objects)
        for method in ("GET", "POST"):
            found[f"{method} {name}"] = outcomes(client, url, method)
    # To see the whole table when adding a URL: pytest -s tests/test_rota_matrix.py
    print("\n".join(f'    "{k}": "{v}",' for k, v in sorted(found.items())))
    missing = sorted(set(found) - set(EXPECTED))
    assert not missing, f"Rota URLs without an expected row: {missing}"
    wrong = [f"{k}: expected {EXPECTED[k]}, got {v}" for k, v in found.items() if v != EXPECTED[k]]
    assert not wrong, "\n".join(wrong)
