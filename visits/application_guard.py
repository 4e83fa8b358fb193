"""Spam defences of the public application form, without third-party scripts (issue 22).

- A signed time stamp in the form: a send within MIN_SECONDS of the form being shown (a script,
  not a person typing) or more than MAX_AGE after it is refused, and so is a form for another
  scheme or a stamp that was tampered with.
- Each stamp is spent when its application is kept: the same form sent again (a replay, or a
  double click) is refused instead of making a second application.
- A throttle per client address, counted in the shared cache (so every process and machine
  counts together, as the API's throttles do): settings.APPLICATIONS_PER_HOUR complete forms
  an hour (a form with mistakes costs nothing and is not counted).
- The honeypot (a field people do not see and leave empty) is the form's own (visits.views).
"""

from __future__ import annotations

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext

from visits.errors import DomainError

SALT = "icv.recruitment.application-form"
MIN_SECONDS = 3  # nobody reads the privacy notice and fills in the form faster
MAX_AGE = 24 * 60 * 60  # a form left open for a day is shown again, fresh
THROTTLE_WINDOW = 60 * 60


def issue_stamp(slug: str, now: float | None = None) -> str:
    """The signed stamp for a form of scheme `slug` shown now."""
    return signing.dumps({"s": slug, "t": int(now if now is not None else time.time())}, salt=SALT)


def check_stamp(stamp: str, slug: str, now: float | None = None) -> None:
    """Raise DomainError unless `stamp` was issued by us for this scheme's form, between
    MIN_SECONDS and MAX_AGE ago, and not spent already."""
    now = now if now is not None else time.time()
    try:
        data = signing.loads(stamp or "", salt=SALT)
    except signing.BadSignature:
        data = None
    if not isinstance(data, dict) or data.get("s") != slug or not isinstance(data.get("t"), int):
        raise DomainError(
            gettext("The form could not be checked. Fill it in again below and send it."),
            code="stamp_invalid",
        )
    age = now - data["t"]
    if age > MAX_AGE or age < -60:
        raise DomainError(
            gettext(
                "This form was opened more than a day ago. Check your answers below and send it "
                "again."
            ),
            code="stamp_expired",
        )
    if age < MIN_SECONDS:
        raise DomainError(
            gettext("That was sent too quickly. Check your answers and send it again."),
            code="too_fast",
        )
    if cache.get(_spent_key(stamp)) is not None:
        raise DomainError(
            gettext("This form has already been sent: we have your application."),
            code="already_sent",
        )


def spend_stamp(stamp: str) -> bool:
    """Mark the stamp as used; False if it already was (two sends of the same form at once:
    only the first goes through). `cache.add` is atomic on every backend we use."""
    return cache.add(_spent_key(stamp), 1, MAX_AGE + 120)


def unspend_stamp(stamp: str) -> None:
    """The application was refused after all: the person may correct it and send it again."""
    cache.delete(_spent_key(stamp))


def _spent_key(stamp: str) -> str:
    return "apply-stamp:" + hashlib.sha256(stamp.encode()).hexdigest()


def _sender(address: str | None) -> str:
    """Who sent it, as far as an address tells: an IPv6 address by its /64 (one household or
    machine is given a whole /64, so counting single addresses would count nothing)."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def throttle_allows(address: str | None) -> bool:
    """Count one send from `address`; False once it has sent more than the hour allows."""
    key = f"apply-throttle:{_sender(address)}"
    cache.add(key, 0, THROTTLE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, THROTTLE_WINDOW)
        count = 1
    return count <= settings.APPLICATIONS_PER_HOUR
