"""schemathesis against the live schema, inside the suite: every operation, a bounded number
of generated requests each, signed in as the scheme manager with a personal token. No answer
may be a 5xx, and every answer must match what the schema says (status, content type, body)."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as oas

from tests.conftest import persona
from tests.factories import make_issue, make_period, make_slot, make_visit
from visits.services import tokens

EXAMPLES_PER_OPERATION = 10
# The response checks. Not `positive_data_acceptance`: data the schema allows may still break a
# domain rule (numbers that do not add up, a date outside the rota week), which is a 400.
CHECKS = [
    checks.not_a_server_error,
    oas.status_code_conformance,
    oas.content_type_conformance,
    oas.response_headers_conformance,
    oas.response_schema_conformance,
    oas.ignored_auth,
]


@pytest.fixture
def api_schema(db, settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"}
    }
    # A real WSGI handler closes the database connection after each request, which would end
    # the test's transaction (on PostgreSQL); Django's own test client stops that the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def manager_token(db):
    """Something of each kind to act on, and the manager's token."""
    visitors = [persona("visitor"), persona("partner")]
    visit = make_visit(visitors=visitors)
    make_issue(visit=visit, raised_by=visitors[0])
    make_slot(period=make_period(), suite_name="Wymondham", visitors=visitors)
    cache.clear()
    _token, secret = tokens.create_token(actor=persona("manager"), name="fuzz")
    return secret


def test_no_operation_answers_5xx_or_breaks_its_schema(api_schema, manager_token):
    # schemathesis' own pytest plugin does not run on pytest 9 yet, so each operation's
    # strategy is driven by Hypothesis here.
    # identity: the in-process client does not undo the app's gzip
    headers = {"Authorization": f"Bearer {manager_token}", "Accept-Encoding": "identity"}
    failures, operations = {}, 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as failure:  # every failure is reported together, below
            failures[operation.label] = str(failure)[:2000]
    assert operations >= 30
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
