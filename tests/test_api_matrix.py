"""Every API endpoint × method × persona, generated from the URL conf (pretix style): a new
endpoint or method without an entry in EXPECTED fails, and so does any change of outcome.

Each request is sent with an empty JSON body and rolled back, so one persona's request never
changes what the next one finds. Reading a row: the statuses for visitor, partner, coordinator,
manager, pcc, force, outsider and anonymous, in that order. 400 means the persona got past
every permission check to the body's validation (it was empty); 404 means they cannot see the
object or the endpoint's objects at all; 403 that they can see it but not do this.
"""

from django.utils import timezone

from tests.conftest import persona
from tests.factories import make_reported_issue, make_slot
from tests.matrix import WHO, named_urls, send
from visits.models import RotaSlot
from visits.services import rota

# "METHOD url-name": statuses for visitor partner coordinator manager pcc force outsider anon.
# The objects: a submitted Wymondham visit by visitor and partner with an issue referred to the
# force; a published rota slot at Wymondham for the same pair, which partner has offered.
EXPECTED = {
    "DELETE visit-photo-detail": "400 400 404 403 403 403 404 401",
    "GET api-checklists-current": "200 200 200 200 200 200 200 401",
    "GET api-docs": "200 200 200 200 200 200 200 200",
    "GET api-me": "200 200 200 200 200 200 200 401",
    "GET api-root": "200 200 200 200 200 200 200 401",
    "GET api-schema": "200 200 200 200 200 200 200 200",
    "GET api-summary": "404 404 200 200 200 200 404 401",
    "GET checklist-detail": "200 200 200 200 200 404 404 401",
    "GET checklist-list": "200 200 200 200 200 200 200 401",
    "GET issue-detail": "200 200 404 200 200 200 404 401",
    "GET issue-list": "200 200 200 200 200 200 200 401",
    "GET panel-detail": "200 200 200 200 200 404 404 401",
    "GET panel-list": "200 200 200 200 200 200 200 401",
    "GET person-detail": "200 200 200 200 404 404 404 401",
    "GET person-list": "200 200 200 200 200 200 200 401",
    "GET rota-period-detail": "200 200 200 200 404 404 404 401",
    "GET rota-period-list": "200 200 200 200 200 200 200 401",
    "GET rota-slot-detail": "200 200 404 200 404 404 404 401",
    "GET rota-slot-list": "200 200 200 200 200 200 200 401",
    "GET rota-swap-list": "200 200 200 200 200 200 200 401",
    "GET suite-detail": "200 200 200 200 200 200 404 401",
    "GET suite-list": "200 200 200 200 200 200 200 401",
    "GET visit-detail": "200 200 404 200 200 200 404 401",
    "GET visit-list": "200 200 200 200 200 200 200 401",
    "GET visit-pdf": "200 200 404 200 200 200 404 401",
    "POST issue-act": "400 400 404 400 400 400 404 401",
    "POST rota-period-generate": "403 403 403 409 404 404 404 401",
    "POST rota-period-list": "400 400 400 400 400 400 400 401",
    # The world's rota was published before anyone was told (no `told` record): publishing
    # again tells everyone on it. Nothing changed since: 409 (tests/test_rota_publishing.py).
    "POST rota-period-publish": "403 403 403 200 404 404 404 401",
    "POST rota-slot-offer": "201 409 404 403 404 404 404 401",
    "POST rota-slot-status": "403 403 404 400 404 404 404 401",
    "POST rota-swap-take": "409 409 200 409 404 404 404 401",
    "POST rota-swap-withdraw": "403 200 403 403 404 404 404 401",
    "POST visit-admission": "400 400 404 403 403 403 404 401",
    "POST visit-amend": "400 400 404 400 403 403 404 401",
    "POST visit-detainees": "400 400 404 403 403 403 404 401",
    "POST visit-good-practice": "400 400 404 403 403 403 404 401",
    "POST visit-issues": "400 400 404 403 403 403 404 401",
    "POST visit-list": "400 400 400 400 400 400 400 401",
    "POST visit-numbers": "400 400 404 403 403 403 404 401",
    "POST visit-photos": "400 400 404 403 403 403 404 401",
    "POST visit-sign-off": "400 400 404 403 403 403 404 401",
    "POST visit-submit": "200 200 404 403 403 403 404 401",
    "PUT rota-period-availability": "400 400 400 400 404 404 404 401",
    "PUT rota-slot-plan": "400 400 404 400 404 404 404 401",
    "PUT rota-slot-visitors": "403 403 404 400 404 404 404 401",
    "PUT visit-report": "400 400 400 403 403 403 400 401",
    "PUT visit-suite-answers": "400 400 404 403 403 403 404 401",
    # Volunteers' vetting and leaving (issue 22): the manager's volunteers, everyone's own.
    "GET api-own-record": "200 200 200 404 404 404 200 401",
    "GET volunteer-record-detail": "404 404 404 200 404 404 404 401",
    "GET volunteer-record-list": "200 200 200 200 200 200 200 401",
    # Training (issue 22): the manager's modules and records, everyone's own. An empty body
    # is refused (400) before the volunteer named in it is looked for (404 if not theirs).
    "GET api-own-training": "200 200 200 404 404 404 200 401",
    "GET training-module-list": "200 200 200 200 200 200 200 401",
    "GET training-module-detail": "404 404 404 200 404 404 404 401",
    "GET training-record-list": "200 200 200 200 200 200 200 401",
    "POST training-record-list": "400 400 400 400 400 400 400 401",
    "GET training-record-detail": "404 404 404 200 404 404 404 401",
    "DELETE training-record-detail": "404 404 404 204 404 404 404 401",
    # Recruitment (issue 22): applications are the manager's alone (others: an empty list).
    "GET recruitment-application-detail": "404 404 404 200 404 404 404 401",
    "GET recruitment-application-list": "200 200 200 200 200 200 200 401",
    # Expenses (issue 22): everyone's own (an empty list if none); the manager's list; a
    # claim of Vera's read by the manager alone.
    "GET own-expense-claim-list": "200 200 200 200 200 200 200 401",
    "POST own-expense-claim-list": "400 400 400 400 400 400 400 401",
    "GET expense-claim-list": "200 200 200 200 200 200 200 401",
    "GET expense-claim-detail": "404 404 404 200 404 404 404 401",
    # ID cards (issue 22): the manager's volunteers' card status; an empty list for the others.
    "GET id-card-detail": "404 404 404 200 404 404 404 401",
    "GET id-card-list": "200 200 200 200 200 200 200 401",
}


