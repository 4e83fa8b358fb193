"""What operations see: a request id on every response and log line, JSON log lines that carry
nothing personal, error reports that reach a real (local) collector without the request's data,
and /healthz?deep with the queue, e-mail and storage checks."""

import datetime
import gzip
import io
import json
import logging
import logging.config
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from icv.logging import RequestIdFilter, logging_config, scrub_event

# What must never leave the app in a log line or error report; made at run time so that the
# source lines an error report carries do not hold it.
CUSTODY_NUMBER = "-".join(["CUST", "99/4321ZX"])


def boom(request, code):
    logging.getLogger("visits.test").info("about to fail for request")
    raise RuntimeError("something broke")


def boom_quoting(request):
    """Fails as a database error does: its message quotes the value it failed on, and the
    lines logged before it name it too."""
    number = request.POST.get("custody_number", "")
    logging.getLogger("visits.test").warning("checking %s", number)
    logging.getLogger("visits.test").error("could not store %s", number)
    raise RuntimeError(f'duplicate key value violates unique constraint: ("{number}")')


def logs_something(request):
    logging.getLogger("visits.test").warning("a line inside a request")
    return HttpResponse("ok")


urlpatterns = [
    path("boom/<str:code>/", boom),
    path("boom-quoting/", boom_quoting),
    path("logs/", logs_something),
    path("", include("icv.urls")),
]


# --- Request id ---------------------------------------------------------------------------------


def test_every_response_has_a_fresh_request_id(client, db):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/login/")["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


def test_a_sane_id_from_our_proxy_is_kept(client, db, settings):
    settings.TRUSTED_PROXIES = 1
    response = client.get("/healthz", headers={"X-Request-ID": "0123456789abcdef0123456789abcdef"})
    assert response["X-Request-ID"] == "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("sent", ["short", "a" * 65, "bad id with spaces", "x\r\nSet-Cookie: a=b"])
def test_an_insane_id_from_the_proxy_is_replaced(client, db, settings, sent):
    settings.TRUSTED_PROXIES = 1
    kept = client.get("/healthz", headers={"X-Request-ID": sent})["X-Request-ID"]
    assert kept != sent and len(kept) == 32


def test_a_clients_own_id_is_not_trusted_without_a_proxy(client, db):
    sent = "0123456789abcdef0123456789abcdef"
    assert client.get("/healthz", headers={"X-Request-ID": sent})["X-Request-ID"] != sent


@pytest.fixture
def json_log_lines():
    """The app's real logging configuration, in JSON, writing into a buffer."""
    stream = io.StringIO()
    config = logging_config(log_format="json", level="INFO")
    config["handlers"]["console"]["stream"] = stream
    del config["handlers"]["access"]["stream"]
    logging.config.dictConfig(config)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.config.dictConfig(django_settings.LOGGING)


@pytest.mark.urls("tests.test_observability")
def test_log_lines_in_a_request_carry_its_id(client, db, json_log_lines):
    response = client.get("/logs/")
    line = next(entry for entry in json_log_lines() if entry["logger"] == "visits.test")
    assert line["message"] == "a line inside a request"
    assert line["level"] == "WARNING"
    assert line["request_id"] == response["X-Request-ID"]


@pytest.mark.urls("tests.test_observability")
def test_djangos_line_for_a_4xx_answer_carries_the_id(client, db, json_log_lines):
    response = client.get("/api/visits/?status=lost")  # logged after the middleware returned
    assert response.status_code == 401
    line = next(entry for entry in json_log_lines() if entry["logger"] == "django.request")
    assert line["request_id"] == response["X-Request-ID"]
    logging.getLogger("visits.test").info("after the request")
    assert json_log_lines()[-1]["request_id"] == "-"


def test_log_lines_outside_a_request_still_format(json_log_lines):
    logging.getLogger("visits.test").info("from a task")
    (line,) = json_log_lines()
    assert line["message"] == "from a task" and line["request_id"] == "-"


@pytest.mark.urls("tests.test_observability")
def test_djangos_request_errors_are_logged_with_the_id_and_without_the_body(db, json_log_lines):
    client = Client(raise_request_exception=False)
    response = client.post(f"/boom/x/?number={CUSTODY_NUMBER}", {"custody_number": CUSTODY_NUMBER})
    assert response.status_code == 500
    lines = json_log_lines()
    error = next(entry for entry in lines if entry["logger"] == "django.request")
    assert error["level"] == "ERROR"
    assert error["request_id"] == response["X-Request-ID"]
    assert "RuntimeError: something broke" in error["exc_info"]
    assert CUSTODY_NUMBER not in json.dumps(lines)


