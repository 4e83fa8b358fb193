"""OpenAPI: every operation documents the one error shape and the statuses it can answer."""

ERROR = {
    "type": "object",
    "required": ["code", "detail", "fields"],
    "properties": {
        "code": {"type": "string", "description": "Machine-readable, e.g. numbers_disagree"},
        "detail": {"type": "string", "description": "A sentence for a person"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Field name to what is wrong with it",
        },
    },
}

ERRORS = {
    "400": "A rule was broken or the data is not valid",
    "401": "No credentials, or a token that is not valid",
    "403": "Your role may see this but not do this",
    "404": "Not found, or not yours to see",
    "409": "The stored state has moved on (a stale revision, or a step not possible now)",
    "429": "Too many requests; see Retry-After",
}


def add_errors(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
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
                "description": "A personal token from /account/tokens/",
            }
