class DomainError(Exception):
    """A broken business rule. Pages show `message` in the form; the API returns `code`."""

    status = 400

    def __init__(self, message: str, *, code: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class ConflictError(DomainError):
    """The request was valid, but the stored state has moved on (a stale revision, say)."""

    status = 409
