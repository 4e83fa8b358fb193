"""OpenAPI: every operation documents the one error shape and the statuses it can answer.
Its descriptions are in the reader's language (translated when the schema is made)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ERRORS = {
    "400": _("A rule was broken or the data is not valid"),
    "401": _("No credentials, or a token that is not valid"),
    "403": _("Your role may see this but not do this"),
    "404": _("Not found, or not yours to see"),
    "409": _("The stored state has moved on (a stale revision, or a step not possible now)"),
    "429": _("Too many requests; see Retry-After"),
}


def error_schema() -> dict:
    return {
        "type": "object",
        "required": ["code", "detail", "fields"],
        "properties": {
            "code": {
                "type": "string",
                "description": gettext("Machine-readable, e.g. numbers_disagree"),
            },
            "detail": {"type": "string", "description": gettext("A sentence for a person")},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": gettext("Field name to what is wrong with it"),
            },
        },
    }


def add_errors(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = error_schema()
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(
                    status,
                    {
                        "description": str(description),
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result


def register_extensions() -> None:
    """Tell drf-spectacular how our token authentication appears in the schema."""
    from drf_spectacular.extensions import OpenApiAuthenticationExtension

    class TokenScheme(OpenApiAuthenticationExtension):
        target_class = "api.authentication.TokenAuthentication"
        name = "bearerAuth"

        def get_security_definition(self, auto_schema):
            return {
                "type": "http",
                "scheme": "bearer",
                "description": gettext("A personal token from /account/tokens/"),
            }
