"""Issue 22: every page of the volunteers' part (vetting, training, recruitment, ID cards,
expenses) within the page budget, for every persona who may open it: at most 10 queries
(the audit trail's apart, as bench/run.py counts them) and 50 KB on first load (the page and
the CSS and JavaScript it links to, compressed, as bench/run.py weighs it)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.run import BUDGET_PAGE_BYTES, BUDGET_QUERIES, page_weight
from tests.conftest import persona
from tests.matrix import WHO
from tests.test_url_matrix import EXPECTED, objects, page_routes, url_for  # noqa: F401
from visits.services import audit

VOLUNTEER_PAGES = [
    "volunteer-list",
    "volunteer-detail",
    "own-record",
    "training-overview",
    "volunteer-training",
    "application-list",
    "application-detail",
    "apply",
    "apply-thanks",
    "own-expenses",
    "expense-new",
    "expense-edit",
    "expense-list",
    "volunteer-card",
    "card-check",
]


@pytest.mark.usefixtures("objects")
def test_every_volunteer_page_is_within_the_page_budget(client, request):
    ids = request.getfixturevalue("objects")
    routes = dict(page_routes())
    measured = []
    for name in VOLUNTEER_PAGES:
        url = url_for(name, routes[name], ids)
        row = EXPECTED[f"GET {name}"].split()
        allowed = [who for who, code in zip(WHO, row, strict=True) if code == "200"]
        assert allowed, name
        for who in allowed:
            client.logout()
            if who != "anonymous":
                client.force_login(persona(who))
            client.get(url)  # the session's first touch is not the page's
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, (name, who)
            counted = [
                q for q in queries.captured_queries if not audit.is_trail_statement(q["sql"])
            ]
            weight = page_weight(client, url, response.content)
            measured.append((name, who, len(counted), weight))
    over = [m for m in measured if m[2] > BUDGET_QUERIES or m[3] > BUDGET_PAGE_BYTES]
    print("\n".join(f"{n} as {w}: {q} queries, {b / 1024:.1f} KB" for n, w, q, b in measured))
    assert not over, over
    assert {m[0] for m in measured} == set(VOLUNTEER_PAGES)
