"""Query parameters of list endpoints, checked like a request body: a bad one is a 400 with
`code: invalid` naming the parameter, never a 500. One declaration serves the check and the
OpenAPI schema, bounds included (an id within its column, a date within rules' range)."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


def declare(**fields: serializers.Field):
    """A filter set: `declare(suite=row_id(), ...)` -> (checker, schema parameters)."""
    # Every filter is optional; rebuilt, because serializers copy fields from their arguments.
    fields = {
        name: type(field)(*field._args, **{**field._kwargs, "required": False})
        for name, field in fields.items()
    }
    checker = type("Filters", (serializers.Serializer,), dict(fields))
    parameters = [
        OpenApiParameter(
            name,
            _schema(field),
            enum=list(field.choices) if isinstance(field, serializers.ChoiceField) else None,
            description=str(field.help_text or ""),
        )
        for name, field in fields.items()
    ]
    return checker, parameters


def _schema(field: serializers.Field) -> dict | type:
    """The parameter's type for the schema, with the bounds the checker holds it to."""
    if isinstance(field, serializers.IntegerField):
        schema = {"type": "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
        return schema
    if isinstance(field, serializers.BooleanField):
        return bool
    if isinstance(field, serializers.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, serializers.CharField) and field.max_length is not None:
        return {"type": "string", "maxLength": field.max_length}
    return str


def checked(checker, request) -> dict:
    """The parameters given, validated; absent ones left out."""
    serializer = checker(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return {k: v for k, v in serializer.validated_data.items() if v is not None}
