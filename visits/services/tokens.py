"""Personal API tokens: made by their user, stored only as a hash, shown once, revocable."""

import hashlib
import re
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from visits.errors import DomainError
from visits.models import ApiToken
from visits.services import audit

PREFIX = "icv_"
# The secrets made for addresses (a calendar feed's, an ID card's): secrets.token_urlsafe(32).
SECRET_IN_ADDRESS = re.compile(r"[A-Za-z0-9_-]{16,100}")


def is_secret_shaped(token: str) -> bool:
    """Whether `token` could be a secret of an address at all. Anything else (a NUL byte, which
    PostgreSQL refuses in a query and would make a 500) is answered as an unknown secret,
    before any query."""
    return bool(SECRET_IN_ADDRESS.fullmatch(token or ""))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(*, actor, name: str) -> tuple[ApiToken, str]:
    """A new token for `actor`. Returns the row and the token itself, which is never stored."""
    name = name.strip()
    if not name:
        raise DomainError(
            gettext("Give the token a name you will recognise."),
            code="token_name_missing",
            field="name",
        )
    if ApiToken.objects.filter(user=actor, name=name, revoked_at__isnull=True).exists():
        raise DomainError(
            gettext("You already have a token with that name."),
            code="token_name_taken",
            field="name",
        )
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=actor, name=name, prefix=token[:10], token_hash=hash_token(token)
        )
        audit.record(actor=actor, action="token.created", obj=row, detail={"name": name})
    return row, token


def revoke_token(*, actor, token: ApiToken) -> ApiToken:
    """Stop a token working at once. Revoking twice changes nothing."""
    if token.user_id != actor.pk:
        raise DomainError(gettext("That token is not yours."), code="token_not_yours")
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record(actor=actor, action="token.revoked", obj=token)
    return token


def authenticate(token: str) -> ApiToken | None:
    """The live token matching `token`, its last use noted (at most once a minute)."""
    row = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row
