"""schemathesis against the live schema, inside the suite: every operation, a bounded number
of generated requests each, signed in as the scheme manager with a personal token. No answer
may be a 5xx, and every answer must match what the schema says (status, content type, body)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as oas

from tests.conftest import persona
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
    _token, secret = tokens.create_token(actor=persona("manager"), name="fuzz")
    return secret


# Which real object each path's parameter names, so that detail and action operations are also
# fuzzed past their 404: generated ids rarely exist.
REAL_OBJECT = {
    "/api/visits/{uuid}": "uuid",
    "/api/issues/{id}": "issue",
    "/api/rota/periods/{id}": "rota-period",
    "/api/rota/slots/{id}": "rota-slot",
    "/api/rota/swaps/{id}": "rota-swap",
    "/api/suites/{id}": "suite",
    "/api/panels/{id}": "panel",
    "/api/people/{id}": "person",
    "/api/checklists/{id}": "checklist",
}


def real_parameters(path: str, one_of_each) -> dict | None:
    for prefix, kind in REAL_OBJECT.items():
        if path.startswith(prefix):
            name = prefix.rsplit("{", 1)[1].rstrip("}")
            value = one_of_each["uuid"] if kind == "uuid" else one_of_each["pk"][kind]
            return {name: value}
    return None


def test_every_real_object_the_fuzzer_uses_is_there_for_the_manager(client, one_of_each):
    """Otherwise the second pass below would quietly test 404s again."""
    client.force_login(persona("manager"))
    for prefix in REAL_OBJECT:
        if prefix.startswith("/api/rota/swaps"):
            continue  # swaps have no detail operation
        path = prefix.format(**real_parameters(prefix, one_of_each)) + "/"
        assert client.get(path).status_code == 200, path


def fuzz(operation, headers: dict, path_parameters: dict | None) -> None:
    """Send the operation's generated requests (on a real object's path, if given) and check
    every answer."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if path_parameters:
            case.path_parameters = path_parameters
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_no_operation_answers_5xx_or_breaks_its_schema(api_schema, manager_token, one_of_each):
    # schemathesis' own pytest plugin does not run on pytest 9 yet, so each operation's
    # strategy is driven by Hypothesis here.
    # identity: the in-process client does not undo the app's gzip
    headers = {"Authorization": f"Bearer {manager_token}", "Accept-Encoding": "identity"}
    failures, operations = {}, 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        real = real_parameters(operation.path, one_of_each)

        # Generated path parameters first, then the same operation on a real object.
        for path_parameters in (None, real) if real else (None,):
            try:
                fuzz(operation, headers, path_parameters)
            except Exception as failure:  # every failure is reported together, below
                label = operation.label + (" (real object)" if path_parameters else "")
                failures[label] = str(failure)[:2000]
    assert operations >= 30
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
