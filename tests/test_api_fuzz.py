"""schemathesis against the live schema, inside the suite, as four personas: the scheme manager,
a visitor, the force's custody lead and a visitor of another scheme, each with a personal token.
Every phase schemathesis 4 has runs for each: `examples`, `coverage` (the boundary and negative
values of every parameter and body field, wrong types, missing fields, unexpected methods and
content types), `fuzzing` (random valid and invalid requests) and `stateful` (sequences of calls
carrying ids from one answer into the next request, along the links schemathesis infers from
the schema). No answer may be a 5xx, and every answer must match what the schema says (status,
content type, headers, body).

Random each run, not derandomised: the seed is printed with the number of requests each persona
sent in each phase, and `ICV_FUZZ_SEED=...` replays a run. The size is a budget rather than a
handful of examples: ICV_FUZZ_EXAMPLES fuzzed requests per operation, ICV_FUZZ_SCENARIOS
stateful scenarios of up to ICV_FUZZ_STEPS calls per persona, and the coverage phase's cases
(about 3,400 per persona, set by the schema). The module's tests share ICV_FUZZ_BUDGET_SECONDS:
each gets its part of what is left when it starts, stops sending when that is spent, and the
summary says how many cases went unsent, so a slow machine cannot stretch CI. A normal run
uses about half of it; docs/development.md has what a run costs."""

import os
import random
import time
import warnings
import zlib
from collections import Counter

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis import checks
from schemathesis.specs.openapi import checks as oas

from tests.conftest import persona
from visits.services import tokens

PERSONAS = ("manager", "visitor", "force", "outsider")
SEED = int(os.environ.get("ICV_FUZZ_SEED") or random.SystemRandom().getrandbits(32))
EXAMPLES = int(os.environ.get("ICV_FUZZ_EXAMPLES", "10"))
SCENARIOS = int(os.environ.get("ICV_FUZZ_SCENARIOS", "40"))
STEPS = int(os.environ.get("ICV_FUZZ_STEPS", "8"))
# For the whole module; a normal run takes about half of it.
BUDGET_SECONDS = float(os.environ.get("ICV_FUZZ_BUDGET_SECONDS", "240"))
# Each test's share of the budget: the phases' test sends about ten times the stateful one's
# requests, but each stateful request costs more (a scenario's calls build on each other).
WEIGHT = {"phases": 4, "stateful": 1}

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

# Requests sent by (persona, phase); cases not sent once a test was over its budget.
SENT: Counter = Counter()
UNSENT: Counter = Counter()
BUDGET = {"ends": None, "weight_left": len(PERSONAS) * sum(WEIGHT.values())}


def config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["all"],
            # Valid and invalid data alike; no example database kept between runs.
            "generation": {"mode": "all", "max-examples": EXAMPLES, "database": "none"},
            "phases": {
                "examples": {"enabled": True, "fill-missing": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True, "max-steps": STEPS},
            },
        }
    )


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


def on_real_object(case, one_of_each) -> None:
    """Three in four valid cases of a detail or action operation go to a real object; the rest
    keep the generated id (the 404 path), as do all invalid ones (a string id, a negative one).
    Chosen from the case's own content, so Hypothesis replays a case the same way."""
    real = real_parameters(case.operation.path, one_of_each)
    if not real or case.meta is None:
        return
    if case.meta.generation.mode != schemathesis.GenerationMode.POSITIVE:
        return
    if zlib.crc32(repr((case.query, case.body)).encode()) % 4:
        case.path_parameters = {**(case.path_parameters or {}), **real}


class Fuzzer:
    """A persona's token, and one test's share of the module's time budget."""

    def __init__(self, name: str, test: str):
        self.name = name
        _row, secret = tokens.create_token(actor=persona(name), name="fuzz")
        # identity: the in-process client does not undo the app's gzip
        self.headers = {"Authorization": f"Bearer {secret}", "Accept-Encoding": "identity"}
        now = time.monotonic()
        if BUDGET["ends"] is None:
            BUDGET["ends"] = now + BUDGET_SECONDS
        share = WEIGHT[test] / max(BUDGET["weight_left"], WEIGHT[test])
        BUDGET["weight_left"] -= WEIGHT[test]
        self.deadline = now + max(BUDGET["ends"] - now, 0) * share

    def may_send(self, phase: str) -> bool:
        if time.monotonic() > self.deadline:
            UNSENT[(self.name, phase)] += 1
            return False
        SENT[(self.name, phase)] += 1
        return True


