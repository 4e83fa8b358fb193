"""Query parameters of list endpoints, checked like a request body: a bad one is a 400 with
`code: invalid` naming the parameter, never a 500. One declaration serves the check and the
OpenAPI schema."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


def declare(**fields: serializers.Field):
    """A filter set: `declare(suite=IntegerField(), ...)` -> (checker, schema parameters)."""
    # Every filter is optional; rebuilt, because serializers copy fields from their arguments.
    fields = {
        name: type(field)(*field._args, **{**field._kwargs, "required": False})
        for name, field in fields.items()
    }
    checker = type("Filters", (serializers.Serializer,), dict(fields))
    parameters = []
    for name, field in fields.items():
        kind = {
            serializers.IntegerField: int,
            serializers.BooleanField: bool,
        }.get(type(field), str)
        enum = list(field.choices) if isinstance(field, serializers.ChoiceField) else None
        parameters.append(
            OpenApiParameter(name, kind, enum=enum, description=str(field.help_text or ""))
        )
    return checker, parameters


def checked(checker, request) -> dict:
    """The parameters given, validated; absent ones left out."""
    serializer = checker(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return {k: v for k, v in serializer.validated_data.items() if v is not None}