def test_libraries_are_held_to_warning_and_the_app_to_its_level():
    config = logging_config(log_format="text", level="DEBUG")
    assert config["loggers"]["visits"]["level"] == "DEBUG"
    assert config["loggers"]["django.db.backends"]["level"] == "WARNING"
    assert config["root"]["level"] == "WARNING"


def test_an_unknown_log_format_is_refused_in_words():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="ICV_LOG_FORMAT must be json or text"):
        logging_config(log_format="xml", level="INFO")


def test_gunicorns_access_lines_have_the_id_and_not_the_query_string():
    from icv.logging import AccessJsonFormatter

    atoms = {"h": "10.0.0.9", "m": "GET", "U": "/api/visits/", "q": f"n={CUSTODY_NUMBER}"}
    atoms |= {"s": "200", "B": 512, "M": 12, "{x-request-id}o": "abc123abc123"}
    record = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "%(h)s", (), None)
    record.args = atoms  # as gunicorn's logger passes them
    line = json.loads(AccessJsonFormatter().format(record))
    assert line["request_id"] == "abc123abc123" and line["path"] == "/api/visits/"
    assert line["status"] == "200" and line["duration_ms"] == 12
    assert CUSTODY_NUMBER not in json.dumps(line)


def test_the_request_id_filter_leaves_a_given_id():
    record = logging.LogRecord("x", logging.INFO, "", 0, "m", (), None)
    record.request_id = "given"
    RequestIdFilter().filter(record)
    assert record.request_id == "given"


# --- Error reports ------------------------------------------------------------------------------


class Collector(BaseHTTPRequestHandler):
    """A stand-in for Sentry's ingest: a real socket that keeps every envelope it is sent."""

    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        Collector.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_collector():
    import sentry_sdk

    from icv.logging import init_sentry

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Collector.received = []
    init_sentry(
        dsn=f"http://publickey@127.0.0.1:{server.server_port}/42",
        environment="test",
        release="icv-test",
    )
    yield Collector.received
    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)
    server.shutdown()
    server.server_close()


@pytest.mark.urls("tests.test_observability")
def test_an_error_in_a_view_reaches_the_collector_tagged_and_scrubbed(db, sentry_collector):
    import sentry_sdk

    client = Client(raise_request_exception=False)
    response = client.post(
        f"/boom/x/?custody_number={CUSTODY_NUMBER}",
        {"custody_number": CUSTODY_NUMBER, "password": "hunter2-secret"},
        headers={"Cookie": "sessionid=secretsession"},
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    envelopes = b"".join(sentry_collector).decode()
    events = [
        json.loads(line)
        for line in envelopes.splitlines()
        if line.startswith("{") and '"exception"' in line
    ]
    assert events, "no error event reached the collector"
    event = events[0]
    assert event["tags"]["request_id"] == response["X-Request-ID"]
    assert event["environment"] == "test" and event["release"] == "icv-test"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    for secret in (CUSTODY_NUMBER, "hunter2-secret", "secretsession"):
        assert secret not in envelopes
    assert "user" not in event


@pytest.mark.urls("tests.test_observability")
def test_an_error_quoting_personal_data_reaches_the_collector_without_it(db, sentry_collector):
    import sentry_sdk

    client = Client(raise_request_exception=False)
    response = client.post("/boom-quoting/", {"custody_number": CUSTODY_NUMBER})
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    envelopes = b"".join(sentry_collector).decode()
    events = [json.loads(line) for line in envelopes.splitlines() if line.startswith("{")]
    errors = [e for e in events if "exception" in e]
    assert errors, "no error event reached the collector"
    assert errors[0]["exception"]["values"][-1]["type"] == "RuntimeError"
    logged = [e for e in events if e.get("logentry")]
    assert logged, "the logged error did not reach the collector"
    assert logged[0]["logentry"]["message"] == "could not store %s"
    assert CUSTODY_NUMBER not in envelopes


def test_nothing_is_initialised_without_a_dsn():
    from icv.logging import init_sentry

    assert init_sentry(dsn="", environment="", release="") is False


def test_scrub_event_drops_what_could_name_someone():
    event = {
        "request": {
            "url": f"https://icv.example/visits/?n={CUSTODY_NUMBER}",
            "data": {"custody_number": CUSTODY_NUMBER},
            "cookies": {"sessionid": "x"},
            "query_string": f"n={CUSTODY_NUMBER}",
            "headers": {"Authorization": "Token abc", "User-Agent": "phone"},
        },
        "user": {"username": "vera"},
        "exception": {"values": [{"stacktrace": {"frames": [{"vars": {"n": CUSTODY_NUMBER}}]}}]},
    }
    scrubbed = scrub_event(event)
    assert CUSTODY_NUMBER not in json.dumps(scrubbed)
    assert scrubbed["request"]["headers"] == {"User-Agent": "phone"}
    assert "user" not in scrubbed


# --- /healthz?deep --------------------------------------------------------------------------------


def test_plain_healthz_stays_one_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.content == b"ok"


def test_deep_healthz_reports_every_check(client, db):
    response = client.get("/healthz?deep")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["task_queue"] == {"ok": True, "waiting": 0, "oldest_waiting_seconds": 0}
    assert body["checks"]["storage"]["ok"] is True
    assert body["checks"]["email"]["ok"] is True
    assert "no-cache" in response["Cache-Control"]


def _waiting_job(minutes_ago: int):
    from django_tasks_db.models import DBTaskResult

    job = DBTaskResult.objects.create(
        status="READY",
        args_kwargs={"args": [], "kwargs": {}},
        task_path="visits.tasks.nothing",
        backend_name="default",
        run_after=timezone.now() - datetime.timedelta(minutes=minutes_ago),
        exception_class_path="",
        traceback="",
    )
    enqueued = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    DBTaskResult.objects.filter(pk=job.pk).update(enqueued_at=enqueued)


def test_a_job_waiting_too_long_fails_the_deep_check(client, db):
    _waiting_job(minutes_ago=1)
    _waiting_job(minutes_ago=20)
    response = client.get("/healthz?deep")
    assert response.status_code == 503
    queue = response.json()["checks"]["task_queue"]
    assert queue["ok"] is False and queue["waiting"] == 2
    assert 20 * 60 - 5 <= queue["oldest_waiting_seconds"] <= 20 * 60 + 60
    assert response.json()["status"] == "failing"


def test_a_recent_job_is_healthy(client, db):
    _waiting_job(minutes_ago=1)
    queue = client.get("/healthz?deep").json()["checks"]["task_queue"]
    assert queue["ok"] is True and queue["waiting"] == 1


def test_unreachable_storage_fails_the_deep_check_and_says_nothing_of_where(
    client, db, settings, tmp_path
):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the media folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocked / "media")},
        },
    }
    response = client.get("/healthz?deep")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {"ok": False, "error": "unavailable"}
    assert response.json()["checks"]["database"] == {"ok": True}
    assert str(tmp_path) not in response.content.decode()