def api_routes():
    """(name, path template, methods) for every API URL, from the URL conf."""
    routes = []
    for name, path, pattern in named_urls():
        if not path.startswith("api/"):
            continue
        actions = getattr(pattern.callback, "actions", None)
        if actions:
            # (DRF adds "head" to a viewset's map once it has served a GET.)
            methods = sorted(m.upper() for m in actions if m not in ("head", "options"))
        else:
            view = getattr(pattern.callback, "cls", None) or pattern.callback.view_class
            methods = sorted(
                m.upper()
                for m in view.http_method_names
                if m not in ("options", "head") and hasattr(view, m)
            )
        routes.append((name, path, methods))
    return routes


def url_for(path: str, name: str, objects) -> str:
    import re

    path = "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")
    path = re.sub(r"\(\?P<uuid>[^)]*\)", objects["uuid"], path)
    basename = (
        name.rsplit("-", 1)[0] if not name.startswith("rota-") else "-".join(name.split("-")[:2])
    )
    path = re.sub(r"\(\?P<pk>[^)]*\)", str(objects["pk"].get(basename, 0)), path)
    path = path.replace("<uuid:uuid>", objects["uuid"])
    return path


def outcome(client, method, url, who) -> int:
    body = {} if method != "GET" else None
    return send(client, method, url, who, data=body, content_type="application/json")


def test_every_endpoint_method_and_persona_has_an_expected_outcome(client, one_of_each):
    found, problems = {}, []
    for name, path, methods in api_routes():
        url = url_for(path, name, one_of_each)
        for method in methods:
            key = f"{method} {name}"
            found[key] = " ".join(str(outcome(client, method, url, who)) for who in WHO)
    # To see the whole table when adding an endpoint: pytest -s tests/test_api_matrix.py
    print("\n".join(f'    "{k}": "{v}",' for k, v in sorted(found.items())))
    missing = sorted(set(found) - set(EXPECTED))
    assert not missing, f"Endpoints without an expected row: {missing}"
    for key, got in found.items():
        if got != EXPECTED[key]:
            problems.append(f"{key}: expected {EXPECTED[key]}, got {got}")
    assert not problems, "\n".join(problems)
    assert not set(EXPECTED) - set(found), "EXPECTED lists endpoints that are gone"


LIST_QUERY_BUDGET = 8


def test_every_list_endpoint_makes_the_same_few_queries_however_many_rows(client, one_of_each):
    """For each list endpoint in the URL conf, as the manager: the query count with the
    fixture's rows, and again with more of every kind, is the same and within budget."""
    lists = [
        (name, url_for(path, name, one_of_each))
        for name, path, _methods in api_routes()
        if name.endswith("-list")
    ]
    assert len(lists) >= 9
    client.force_login(persona("manager"))

    def counts():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        result = {}
        for name, url in lists:
            client.get(url)  # the session's first write is not the endpoint's
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, name
            result[name] = len(queries)
        return result

    before = counts()
    visitors = [persona("abigail.reeve"), persona("ben.catchpole")]
    for weeks in (3, 4, 5):
        slot = make_slot(
            period=RotaSlot.objects.first().period,
            suite_name="Aylsham",
            visitors=visitors,
            weeks_ahead=weeks,
        )
        rota.offer(actor=visitors[0], slot=slot)
        make_reported_issue()
    # Expenses (issue 22): more claims, for the manager's list.
    from decimal import Decimal

    from visits.services import expenses

    for person in visitors:
        expenses.submit_claim(
            actor=person,
            details=expenses.ClaimDetails(
                occasion="training",
                incurred_on=timezone.localdate(),
                description="Refresher",
                miles=Decimal("5"),
            ),
        )
    after = counts()
    assert after == before
    assert max(after.values()) <= LIST_QUERY_BUDGET, after
