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


def _flatten(detail) -> dict[str, str]:
    if isinstance(detail, dict):
        return {
            name: " ".join(str(m) for m in (messages if isinstance(messages, list) else [messages]))
            for name, messages in detail.items()
        }
    return {}


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