@pytest.fixture(params=PERSONAS)
def fuzzer(request, db, settings, one_of_each):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": {"anon": "1000000/minute", "user": "1000000/minute"}
    }
    # schemathesis 4.32's pytest plugin labels each operation's subtest through
    # `Node._nodeid`, which pytest 9.2 no longer has (it keeps `_id` behind `nodeid`).
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    # A real WSGI handler closes the database connection after each request, which would end
    # the test's transaction (on PostgreSQL); Django's own test client stops that the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        test = "stateful" if "sequence" in request.node.name else "phases"
        yield Fuzzer(request.param, test)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(fuzzer):
    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=config())


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_no_answer_is_a_5xx_or_breaks_the_schema(case, fuzzer, one_of_each):
    """The examples, coverage and fuzzing phases, a subtest per operation."""
    phase = case.meta.phase.name.value if case.meta else "fuzzing"
    on_real_object(case, one_of_each)
    if fuzzer.may_send(phase):
        case.call_and_validate(headers=fuzzer.headers, checks=CHECKS)


def test_no_sequence_of_calls_answers_5xx_or_breaks_the_schema(api_schema, fuzzer, one_of_each):
    """The stateful phase: scenarios of up to STEPS calls along the links schemathesis infers
    from the schema (79 of them: a visit listed, then each of its steps; a rota period opened,
    then generated and published; a slot's place offered, then taken or withdrawn...)."""

    class Scenario(api_schema.as_state_machine()):
        def before_call(self, case):
            on_real_object(case, one_of_each)

        def call(self, case, **kwargs):
            if not fuzzer.may_send("stateful"):
                hypothesis.reject()  # over budget: the remaining scenarios are dropped
            return case.call(**kwargs)

        def get_call_kwargs(self, case):
            return {"headers": fuzzer.headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response, checks=CHECKS, headers=fuzzer.headers, transport_kwargs=kwargs
            )

    hypothesis.seed(SEED)(Scenario)  # replayable with ICV_FUZZ_SEED, as the other phases
    try:
        Scenario.run(
            settings=hypothesis.settings(
                max_examples=SCENARIOS,
                stateful_step_count=STEPS,
                deadline=None,
                database=None,
                suppress_health_check=list(hypothesis.HealthCheck),
            )
        )
    except hypothesis.errors.FlakyStrategyDefinition as flaky:
        # Hypothesis replays a scenario and its draws come out differently: the rules a state
        # machine may take depend on what earlier calls created (and, over budget, scenarios are
        # rejected part-way). That is the generator's inconsistency, not an answer of the app's:
        # a 5xx or a schema break raises its check's own error, which is never caught here.
        warnings.warn(f"Stateful phase stopped early: {flaky}", stacklevel=1)
    except hypothesis.errors.Unsatisfiable:
        if not UNSENT[(fuzzer.name, "stateful")]:
            raise  # not the budget: something else stopped every scenario


def test_every_real_object_the_fuzzer_uses_is_there_for_the_manager(client, one_of_each):
    """Otherwise the fuzzing would quietly test 404s again."""
    client.force_login(persona("manager"))
    for prefix in REAL_OBJECT:
        if prefix.startswith("/api/rota/swaps"):
            continue  # swaps have no detail operation
        path = prefix.format(**real_parameters(prefix, one_of_each)) + "/"
        assert client.get(path).status_code == 200, path


@pytest.fixture(scope="module", autouse=True)
def report(pytestconfig):
    """After the module: the seed, and the requests each persona sent in each phase."""
    started = time.monotonic()
    yield
    if not SENT and not UNSENT:
        return
    lines = [f"schemathesis (seed {SEED}): requests by persona and phase"]
    for who in PERSONAS:
        phases = {p: n for (w, p), n in sorted(SENT.items()) if w == who}
        unsent = sum(n for (w, _p), n in UNSENT.items() if w == who)
        line = f"  {who}: {sum(phases.values())} ("
        line += ", ".join(f"{p} {n}" for p, n in phases.items()) + ")"
        lines.append(line + (f", {unsent} cases unsent: over budget" if unsent else ""))
    elapsed = time.monotonic() - started
    lines.append(f"  total: {sum(SENT.values())} requests in {elapsed:.0f} s")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))
