"""Two people must never silently overwrite each other. Records that several people change
(visits, rota slots, availability, issues) carry a `revision` that goes up with every change;
a writer says which revision it read, and a stale one is refused with 409 `stale_revision`, so
the page or client reloads and decides again. `expected=None` skips the check, for callers
with nothing to compare (demo data, scheduled jobs)."""

from __future__ import annotations

from visits.errors import ConflictError

RELOAD = "Someone else changed this since you opened it. Reload the page and try again."


def check(current, expected: int | None, message: str = RELOAD) -> None:
    """Refuse if `current` (a row just locked) has moved on from the revision read."""
    if expected is not None and expected != current.revision:
        raise ConflictError(message, code="stale_revision")


def lock(obj, expected: int | None, message: str = RELOAD):
    """Re-read `obj` under a row lock (inside a transaction) and check its revision."""
    locked = type(obj).objects.select_for_update().get(pk=obj.pk)
    check(locked, expected, message)
    return locked