def test_deep_healthz_asks_for_the_token_when_one_is_set(client, db, settings):
    settings.ICV_HEALTHZ_TOKEN = "monitoring-token-123"
    assert client.get("/healthz?deep").status_code == 403
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/healthz?deep", headers=wrong).status_code == 403
    right = {"Authorization": "Bearer monitoring-token-123"}
    response = client.get("/healthz?deep", headers=right)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert client.get("/healthz").content == b"ok"  # the plain one stays open


def test_in_production_deep_healthz_without_a_token_set_answers_nobody(client, db, settings):
    settings.ICV_HEALTHZ_TOKEN = ""
    settings.DEBUG = settings.TESTING = False
    refused = client.get("/healthz?deep")
    assert refused.status_code == 403 and b"email" not in refused.content
    assert client.get("/healthz").content == b"ok"


def test_deep_healthz_reveals_no_database_or_media_location(client, db):
    text = client.get("/healthz?deep").content.decode()
    database = django_settings.DATABASES["default"]
    for secret in (str(database["NAME"]), str(django_settings.MEDIA_ROOT)):
        assert secret not in text


# --- gunicorn.conf.py -----------------------------------------------------------------------------


def test_gunicorn_conf_reads_the_environment(monkeypatch):
    import runpy
    from pathlib import Path

    monkeypatch.setenv("ICV_WEB_WORKERS", "3")
    monkeypatch.setenv("ICV_WEB_THREADS", "6")
    monkeypatch.setenv("ICV_BEHIND_PROXY", "true")
    monkeypatch.setenv("ICV_PROXY_ADDRESSES", "10.0.0.5")
    conf = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (3, 6, "gthread")
    assert conf["forwarded_allow_ips"] == "10.0.0.5"
    assert conf["timeout"] >= 120 and conf["max_requests_jitter"] > 0
    assert conf["accesslog"] == "-"
    logging.config.dictConfig(conf["logconfig_dict"])  # a valid configuration
    logging.config.dictConfig(django_settings.LOGGING)


def test_gunicorn_trusts_no_forwarded_headers_without_a_proxy(monkeypatch):
    import runpy
    from pathlib import Path

    monkeypatch.delenv("ICV_BEHIND_PROXY", raising=False)
    monkeypatch.delenv("ICV_TRUSTED_PROXIES", raising=False)
    monkeypatch.setenv("ICV_PROXY_ADDRESSES", "*")
    conf = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))
    assert conf["forwarded_allow_ips"] == "127.0.0.1,::1"
