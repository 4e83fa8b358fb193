"""Logging: a request id on every line, JSON or text lines, and error reports to Sentry.

The id is kept in a context variable, set by icv.middleware.RequestIdMiddleware for the length
of a request; a line logged outside one (a task, a command) carries "-". Nothing here logs a
request's body, query string, cookies or user: only what the code passes as the message.
"""

import contextvars
import json
import logging
import re

from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
NO_REQUEST = "-"
# An id we accept from our proxy: short, and only characters that cannot break a log line or a
# header (nginx's $request_id is 32 hex digits; a UUID fits too). Anything else is replaced.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default=NO_REQUEST
)

# The app's own loggers; everything else (libraries) is held to WARNING unless asked.
APP_LOGGERS = ("icv", "visits", "api", "bench", "django.request", "django.security")
NOISY_LOGGERS = ("django.db.backends", "botocore", "boto3", "urllib3", "s3transfer", "PIL")


def current_request_id() -> str:
    return request_id_var.get()


def forget_request_id(**kwargs) -> None:
    """On request_finished: the thread's next lines, outside a request, carry no id."""
    request_id_var.set(NO_REQUEST)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (as `request_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


class JsonLineFormatter(JsonFormatter):
    """One JSON object a line with the fields of JSON_FIELDS only. Django passes the request
    itself to its error lines (its repr has the query string) and any code may pass `extra=`:
    none of that is written unless named here."""

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        for key in list(log_record):
            if key not in JSON_FIELDS:
                del log_record[key]


JSON_FIELDS = {"time", "level", "logger", "request_id", "message", "exc_info", "status_code"}


# gunicorn's access log: it logs its format with a dict of "atoms" as the record's args. We take
# the fields we want from it, never the query string (filters can carry dates and ids, and
# someone may paste anything into a URL) nor the referrer.
ACCESS_FIELDS = {
    "remote": "h",
    "method": "m",
    "path": "U",
    "status": "s",
    "bytes": "B",
    "duration_ms": "M",
    "request_id": "{x-request-id}o",
}


def access_fields(record: logging.LogRecord) -> dict:
    atoms = record.args if hasattr(record.args, "get") else None
    if atoms is None:  # not gunicorn's: keep its message
        return {"message": record.getMessage()}
    fields = {name: atoms.get(atom) for name, atom in ACCESS_FIELDS.items()}
    if fields.get("request_id") in (None, "-"):
        fields["request_id"] = NO_REQUEST
    return fields


class AccessJsonFormatter(logging.Formatter):
    """One JSON object per request gunicorn answered."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {"time": self.formatTime(record), "logger": "gunicorn.access"}
        fields |= access_fields(record)
        return json.dumps(fields, default=str)


class AccessTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        f = access_fields(record)
        return (
            f"{self.formatTime(record)} {f.get('request_id')} {f.get('remote')} "
            f'"{f.get("method")} {f.get("path")}" {f.get("status")} {f.get("bytes")} '
            f"{f.get('duration_ms')}ms"
        )


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(*, log_format: str, level: str, library_level: str = "WARNING") -> dict:
    """The dictConfig for Django (LOGGING) and, with the access logger, for gunicorn."""
    if log_format not in ("json", "text"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"ICV_LOG_FORMAT must be json or text, not {log_format!r}")
    json_lines = log_format == "json"
    formatter = {"format": TEXT_FORMAT}
    if json_lines:
        formatter = {
            "()": "icv.logging.JsonLineFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger", "asctime": "time"},
        }
    access = "icv.logging.AccessJsonFormatter" if json_lines else "icv.logging.AccessTextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "icv.logging.RequestIdFilter"}},
        "formatters": {"lines": formatter, "access": {"()": access}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "filters": ["request_id"],
                "formatter": "lines",
            },
            "access": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "access",
            },
        },
        "root": {"handlers": ["console"], "level": library_level},
        "loggers": {
            **{name: {"level": level} for name in APP_LOGGERS},
            **{name: {"level": library_level} for name in NOISY_LOGGERS},
            # gunicorn's own lines through ours; its access lines in their own shape.
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }


# --- Error reports ------------------------------------------------------------------------------
# What leaves for the error tracker is the exception, its stack and the URL's path: never the
# request's body, query string, cookies, headers that carry credentials, nor who the user is.
DROPPED_REQUEST_KEYS = ("data", "cookies", "query_string", "env")
KEPT_HEADERS = {"user-agent", "content-type", "content-length", "x-request-id", "host"}
WITHHELD = "[withheld: it may quote personal data]"


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send: takes out what could name a detainee, a visitor or a secret."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in DROPPED_REQUEST_KEYS:
            request.pop(key, None)
        url = request.get("url")
        if isinstance(url, str):
            request["url"] = url.split("?", 1)[0]
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    event.pop("user", None)
    for exception in (event.get("exception") or {}).get("values") or []:
        # An exception's message can quote the data it failed on (a database error quotes the
        # duplicate custody number); its type and stack say where it happened.
        if exception.get("value"):
            exception["value"] = WITHHELD
        # Local variables in the stack could hold anything a view had in hand.
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    # A logged error keeps its template ("Could not send %s"), never the values filled in.
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        if logentry.get("params"):
            logentry.pop("formatted", None)
            logentry["params"] = [WITHHELD] * len(logentry["params"])
        else:
            logentry["message"] = WITHHELD
            logentry.pop("formatted", None)
    if event.get("message"):
        event["message"] = WITHHELD
    # Breadcrumbs (earlier log lines, queries) keep what happened and when, not what was said.
    for crumb in (event.get("breadcrumbs") or {}).get("values") or []:
        crumb.pop("data", None)
        if crumb.get("category") != "query":  # SQL with placeholders names no value
            crumb.pop("message", None)
    event.setdefault("tags", {})["request_id"] = request_id_var.get()
    return event


def init_sentry(*, dsn: str, environment: str, release: str) -> bool:
    """Error reports to Sentry (or a compatible service) when a DSN is set; nothing otherwise."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), LoggingIntegration(event_level=logging.ERROR)],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        environment=environment or None,
        release=release or None,
        traces_sample_rate=0,
    )
    return True
