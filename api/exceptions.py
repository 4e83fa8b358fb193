"""One shape for every API error: {"code": ..., "detail": ..., "fields": {...}}.

A broken domain rule (visits.errors.DomainError) is translated here, once: 400, or 409 for a
conflict with the stored state. Nothing a client sends should produce a 500. What no view
answers (a route that does not exist, a body over the size limit before any view, a 500) is
put in the same shape by icv.middleware.ApiErrorMiddleware.

The API's JSON parser is here too, because what it refuses is an error of this shape: a body
larger than DATA_UPLOAD_MAX_MEMORY_SIZE (413 `too_large`) or nested deeper than
API_MAX_JSON_NESTING (400 `invalid`), before anything walks it recursively."""

import io

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from visits.errors import DomainError
from visits.images import ImageRejected


def too_large_message(limit: int | None = None) -> str:
    limit = limit or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return gettext("The request is larger than the limit of %(size)s KB. Send a smaller one.") % {
        "size": limit // 1024
    }


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, limit: int | None = None):
        super().__init__(too_large_message(limit), code="too_large")


class JSONParser(parsers.BaseParser):
    """DRF's JSON parser, within limits. The body is read up to DATA_UPLOAD_MAX_MEMORY_SIZE
    (the middleware refuses a larger Content-Length before any view; this catches a body
    longer than it said). Nesting past API_MAX_JSON_NESTING is refused before any serializer,
    the error handler or the JSON column of a kept copy walks it recursively; past Python's
    own recursion limit (~1,000 deep) the decoder stops by itself, and that is the same 400.

    It wraps DRF's parser rather than extending it: DRF hands a JSONParser subclass the body
    read through Django's `request.body`, which refuses anything over
    DATA_UPLOAD_MAX_MEMORY_SIZE, so a whole report with its photos could never pass; this one
    is handed the stream and applies the route's own limit (icv.middleware.body_limit)."""

    media_type = "application/json"
    renderer_class = parsers.JSONParser.renderer_class
    _decoder = parsers.JSONParser()

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        if limit is not None and request is not None:
            from icv.middleware import body_limit

            limit = body_limit(request)  # a whole report with its photos may be larger
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(limit)
        try:
            data = self._decoder.parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        if _deeper_than(data, settings.API_MAX_JSON_NESTING):
            raise _too_deep()
        return data


def _too_deep() -> exceptions.ParseError:
    return exceptions.ParseError(
        gettext("The JSON is nested more than %(depth)s deep.")
        % {"depth": settings.API_MAX_JSON_NESTING},
        code="invalid",
    )


def _deeper_than(data, limit: int) -> bool:
    """Whether lists and objects in `data` nest more than `limit` deep (the top one is 1).
    Without recursion, so that the check cannot itself run out of stack."""
    stack = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _flatten(detail, prefix: str = "") -> dict[str, str]:
    """Field errors as {"name": "messages"}; nested ones by their path: "detainees.1.gender"."""
    if isinstance(detail, dict):
        items = detail.items()
    elif isinstance(detail, list) and any(isinstance(m, (dict, list)) for m in detail):
        items = ((str(index), m) for index, m in enumerate(detail))
    else:
        return {prefix: " ".join(str(m) for m in detail)} if prefix and detail else {}
    flat = {}
    for name, messages in items:
        path = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(messages, (dict, list)):
            flat.update(_flatten(messages, path))
        else:
            flat[path] = str(messages)
    return flat


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(gettext("Not found, or not yours to see."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "detail": exc.message, "fields": exc.fields}, status=exc.status
        )
    if isinstance(exc, ImageRejected):
        return Response(
            {"code": "image_rejected", "detail": str(exc), "fields": {}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        detail = gettext("Some of the data sent is not valid.")
        if isinstance(exc.detail, list):
            detail = " ".join(str(m) for m in exc.detail)
        response.data = {"code": "invalid", "detail": detail, "fields": fields}
    else:
        code = getattr(exc, "default_code", "error")
        if isinstance(exc.detail, (dict, list)):
            detail = str(exc.detail)
        else:
            code = getattr(exc.detail, "code", code) or code
            detail = str(exc.detail)
        response.data = {"code": code, "detail": detail, "fields": {}}
    return response
