class DomainError(Exception):
    """A broken business rule. Pages show the messages in the form; the API returns `code`.

    `field` names the one input to fix; `fields` maps several inputs to their messages.
    """

    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str,
        field: str | None = None,
        fields: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = dict(fields or {})
        if field:
            self.fields.setdefault(field, message)
        self.field = field


class ConflictError(DomainError):
    """The request was valid, but the stored state has moved on (a stale revision, say)."""

    status = 409


class NotPermitted(DomainError):
    """The actor's role does not allow this, though they can see the object (403)."""

    status = 403


class NotFound(DomainError):
    """Not there, or not for the actor to see: the two are never told apart (404)."""

    status = 404
