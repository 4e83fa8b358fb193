"""One shape for every API error: {"code": ..., "detail": ..., "fields": {...}}.

A broken domain rule (visits.errors.DomainError) is translated here, once: 400, or 409 for a
conflict with the stored state. Nothing a client sends should produce a 500."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from visits.errors import DomainError
from visits.images import ImageRejected


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
        exc = exceptions.NotFound("Not found, or not yours to see.")
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
        detail = "Some of the data sent is not valid."
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
